/**
 * The Poly API's command requester: one command on the wire at a time, each written `gapMs` after
 * the previous one ended (the API guide asks for 200 ms between commands, P4; P3 uses 300), each
 * with its own deadline. Pure logic over a `write` function and the injected Clock.
 *
 * The device does not tag replies, so every line is offered to the command on the wire, whose
 * `expect` (codec.ts) says whether it belongs to the reply; lines it skips are the caller's (pushed
 * changes, notifications). An echo of the command (SSH shells echo after `-> `) is swallowed.
 * `error: ...` ends any command as `device_error` with the device's words. After a timeout a late
 * reply cannot be taken for the next command's unless it has the same shape (the next command
 * waits `gapMs` too, so a slow reply usually lands in between and is treated as pushed).
 */
import { abandon, watchAbort } from "../abort.js";
import type { Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { PolyCommand } from "./codec.js";
import type { PolyLine } from "./lines.js";

export interface SessionOptions {
  clock: Clock;
  write(bytes: Buffer): Promise<void>;
  /** What ends a command: `\r` (P2, P3) or `\r\n` (P5). */
  lineEnding: string;
  /** Quiet time between the end of one exchange and the next command. */
  gapMs: number;
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Pending {
  cmd: PolyCommand;
  timeoutMs: number;
  lines: PolyLine[];
  resolve(lines: PolyLine[]): void;
  reject(err: DeviceError): void;
  timer?: TimerHandle;
  detachAbort?: () => void;
}

export class PolySession {
  private readonly queue: Pending[] = [];
  private current: Pending | null = null;
  private gapTimer: TimerHandle | undefined;
  /** The next command may be written from this time on (clock ms). */
  private nextAt = -Infinity;
  /** Written commands, for tests and logs. */
  sent = 0;

  constructor(private readonly opts: SessionOptions) {}

  /** Queues a command; resolves with the lines of its reply. */
  request(cmd: PolyCommand, opts: RequestOptions): Promise<PolyLine[]> {
    return new Promise<PolyLine[]>((resolve, reject) => {
      const p: Pending = { cmd, timeoutMs: opts.timeoutMs, lines: [], resolve, reject };
      if (!watchAbort(p, opts.signal, (err) => abandon(this.queue, p, err))) return;
      this.queue.push(p);
      this.pump();
    });
  }

  /** A line from the device: true when it belonged to the command on the wire. */
  offer(line: PolyLine, raw: string): boolean {
    const p = this.current;
    if (!p) return false;
    if (line.kind === "error") {
      this.finish(p, new DeviceError("device_error", `the codec refused \`${p.cmd.text}\`: ${line.text}`, { device: line.text, command: p.cmd.text }));
      return true;
    }
    const verdict = p.cmd.expect(line);
    // An echo is swallowed, unless the reply is the command's own words (`mute near on`): then
    // an echo is taken for the reply, which says the same, and the reply that follows is pushed.
    if (verdict === "skip") return raw === p.cmd.text;
    p.lines.push(line);
    if (verdict === "done") this.finish(p);
    return true;
  }

  /** Commands queued or on the wire. */
  get pending(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  /** The command on the wire, if any (its text). */
  get onWire(): string | undefined {
    return this.current?.cmd.text;
  }

  /** The link went away, or the codec rebooted: fail everything pending. */
  clear(err: DeviceError): void {
    if (this.gapTimer !== undefined) this.opts.clock.clearTimeout(this.gapTimer);
    this.gapTimer = undefined;
    this.nextAt = -Infinity;
    const all = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = null;
    for (const p of all) this.settle(p, err);
  }

  private pump(): void {
    if (this.current || this.gapTimer !== undefined || this.queue.length === 0) return;
    const wait = this.nextAt - this.opts.clock.now();
    if (wait > 0) {
      this.gapTimer = this.opts.clock.setTimeout(() => {
        this.gapTimer = undefined;
        this.pump();
      }, wait);
      return;
    }
    const p = this.queue.shift()!;
    this.current = p;
    p.timer = this.opts.clock.setTimeout(() => {
      if (this.current !== p) return;
      this.finish(p, new DeviceError("timeout", `no answer to \`${p.cmd.text}\` within ${p.timeoutMs} ms`, { stage: "reply", command: p.cmd.text }));
    }, p.timeoutMs);
    this.sent++;
    this.opts.write(Buffer.from(`${p.cmd.text}${this.opts.lineEnding}`, "latin1")).catch((e: unknown) => {
      if (this.current !== p) return;
      this.finish(p, new DeviceError("not_connected", `write failed: ${e instanceof Error ? e.message : String(e)}`));
    });
  }

  /** The exchange on the wire is over: settle it, keep the gap, send the next. */
  private finish(p: Pending, err?: DeviceError): void {
    this.current = null;
    this.nextAt = this.opts.clock.now() + this.opts.gapMs;
    this.settle(p, err);
    this.pump();
  }

  private settle(p: Pending, err: DeviceError | undefined): void {
    if (p.timer !== undefined) this.opts.clock.clearTimeout(p.timer);
    delete p.timer;
    p.detachAbort?.();
    if (err) p.reject(err);
    else p.resolve(p.lines);
  }
}
