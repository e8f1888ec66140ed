/**
 * Reads MQTT fixed headers off a byte stream without parsing packets: type and remaining length
 * (MQTT 3.1.1 section 2.2), so the broker can refuse an oversized packet before buffering it and
 * count a client's packets for its rate limit. Pure: feed chunks however they arrive.
 *
 * - A remaining length needs at most 4 bytes; a fifth continuation byte is `malformed`.
 * - A packet whose remaining length exceeds `maxPacketBytes` is `too_large` as soon as its header
 *   is complete: none of its body has to be read.
 * After an error the scanner stops (the connection is closed).
 */

export type ScanError = { code: "malformed" | "too_large"; message: string; type?: number; bytes?: number };

/** MQTT control packet types (high nibble of the first byte). */
export const PUBLISH = 3;
export const SUBSCRIBE = 8;
export const UNSUBSCRIBE = 10;

export class PacketScanner {
  private state: "type" | "length" | "body" = "type";
  private type = 0;
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;
  private failed: ScanError | undefined;

  constructor(private readonly maxPacketBytes: number) {}

  /**
   * Scans one chunk; `onPacket(type)` is called for each fixed header completed in it (before the
   * body has arrived). Returns the first error, or undefined.
   */
  scan(chunk: Uint8Array, onPacket: (type: number) => void): ScanError | undefined {
    if (this.failed) return this.failed;
    let i = 0;
    while (i < chunk.length) {
      if (this.state === "body") {
        const take = Math.min(this.remaining, chunk.length - i);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) this.state = "type";
        continue;
      }
      const byte = chunk[i++]!;
      if (this.state === "type") {
        this.type = byte >> 4;
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        this.state = "length";
        continue;
      }
      // state "length": 7 bits per byte, least significant first; the top bit says more follow.
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes += 1;
      if (byte & 0x80) {
        if (this.lengthBytes === 4) return this.fail({ code: "malformed", message: "remaining length longer than 4 bytes", type: this.type });
        continue;
      }
      const total = 1 + this.lengthBytes + this.length;
      if (total > this.maxPacketBytes) {
        return this.fail({ code: "too_large", message: `packet of ${total} bytes exceeds the limit of ${this.maxPacketBytes}`, type: this.type, bytes: total });
      }
      onPacket(this.type);
      this.remaining = this.length;
      this.state = this.remaining === 0 ? "type" : "body";
    }
    return undefined;
  }

  private fail(e: ScanError): ScanError {
    this.failed = e;
    return e;
  }
}
