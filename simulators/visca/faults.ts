import type { ViscaErrorCode } from "../../drivers/visca/codec.js";

/** The VISCA errors a simulator can be told to answer with. */
export const FAULT_ERROR_CODES: readonly ViscaErrorCode[] = [
  "message_length", "syntax", "buffer_full", "cancelled", "no_socket", "not_executable",
];

/** Fault controls, settable at any time (from tests or `roomgate sim`). */
export interface ViscaFaults {
  /** Answer nothing at all. */
  silent: boolean;
  /** Put junk bytes in front of every reply. */
  garbage: boolean;
  /** Delay every reply by this many ms (0 = off). */
  slowMs: number;
  /** Answer every command (not inquiries) with this error instead of running it. */
  errorReply: ViscaErrorCode | null;
}

/**
 * The camera's faults. Setters check their value (a typo typed at `roomgate sim` is refused with a
 * RangeError there, instead of breaking the camera later); JSON shows the plain values.
 */
export class FaultControls implements ViscaFaults {
  silent = false;
  garbage = false;
  #slowMs = 0;
  #errorReply: ViscaErrorCode | null = null;

  get slowMs(): number {
    return this.#slowMs;
  }
  set slowMs(ms: number) {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`slowMs must be a number >= 0, got ${ms}`);
    this.#slowMs = ms;
  }

  get errorReply(): ViscaErrorCode | null {
    return this.#errorReply;
  }
  set errorReply(code: ViscaErrorCode | null) {
    if (code !== null && !FAULT_ERROR_CODES.includes(code)) {
      throw new RangeError(`unknown VISCA error "${String(code)}"; one of ${FAULT_ERROR_CODES.join(", ")}`);
    }
    this.#errorReply = code;
  }

  toJSON(): ViscaFaults {
    return { silent: this.silent, garbage: this.garbage, slowMs: this.slowMs, errorReply: this.errorReply };
  }
}
