/**
 * Splits a VISCA byte stream into frames. A frame starts with a byte whose high bit is set
 * (`8x`, `9x`, `A0`..) and ends with `FF`; it is 3..16 bytes long (shorter ones are still emitted:
 * the decoders classify them). Data bytes may have the high bit set too (preset numbers >= 0x80),
 * so inside a frame only `FF` ends it; a frame whose `FF` was lost therefore merges with the next
 * one, as on real hardware, and the stream resyncs at the following `FF`.
 */
import { Transform, type TransformCallback } from "node:stream";

/** Why bytes were dropped: before any header, or 16 bytes passed without an `FF`. */
export type GarbageReason = "no_header" | "too_long";

export const MAX_FRAME_LENGTH = 16;

/** The pure splitter; `ViscaFramer` wraps it as a stream. Never throws. */
export class FrameSplitter {
  /** Called with each run of dropped bytes. */
  onGarbage?: (bytes: Buffer, reason: GarbageReason) => void;
  private frame: number[] = [];
  private garbage: number[] = [];

  /** Feeds bytes; returns the frames they complete (each a fresh Buffer ending in `FF`). */
  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    for (const b of chunk) {
      if (this.frame.length === 0) {
        if (b < 0x80 || b === 0xff) {
          this.garbage.push(b);
          continue;
        }
        this.flushGarbage();
        this.frame.push(b);
        continue;
      }
      this.frame.push(b);
      if (b === 0xff) {
        frames.push(Buffer.from(this.frame));
        this.frame = [];
      } else if (this.frame.length >= MAX_FRAME_LENGTH) {
        // 16 bytes and still no FF: this cannot be a frame. Drop it and look for the next header.
        this.drop(Buffer.from(this.frame), "too_long");
        this.frame = [];
      }
    }
    this.flushGarbage();
    return frames;
  }

  /** Bytes of the frame in progress (not yet terminated). */
  get pending(): number {
    return this.frame.length;
  }

  /** Forgets the frame in progress (e.g. when the line was unplugged); returns its bytes. */
  reset(): Buffer {
    const partial = Buffer.from(this.frame);
    this.frame = [];
    this.garbage = [];
    return partial;
  }

  private flushGarbage(): void {
    if (this.garbage.length === 0) return;
    const bytes = Buffer.from(this.garbage);
    this.garbage = [];
    this.drop(bytes, "no_header");
  }

  private drop(bytes: Buffer, reason: GarbageReason): void {
    this.onGarbage?.(bytes, reason);
  }
}

export interface ViscaFramerEvents {
  garbage: [bytes: Buffer, reason: GarbageReason];
}

/**
 * Transform: bytes in, one Buffer per frame out (readable object mode). Dropped bytes are reported
 * through the `garbage` event; the stream never errors on bad input.
 */
export class ViscaFramer extends Transform {
  readonly splitter = new FrameSplitter();

  constructor() {
    super({ readableObjectMode: true });
    this.splitter.onGarbage = (bytes, reason) => this.emit("garbage", bytes, reason);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    for (const frame of this.splitter.push(chunk)) this.push(frame);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    // A frame cut off by the end of the stream is garbage too: say so rather than lose it silently.
    const partial = this.splitter.reset();
    if (partial.length > 0) this.emit("garbage", partial, "no_header");
    callback();
  }
}

export interface ViscaFramer {
  on(event: "garbage", listener: (bytes: Buffer, reason: GarbageReason) => void): this;
  on(event: "data", listener: (frame: Buffer) => void): this;
  on(event: string | symbol, listener: (...args: any[]) => void): this;
}
