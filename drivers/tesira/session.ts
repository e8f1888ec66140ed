/**
 * One TTP session over a byte link: telnet filtering (TCP only), line splitting, classification,
 * and the requester. Pure logic over a `write` function and the injected Clock.
 *
 * Rules:
 * - one command on the wire at a time, each with its own deadline; the rest wait in FIFO order;
 * - the next `+OK` / `-...` line answers the command on the wire; `!` pushes, the banner, echoes
 *   and other lines never do;
 * - after a timeout a late answer may still arrive. Once the session has shown that it echoes our
 *   commands, the next command accepts answers only after its own echo, so a late answer is never
 *   taken for the next command's; a session that does not echo cannot be resynchronised this way.
 * Failures are DeviceErrors: `timeout` {stage: "reply"}, `device_error` for `-` lines (details:
 * code, device text, command, tag), `not_connected` for a failed write or a lost link, `cancelled`.
 */
import { abandon, watchAbort } from "../abort.js";
import type { Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import { errorKind, parseLine, type TtpLine, type TtpValue } from "./codec.js";
import { LineSplitter } from "./lines.js";
import { TelnetFilter, type TelnetNegotiation } from "../telnet.js";

export interface TtpOk {
  fields: Record<string, TtpValue>;
  value: TtpValue | undefined;
  raw: string;
}

export interface SessionHandlers {
  onPush(token: string, value: TtpValue | undefined): void;
  /** The Welcome banner: a new session, or the DSP rebooted. */
  onBanner(): void;
  /** A well-formed line from the device: proof of life. */
  onContact(): void;
  onNegotiation?(n: TelnetNegotiation[]): void;
  /** A line over the length limit was dropped. */
  onDropped(bytes: number): void;
  /** A line that looked like a response or push but did not parse. */
  onGarbled(line: string, reason: string): void;
  /** An echo or other line that is not for us (counted, not an error). */
  onIgnored(line: string): void;
  /** An answer with no command waiting for it (late after a timeout). */
  onUnmatched(line: string): void;
}

export interface SessionOptions {
  clock: Clock;
  write(bytes: Buffer): Promise<void>;
  handlers: SessionHandlers;
  maxLineLength?: number;
}

export interface RequestOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

interface Pending {
  line: string;
  timeoutMs: number;
  resolve(ok: TtpOk): void;
  reject(err: DeviceError): void;
  timer?: TimerHandle;
  echoed: boolean;
  detachAbort?: () => void;
}

export class TtpSession {
  /** Telnet filtering on (TCP) or off (serial). Set by the driver when the link opens. */
  telnet = false;
  private readonly clock: Clock;
  private readonly writeFn: (bytes: Buffer) => Promise<void>;
  private readonly h: SessionHandlers;
  private readonly filter = new TelnetFilter();
  private readonly splitter: LineSplitter;
  private readonly queue: Pending[] = [];
  private current: Pending | null = null;
  /** The session echoes our commands (seen at least once on this link). */
  private echoes = false;
  /** A request timed out: its answer may still come. */
  private resync = false;

  constructor(opts: SessionOptions) {
    this.clock = opts.clock;
    this.writeFn = opts.write;
    this.h = opts.handlers;
    this.splitter = new LineSplitter(opts.maxLineLength ?? 4096);
    this.splitter.onDrop = (bytes) => this.h.onDropped(bytes);
  }

  /** Bytes from the link. */
  receive(chunk: Buffer): void {
    let data = chunk;
    if (this.telnet) {
      const r = this.filter.push(chunk);
      if (r.negotiations.length > 0) this.h.onNegotiation?.(r.negotiations);
      if (r.reply) this.writeFn(r.reply).catch(() => undefined); // a dead link shows up in transport status
      data = r.data;
    }
    for (const line of this.splitter.push(data)) this.onLine(line);
  }

  /** Sends one command line (without LF); resolves with its `+OK`. */
  request(line: string, opts: RequestOptions): Promise<TtpOk> {
    return new Promise<TtpOk>((resolve, reject) => {
      const p: Pending = { line: line.trim(), timeoutMs: opts.timeoutMs, resolve, reject, echoed: false };
      if (!watchAbort(p, opts.signal, (err) => abandon(this.queue, p, err))) return;
      this.queue.push(p);
      this.pump();
    });
  }

  /** Commands queued or on the wire. */
  get pending(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  /** The link went away (or a new one opened): drop partial input and fail everything pending. */
  resetLink(err: DeviceError): void {
    this.filter.reset();
    this.splitter.reset();
    this.echoes = false;
    this.resync = false;
    this.clear(err);
  }

  clear(err: DeviceError): void {
    const all = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = null;
    for (const p of all) this.settle(p, err);
  }

  // ---- internals ----

  private onLine(raw: string): void {
    const line = parseLine(raw);
    switch (line.type) {
      case "push":
        this.h.onContact();
        this.h.onPush(line.token, line.value);
        if (line.withOk) this.answer(line);
        return;
      case "banner":
        this.h.onContact();
        this.h.onBanner();
        return;
      case "ok":
      case "error":
        this.h.onContact();
        this.answer(line);
        return;
      case "garbled":
        this.h.onGarbled(raw, line.reason);
        return;
      case "other":
        if (this.current && raw.trim() === this.current.line) {
          this.echoes = true;
          this.current.echoed = true;
          return;
        }
        this.h.onIgnored(raw);
    }
  }

  private answer(line: TtpLine): void {
    const p = this.current;
    if (!p || (this.resync && this.echoes && !p.echoed)) {
      this.h.onUnmatched(line.raw);
      return;
    }
    this.resync = false;
    this.current = null;
    if (line.type === "error") this.settle(p, toDeviceError(line, p.line));
    else if (line.type === "ok") this.settle(p, undefined, { fields: line.fields, value: line.value, raw: line.raw });
    else this.settle(p, undefined, { fields: {}, value: undefined, raw: line.raw }); // push + OK
    this.pump();
  }

  private pump(): void {
    if (this.current) return;
    const p = this.queue.shift();
    if (!p) return;
    this.current = p;
    p.timer = this.clock.setTimeout(() => {
      if (this.current !== p) return;
      this.current = null;
      this.resync = true;
      this.settle(p, new DeviceError("timeout", `no answer to \`${p.line}\` within ${p.timeoutMs} ms`, { stage: "reply", command: p.line }));
      this.pump();
    }, p.timeoutMs);
    this.writeFn(Buffer.from(`${p.line}\n`, "utf8")).catch((e: unknown) => {
      if (this.current !== p) return;
      this.current = null;
      this.settle(p, new DeviceError("not_connected", `write failed: ${e instanceof Error ? e.message : String(e)}`));
      this.pump();
    });
  }

  private settle(p: Pending, err: DeviceError | undefined, ok?: TtpOk): void {
    if (p.timer !== undefined) this.clock.clearTimeout(p.timer);
    delete p.timer;
    p.detachAbort?.();
    if (err) p.reject(err);
    else p.resolve(ok!);
  }
}

/** A `-ERR ...` / `-CANNOT_DELIVER` line as the operator's error; the device's text is kept whole. */
export function toDeviceError(line: { code: string; text: string; raw: string }, command: string): DeviceError {
  const code = errorKind(line);
  const tag = commandTag(command);
  const device = line.raw.trim();
  const message =
    code === "address_not_found"
      ? `the DSP has no block with instance tag ${JSON.stringify(tag)} (${device})`
      : `the DSP refused \`${command}\`: ${device}`;
  return new DeviceError("device_error", message, { code, device, command, tag });
}

/** The instance tag of a command line (quoted or bare). */
export function commandTag(command: string): string {
  const m = /^"([^"]*)"|^(\S+)/.exec(command.trim());
  return m ? (m[1] ?? m[2] ?? "") : "";
}
