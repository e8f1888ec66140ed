/**
 * Splits a NovaStar byte stream into frames. Frames have no terminator: a frame is a header
 * (`AA 55` for replies, `55 AA` for requests), 16 bytes of fields, maybe data, and a checksum.
 *
 * Whether data follows depends on the kind of frame and on firmware (a write reply may or may not
 * echo its data), so each header has up to two candidate lengths: with `length` data bytes and
 * without. The expected shape is tried first, then the other; a candidate counts only when its
 * checksum is right. When no candidate fits, the bytes are a checksum error: counted, reported, and
 * the stream resyncs at the next header. Junk before a header is reported as garbage. Never throws.
 *
 * A header whose candidate is still incomplete waits for more bytes, unless a later header in the
 * buffer already holds a complete valid frame (then the first was junk). The driver also calls
 * `reset()` when a request times out, so a corrupt length field can never stall the stream.
 */
import { carriesData, checksum, decodeFrame, FIXED_LENGTH, MIN_FRAME_LENGTH, type FrameKind, type NovaFrame } from "./codec.js";

export type BadBytesReason = "garbage" | "checksum";

export interface FramerStats {
  frames: number;
  checksumErrors: number;
  garbageBytes: number;
}

/** Largest data length believed; longer length fields are corrupt. Register reads are a few bytes. */
export const DEFAULT_MAX_DATA_LENGTH = 1024;
/** Bytes kept while waiting for a frame; beyond this the oldest header is dropped as junk. */
const MAX_BUFFER = 4096;

export class NovaFrameSplitter {
  /** Called with each run of dropped bytes. */
  onBad?: (bytes: Buffer, reason: BadBytesReason) => void;
  readonly stats: FramerStats = { frames: 0, checksumErrors: 0, garbageBytes: 0 };
  private buf: Buffer = Buffer.alloc(0);
  private readonly header: Buffer;

  /** `kind`: what this side receives (`reply` in the driver, `request` in a simulator). */
  constructor(
    readonly kind: FrameKind,
    private readonly maxDataLength = DEFAULT_MAX_DATA_LENGTH,
  ) {
    this.header = Buffer.from(kind === "reply" ? [0xaa, 0x55] : [0x55, 0xaa]);
  }

  /** Feeds bytes; returns the frames they complete, decoded. */
  push(chunk: Buffer): NovaFrame[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const frames: NovaFrame[] = [];
    for (;;) {
      const at = this.buf.indexOf(this.header);
      if (at < 0) {
        // Keep a trailing first header byte: the second may be in the next chunk.
        const keep = this.buf.length > 0 && this.buf[this.buf.length - 1] === this.header[0] ? 1 : 0;
        this.drop(this.buf.length - keep, "garbage");
        break;
      }
      if (at > 0) this.drop(at, "garbage");
      const found = this.frameLength(0);
      if (found === "wait") {
        if (this.buf.length > MAX_BUFFER) {
          this.drop(this.header.length, "checksum");
          continue;
        }
        break;
      }
      if (found === "bad") {
        // Skip only the header: a real frame may start inside the bytes we gave up on.
        this.dropChecksumError();
        continue;
      }
      const frame = decodeFrame(this.buf.subarray(0, found));
      this.buf = this.buf.subarray(found);
      this.stats.frames++;
      frames.push(frame);
    }
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    return frames;
  }

  /** Bytes held for a frame not yet complete. */
  get pending(): number {
    return this.buf.length;
  }

  /** Forgets buffered bytes (after a timeout or a lost link); returns them. */
  reset(): Buffer {
    const partial = this.buf;
    this.buf = Buffer.alloc(0);
    return partial;
  }

  /** Candidate lengths of a frame starting at `start`, the expected shape first. */
  private candidates(start: number): number[] {
    const op = this.buf[start + 10]!;
    const length = this.buf.readUInt16LE(start + 16);
    if (op > 1) return []; // not a frame: the op byte is 00 or 01
    const withData = MIN_FRAME_LENGTH + length;
    const expectData = carriesData(this.kind, op === 0 ? "read" : "write");
    const list: number[] = [];
    const dataOk = length > 0 && length <= this.maxDataLength;
    if (expectData) {
      if (dataOk) list.push(withData);
      list.push(MIN_FRAME_LENGTH);
    } else {
      list.push(MIN_FRAME_LENGTH);
      if (dataOk) list.push(withData);
    }
    return list;
  }

  private validAt(start: number, len: number): boolean {
    const end = start + len;
    if (end > this.buf.length) return false;
    const expected = checksum(this.buf.subarray(start + 2, end - 2));
    return this.buf.readUInt16LE(end - 2) === expected;
  }

  /** A complete valid frame length at `start`, `wait` for more bytes, or `bad`. */
  private frameLength(start: number): number | "wait" | "bad" {
    if (this.buf.length - start < FIXED_LENGTH) return "wait";
    const lens = this.candidates(start);
    for (const len of lens) if (this.validAt(start, len)) return len;
    const incomplete = lens.some((len) => start + len > this.buf.length);
    if (!incomplete) return "bad";
    return this.laterFrameComplete(start) ? "bad" : "wait";
  }

  /** True when a later header in the buffer starts a complete, valid frame. */
  private laterFrameComplete(start: number): boolean {
    for (let j = this.buf.indexOf(this.header, start + 1); j >= 0; j = this.buf.indexOf(this.header, j + 1)) {
      if (this.buf.length - j < MIN_FRAME_LENGTH) return false;
      if (this.candidates(j).some((len) => this.validAt(j, len))) return true;
    }
    return false;
  }

  private dropChecksumError(): void {
    this.stats.checksumErrors++;
    const next = this.buf.indexOf(this.header, 1);
    const trailing = this.buf[this.buf.length - 1] === this.header[0] ? 1 : 0;
    const n = next < 0 ? this.buf.length - trailing : next;
    const bytes = Buffer.from(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    this.onBad?.(bytes, "checksum");
  }

  private drop(n: number, reason: BadBytesReason): void {
    if (n <= 0) return;
    const bytes = Buffer.from(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    if (reason === "garbage") this.stats.garbageBytes += n;
    else this.stats.checksumErrors++;
    this.onBad?.(bytes, reason);
  }
}
