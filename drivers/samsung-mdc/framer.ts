/**
 * Splits an MDC byte stream into whole frames `AA CMD ID LEN DATA(LEN) CS`.
 *
 * MDC has no end marker: a frame's length comes from its LEN byte, so a lost or junk `AA` could
 * make the splitter wait for bytes that belong to the next frame. Resync rules:
 * - bytes before an `AA` are junk (`no_header`);
 * - in `reply` mode (the driver's side) a candidate whose CMD is not `FF`, or whose first data byte
 *   is not `41`/`4E`, is dropped at once (`not_reply`) instead of swallowing LEN bytes;
 * - a candidate with a wrong checksum (`bad_checksum`) is dropped up to the next `AA` inside it,
 *   where scanning resumes, so a real frame glued behind a cut one is still found;
 * - a frame cut off for good (the device went quiet) stays pending: the owner calls `reset()` when
 *   its request times out, and counts what it returns as a short frame.
 */
import { FRAME_OVERHEAD, HEADER, ACK, NAK, REPLY_CMD, checksum } from "./codec.js";

export type JunkReason = "no_header" | "not_reply" | "bad_checksum";

export class MdcFrameSplitter {
  /** Called with each run of dropped bytes and why. */
  onJunk?: (bytes: Buffer, reason: JunkReason) => void;
  private buf: Buffer = Buffer.alloc(0);

  /** `reply`: the stream from a display (the driver). `request`: the stream from a controller (the simulator). */
  constructor(readonly mode: "reply" | "request") {}

  /** Feeds bytes; returns the whole frames they complete, in order. Never throws. */
  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const b = this.buf;
      if (b.length === 0) break;
      if (b[0] !== HEADER) {
        const next = b.indexOf(HEADER);
        this.drop(next === -1 ? b.length : next, "no_header");
        continue;
      }
      if (this.mode === "reply" && b.length >= 2 && b[1] !== REPLY_CMD) {
        this.drop(1, "not_reply");
        continue;
      }
      if (b.length < 4) break;
      const total = FRAME_OVERHEAD + b[3]!;
      if (this.mode === "reply" && b.length >= 5 && b[3]! > 0 && b[4] !== ACK && b[4] !== NAK) {
        this.drop(1, "not_reply");
        continue;
      }
      if (b.length < total) break;
      if (checksum(b.subarray(1, total - 1)) !== b[total - 1]) {
        const next = b.indexOf(HEADER, 1);
        this.drop(next === -1 || next >= total ? total : next, "bad_checksum");
        continue;
      }
      frames.push(Buffer.from(b.subarray(0, total)));
      this.buf = b.subarray(total);
    }
    return frames;
  }

  /** Bytes of the frame in progress. */
  get pending(): number {
    return this.buf.length;
  }

  /** Forgets the frame in progress (request timed out, link lost); returns its bytes. */
  reset(): Buffer {
    const partial = Buffer.from(this.buf);
    this.buf = Buffer.alloc(0);
    return partial;
  }

  private drop(n: number, reason: JunkReason): void {
    const bytes = Buffer.from(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    this.onJunk?.(bytes, reason);
  }
}
