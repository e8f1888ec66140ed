/**
 * OSC 1.0 codec (pure, no I/O) for the X32 / M32 driver and simulator.
 *
 * Wire rules (OSC 1.0 spec): the address and the type-tag string are ASCII, NUL-terminated and
 * NUL-padded to a multiple of 4 bytes; int32 and float32 are big-endian; a blob is an int32 size,
 * the bytes, then NUL padding to a multiple of 4. A packet starting `#bundle` is a bundle:
 * 8-byte time tag, then elements of (int32 size + packet).
 *
 * Decoding never throws: it returns a result with a coded error, so a malformed datagram from the
 * network is counted by the driver, never an exception out of it. Encoding throws OscEncodeError
 * for values that cannot be put on the wire (a caller bug or bad operator input).
 */

export type OscArg =
  | { type: "i"; value: number }
  | { type: "f"; value: number }
  | { type: "s"; value: string }
  | { type: "b"; value: Buffer }
  | { type: "T" | "F" | "N" | "I" };

export interface OscMessage {
  address: string;
  args: OscArg[];
}

export type OscDecodeErrorCode =
  | "truncated"
  | "bad_padding"
  | "bad_address"
  | "missing_type_tags"
  | "unknown_type_tag"
  | "bad_length"
  | "bad_bundle";

export interface OscDecodeError {
  code: OscDecodeErrorCode;
  message: string;
  /** Byte offset where decoding stopped. */
  offset: number;
}

export type OscDecodeResult = { ok: true; messages: OscMessage[] } | { ok: false; error: OscDecodeError };

export class OscEncodeError extends Error {
  readonly code = "invalid_args";
  constructor(message: string) {
    super(message);
    this.name = "OscEncodeError";
  }
}

const BUNDLE_TAG = Buffer.from("#bundle\0", "latin1");
/** Bundles inside bundles: bounded, so a hostile packet cannot recurse deeply. */
const MAX_BUNDLE_DEPTH = 4;

const pad4 = (n: number): number => (n + 3) & ~3;

function encodeString(s: string): Buffer {
  if (s.includes("\0")) throw new OscEncodeError(`OSC string must not contain NUL: ${JSON.stringify(s)}`);
  const body = Buffer.from(s, "utf8");
  const out = Buffer.alloc(pad4(body.length + 1)); // zero-filled: terminator and padding
  body.copy(out);
  return out;
}

function encodeArg(a: OscArg): Buffer {
  switch (a.type) {
    case "i": {
      if (!Number.isInteger(a.value) || a.value < -0x80000000 || a.value > 0x7fffffff) {
        throw new OscEncodeError(`int32 out of range: ${a.value}`);
      }
      const b = Buffer.alloc(4);
      b.writeInt32BE(a.value);
      return b;
    }
    case "f": {
      if (!Number.isFinite(a.value)) throw new OscEncodeError(`float32 must be finite: ${a.value}`);
      const b = Buffer.alloc(4);
      b.writeFloatBE(a.value);
      return b;
    }
    case "s":
      return encodeString(a.value);
    case "b": {
      const out = Buffer.alloc(4 + pad4(a.value.length));
      out.writeInt32BE(a.value.length);
      a.value.copy(out, 4);
      return out;
    }
    default:
      return Buffer.alloc(0); // T F N I carry no data
  }
}

/** Encodes one OSC message. An empty args list still gets the type-tag string `,`. */
export function encodeMessage(address: string, args: readonly OscArg[] = []): Buffer {
  if (!address.startsWith("/")) throw new OscEncodeError(`OSC address must start with "/": ${JSON.stringify(address)}`);
  const tags = "," + args.map((a) => a.type).join("");
  return Buffer.concat([encodeString(address), encodeString(tags), ...args.map(encodeArg)]);
}

/** Encodes a bundle of already-encoded packets (time tag 1 = "immediately"). */
export function encodeBundle(packets: readonly Buffer[], timetag: bigint = 1n): Buffer {
  const head = Buffer.alloc(16);
  BUNDLE_TAG.copy(head);
  head.writeBigUInt64BE(timetag, 8);
  const parts: Buffer[] = [head];
  for (const p of packets) {
    const size = Buffer.alloc(4);
    size.writeInt32BE(p.length);
    parts.push(size, p);
  }
  return Buffer.concat(parts);
}

class Reader {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  fail(code: OscDecodeErrorCode, message: string): never {
    throw new DecodeFailure({ code, message, offset: this.offset });
  }

  /** A NUL-terminated, NUL-padded string. */
  string(what: string): string {
    const start = this.offset;
    const end = this.buf.indexOf(0, start);
    if (end < 0) this.fail("truncated", `${what}: no NUL terminator`);
    const next = pad4(end + 1);
    if (next > this.buf.length) this.fail("bad_padding", `${what}: padding runs past the end of the packet`);
    for (let i = end + 1; i < next; i++) {
      if (this.buf[i] !== 0) this.fail("bad_padding", `${what}: non-NUL byte in padding at ${i}`);
    }
    this.offset = next;
    return this.buf.toString("utf8", start, end);
  }

  need(n: number, what: string): void {
    if (this.offset + n > this.buf.length) this.fail("truncated", `${what}: needs ${n} bytes, ${this.buf.length - this.offset} left`);
  }

  int32(what: string): number {
    this.need(4, what);
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  float32(what: string): number {
    this.need(4, what);
    const v = this.buf.readFloatBE(this.offset);
    this.offset += 4;
    return v;
  }

  blob(): Buffer {
    const size = this.int32("blob size");
    if (size < 0) this.fail("bad_length", `blob size is negative: ${size}`);
    this.need(pad4(size), "blob");
    const data = Buffer.from(this.buf.subarray(this.offset, this.offset + size));
    for (let i = this.offset + size; i < this.offset + pad4(size); i++) {
      if (this.buf[i] !== 0) this.fail("bad_padding", `blob: non-NUL byte in padding at ${i}`);
    }
    this.offset += pad4(size);
    return data;
  }
}

class DecodeFailure extends Error {
  constructor(readonly error: OscDecodeError) {
    super(error.message);
  }
}

function decodeMessage(buf: Buffer): OscMessage {
  const r = new Reader(buf);
  if (buf.length % 4 !== 0) r.fail("bad_length", `packet length ${buf.length} is not a multiple of 4`);
  const address = r.string("address");
  if (!address.startsWith("/")) r.fail("bad_address", `address must start with "/": ${JSON.stringify(address.slice(0, 40))}`);
  // OSC 1.0 lets old senders omit the type tags; an address alone is a message without arguments.
  if (r.offset === buf.length) return { address, args: [] };
  if (buf[r.offset] !== 0x2c) r.fail("missing_type_tags", "type-tag string must start with \",\"");
  const tags = r.string("type tags").slice(1);
  const args: OscArg[] = [];
  for (const t of tags) {
    switch (t) {
      case "i":
        args.push({ type: "i", value: r.int32("int32") });
        break;
      case "f":
        args.push({ type: "f", value: r.float32("float32") });
        break;
      case "s":
        args.push({ type: "s", value: r.string("string argument") });
        break;
      case "b":
        args.push({ type: "b", value: r.blob() });
        break;
      case "T":
      case "F":
      case "N":
      case "I":
        args.push({ type: t });
        break;
      default:
        r.fail("unknown_type_tag", `unknown OSC type tag ${JSON.stringify(t)}`);
    }
  }
  if (r.offset !== buf.length) r.fail("bad_length", `${buf.length - r.offset} bytes after the last argument`);
  return { address, args };
}

function decodeInto(buf: Buffer, out: OscMessage[], depth: number): void {
  if (buf.length >= 8 && buf.subarray(0, 8).equals(BUNDLE_TAG)) {
    const r = new Reader(buf);
    if (depth >= MAX_BUNDLE_DEPTH) r.fail("bad_bundle", `bundles nested deeper than ${MAX_BUNDLE_DEPTH}`);
    r.offset = 8;
    r.need(8, "bundle time tag");
    r.offset += 8;
    while (r.offset < buf.length) {
      const size = r.int32("bundle element size");
      if (size <= 0 || size % 4 !== 0) r.fail("bad_bundle", `bundle element size ${size} is not a positive multiple of 4`);
      r.need(size, "bundle element");
      const start = r.offset;
      try {
        decodeInto(buf.subarray(start, start + size), out, depth + 1);
      } catch (e) {
        // Offsets inside an element are relative to it: report them relative to the whole packet.
        if (e instanceof DecodeFailure) throw new DecodeFailure({ ...e.error, offset: e.error.offset + start });
        throw e;
      }
      r.offset += size;
    }
    return;
  }
  out.push(decodeMessage(buf));
}

/** Decodes one datagram: a message, or a bundle flattened into its messages (in order). */
export function decodePacket(buf: Buffer): OscDecodeResult {
  const messages: OscMessage[] = [];
  try {
    if (buf.length === 0) return { ok: false, error: { code: "truncated", message: "empty packet", offset: 0 } };
    decodeInto(buf, messages, 0);
    return { ok: true, messages };
  } catch (e) {
    if (e instanceof DecodeFailure) return { ok: false, error: e.error };
    throw e; // a bug in this file, not bad input
  }
}

/** `/ch/01/mix/fader ,f 0.75` style text for logs and tests. */
export function describeMessage(m: OscMessage): string {
  const tags = m.args.map((a) => a.type).join("");
  const vals = m.args.map((a) => {
    if (!("value" in a)) return a.type;
    if (a.type === "s") return JSON.stringify(a.value);
    if (a.type === "b") return `<${a.value.length} bytes>`;
    return String(a.value);
  });
  return [m.address, `,${tags}`, ...vals].join(" ");
}
