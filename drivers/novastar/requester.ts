/**
 * One request at a time on a NovaStar link, matched to its reply by serial number.
 *
 * Rules:
 * - Requests queue; the next is sent when the current one settles (reply, timeout, abort).
 * - A reply matches only the request in flight with the same serial, register and op; anything
 *   else (a late reply after a timeout, a wrong serial) is discarded and counted, never matched.
 * - Every request has a deadline: `timeoutMs` from the moment it is sent, and the caller's
 *   absolute `deadline` (which also bounds the time spent queued).
 * - Status bytes other than 00 reject with a DeviceError: 01 `timeout`, 02/03 `device_error`
 *   (check_error), 04 `device_error` (bad_command); the details carry the device status.
 */
import type { Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import { encodeRead, encodeWrite, hexRegister, statusName, type NovaFrame, type Op, type Target } from "./codec.js";

export interface RequestSpec {
  op: Op;
  target: Target;
  register: number;
  /** Bytes to read (read) — ignored for writes, whose length is `data.length`. */
  length?: number;
  data?: Buffer;
}

export interface RequestOptions {
  timeoutMs: number;
  /** Absolute clock time by which the request must settle, queue time included. */
  deadline?: number;
  signal?: AbortSignal;
}

export type DiscardReason = "wrong_serial" | "unsolicited" | "mismatch";

export interface RequesterDeps {
  clock: Clock;
  write(frame: Buffer): Promise<void>;
  /** A reply that matched nothing (already counted). */
  onDiscard?(frame: NovaFrame, reason: DiscardReason): void;
  /** The request in flight got no reply in time (the driver drops partial bytes). */
  onReplyTimeout?(): void;
}

interface Job {
  spec: RequestSpec;
  opts: RequestOptions;
  resolve(frame: NovaFrame): void;
  reject(err: unknown): void;
  serial?: number;
  timer?: TimerHandle;
  onAbort?: () => void;
}

export class NovaRequester {
  /** Replies thrown away: `wrong_serial`, `unsolicited` (nothing in flight), `mismatch` (other register/op). */
  readonly discarded: Record<DiscardReason, number> = { wrong_serial: 0, unsolicited: 0, mismatch: 0 };
  private readonly queue: Job[] = [];
  private current: Job | null = null;
  private nextSerial = 0;

  constructor(private readonly deps: RequesterDeps) {}

  /** Sends `spec` when the link is free; resolves with the reply (status 00), rejects with a DeviceError. */
  request(spec: RequestSpec, opts: RequestOptions): Promise<NovaFrame> {
    return new Promise<NovaFrame>((resolve, reject) => {
      const job: Job = { spec, opts, resolve, reject };
      if (opts.signal?.aborted) {
        reject(new DeviceError("cancelled", "request cancelled before it was sent"));
        return;
      }
      if (opts.signal) {
        job.onAbort = () => this.finish(job, new DeviceError("cancelled", "request cancelled"));
        opts.signal.addEventListener("abort", job.onAbort, { once: true });
      }
      if (opts.deadline !== undefined) {
        const left = opts.deadline - this.deps.clock.now();
        if (left <= 0) {
          if (job.onAbort) opts.signal?.removeEventListener("abort", job.onAbort);
          reject(new DeviceError("timeout", "the deadline passed before the request was sent", { stage: "queue" }));
          return;
        }
        job.timer = this.deps.clock.setTimeout(() => {
          this.finish(job, new DeviceError("timeout", "the deadline passed while the request waited for the link", { stage: "queue" }));
        }, left);
      }
      this.queue.push(job);
      this.pump();
    });
  }

  /** Feeds a decoded reply. */
  handle(frame: NovaFrame): void {
    const job = this.current;
    if (!job || job.serial === undefined) return this.discard(frame, "unsolicited");
    if (frame.serial !== job.serial) return this.discard(frame, "wrong_serial");
    if (frame.register !== job.spec.register || frame.op !== job.spec.op) return this.discard(frame, "mismatch");
    if (frame.status === 0) {
      if (job.spec.op === "read" && frame.data.length < (job.spec.length ?? 1)) {
        this.finish(job, new DeviceError("device_error", `short read reply from ${hexRegister(frame.register)}: ${frame.data.length} bytes`, {
          novastar: "short_reply", register: hexRegister(frame.register), serial: frame.serial,
        }));
        return;
      }
      this.finish(job, null, frame);
      return;
    }
    this.finish(job, statusError(frame));
  }

  /** Rejects everything queued or in flight (link lost, driver stopped). */
  clear(err: DeviceError): void {
    const jobs = [...(this.current ? [this.current] : []), ...this.queue];
    for (const job of jobs) this.finish(job, err);
  }

  /** True while a request is in flight. */
  get busy(): boolean {
    return this.current !== null;
  }

  private pump(): void {
    if (this.current) return;
    const job = this.queue.shift();
    if (!job) return;
    this.current = job;
    const serial = this.nextSerial;
    this.nextSerial = (this.nextSerial + 1) & 0xff;
    job.serial = serial;
    const { spec } = job;
    const frame =
      spec.op === "read"
        ? encodeRead(serial, spec.target, spec.register, spec.length ?? 1)
        : encodeWrite(serial, spec.target, spec.register, spec.data ?? Buffer.alloc(0));
    const now = this.deps.clock.now();
    const wait = Math.min(job.opts.timeoutMs, job.opts.deadline === undefined ? Infinity : job.opts.deadline - now);
    if (job.timer !== undefined) this.deps.clock.clearTimeout(job.timer);
    job.timer = this.deps.clock.setTimeout(() => {
      this.deps.onReplyTimeout?.();
      this.finish(job, new DeviceError("timeout", `no reply from the controller within ${Math.round(wait)} ms (register ${hexRegister(spec.register)})`, {
        stage: "reply", register: hexRegister(spec.register), serial,
      }));
    }, Math.max(0, wait));
    this.deps.write(frame).catch((e: unknown) => {
      this.finish(job, new DeviceError("not_connected", `write failed: ${e instanceof Error ? e.message : String(e)}`));
    });
  }

  private finish(job: Job, err: unknown, frame?: NovaFrame): void {
    const queued = this.queue.indexOf(job);
    if (queued >= 0) this.queue.splice(queued, 1);
    else if (this.current !== job) return; // already settled
    if (job.timer !== undefined) this.deps.clock.clearTimeout(job.timer);
    if (job.onAbort) job.opts.signal?.removeEventListener("abort", job.onAbort);
    if (this.current === job) this.current = null;
    if (err) job.reject(err);
    else job.resolve(frame!);
    this.pump();
  }

  private discard(frame: NovaFrame, reason: DiscardReason): void {
    this.discarded[reason]++;
    this.deps.onDiscard?.(frame, reason);
  }
}

/** The DeviceError for a reply whose status byte is not 00. */
export function statusError(frame: NovaFrame): DeviceError {
  const name = statusName(frame.status);
  const details = { deviceStatus: frame.status, status: name, register: hexRegister(frame.register), serial: frame.serial };
  const where = `register ${hexRegister(frame.register)}`;
  switch (name) {
    case "timeout":
      return new DeviceError("timeout", `the controller reported a timeout (status 01) on ${where}: the receiving cards did not answer`, details);
    case "check_error":
      return new DeviceError("device_error", `the controller reported a check error (status 0${frame.status}) on ${where}: the request arrived corrupted`, { ...details, code: "check_error" });
    case "bad_command":
      return new DeviceError("device_error", `the controller refused the command (status 04, bad command) on ${where}: check the controller model`, { ...details, code: "bad_command" });
    default:
      return new DeviceError("device_error", `the controller answered with unknown status 0x${frame.status.toString(16)} on ${where}`, { ...details, code: "unknown_status" });
  }
}
