/**
 * Malformed OSC datagrams for the `garbage` fault, written byte by byte (not with the codec, so a
 * codec bug cannot make them accidentally valid). Each breaks one rule of OSC 1.0.
 */
const ascii = (s: string): Buffer => Buffer.from(s, "latin1");

export const MALFORMED_PACKETS: readonly { rule: string; bytes: Buffer }[] = [
  // "/ch/01/mix/on" is 13 bytes: its padding must be 3 NULs, here it is "\0XY".
  { rule: "bad_padding", bytes: ascii("/ch/01/mix/on\0XY,i\0\0\0\0\0\x01") },
  // type tag "x" does not exist in OSC 1.0.
  { rule: "unknown_type_tag", bytes: ascii("/ch/01/mix/on\0\0\0,x\0\0\0\0\0\x01") },
  // /xinfo promises four strings and carries none.
  { rule: "truncated", bytes: ascii("/xinfo\0\0,ssss\0\0\0") },
  // a length that is not a multiple of 4.
  { rule: "bad_length", bytes: ascii("/ch/01/mix/fader\0\0\0\0,f\0\0\x3f\x40") },
];

export function malformedPacket(turn: number): Buffer {
  return MALFORMED_PACKETS[turn % MALFORMED_PACKETS.length]!.bytes;
}
