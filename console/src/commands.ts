/**
 * Commands the operator sends, and what became of each: pending until the agent's response arrives
 * on res/{user} (ok, error with its code and message, rejected, expired, or the agent's timeout),
 * or until we give up waiting (`timeout`, code `no_answer`). Nothing is shown as done before the
 * agent says so. Every command carries `expiresAt` at the moment we stop waiting, so a command
 * stuck in a queue during an outage is answered `expired` and never runs minutes later.
 * Time is injected (tests drive it with fake timers).
 */
import { topics } from "./topics.js";

export type CommandStatus = "pending" | "ok" | "error" | "rejected" | "expired" | "timeout";

export interface CommandRecord {
  readonly id: string;
  /** The control it belongs to (e.g. `district-07/cam-main/preset`): the page shows its latest. */
  readonly key: string;
  readonly site: string;
  readonly device: string | undefined;
  readonly action: string;
  readonly args: Record<string, unknown>;
  readonly sentAt: number;
  status: CommandStatus;
  answeredAt?: number;
  error?: { code: string; message: string };
  data?: unknown;
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface CommandDeps {
  user: string;
  /** Publishes QoS 1; rejects when the message could not be sent. */
  publish(topic: string, payload: string): Promise<void>;
  clock: Clock;
  onChange(): void;
}

/** How long to wait for an answer: the agent's own deadline (10 s by default) plus the trip. */
export const DEFAULT_WAIT_MS = 20_000;
/** Actions that run past the agent's command timeout (their deadline is their own). */
const LONG_ACTIONS: Record<string, number> = { "readiness.run": 120_000, "scene.run": 120_000 };

export function waitFor(action: string): number {
  return LONG_ACTIONS[action] ?? DEFAULT_WAIT_MS;
}

function randomId(): string {
  const bytes = new Uint8Array(6);
  globalThis.crypto.getRandomValues(bytes);
  return `con-${[...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}

export class Commands {
  private readonly open = new Map<string, { rec: CommandRecord; timer: unknown; then: ((rec: CommandRecord) => void) | undefined }>();
  private readonly latestByKey = new Map<string, CommandRecord>();
  private seq = 0;
  private readonly prefix = randomId();

  constructor(private readonly deps: CommandDeps) {}

  /**
   * Sends a command; the record is pending until the agent answers or we stop waiting. `then` runs
   * once it is settled (a camera nudge sends its `stop` after the `move` was answered).
   */
  send(key: string, site: string, device: string | undefined, action: string, args: Record<string, unknown> = {}, then?: (rec: CommandRecord) => void): CommandRecord {
    const now = this.deps.clock.now();
    const wait = waitFor(action);
    const id = `${this.prefix}-${++this.seq}`;
    const rec: CommandRecord = { id, key, site, device, action, args, sentAt: now, status: "pending" };
    const body: Record<string, unknown> = { id, action, args, expiresAt: now + wait };
    if (device !== undefined) body.device = device;
    const timer = this.deps.clock.setTimeout(
      () => this.settle(id, "timeout", { error: { code: "no_answer", message: `no answer from the agent of ${site} within ${Math.round(wait / 1000)} s` } }),
      wait,
    );
    this.open.set(id, { rec, timer, then });
    this.latestByKey.set(key, rec);
    this.deps.publish(topics.cmd(site, this.deps.user), JSON.stringify(body)).catch((err: unknown) => {
      this.settle(id, "error", { error: { code: "not_sent", message: err instanceof Error ? err.message : String(err) } });
    });
    this.deps.onChange();
    return rec;
  }

  /** A message on res/{user} of `site`. True when it answered one of ours. */
  answer(site: string, payload: string): boolean {
    let res: { id?: unknown; status?: unknown; error?: { code?: unknown; message?: unknown }; data?: unknown };
    try {
      res = JSON.parse(payload) as typeof res;
    } catch {
      return false; // not a response we can read; the agent answers ours in JSON
    }
    const open = typeof res.id === "string" ? this.open.get(res.id) : undefined;
    if (open === undefined || open.rec.site !== site) return false;
    const status = (["ok", "error", "rejected", "expired", "timeout"] as const).find((s) => s === res.status) ?? "error";
    const error = res.error === undefined ? undefined : { code: String(res.error.code ?? "error"), message: String(res.error.message ?? "") };
    this.settle(open.rec.id, status, { error, data: res.data });
    return true;
  }

  latest(key: string): CommandRecord | undefined {
    return this.latestByKey.get(key);
  }

  isPending(key: string): boolean {
    return this.latestByKey.get(key)?.status === "pending";
  }

  /** Stops waiting for everything (logout). */
  stop(): void {
    for (const { timer } of this.open.values()) this.deps.clock.clearTimeout(timer);
    this.open.clear();
  }

  private settle(id: string, status: CommandStatus, extra: { error?: { code: string; message: string } | undefined; data?: unknown }): void {
    const open = this.open.get(id);
    if (open === undefined) return;
    this.deps.clock.clearTimeout(open.timer);
    this.open.delete(id);
    open.rec.status = status;
    open.rec.answeredAt = this.deps.clock.now();
    if (extra.error !== undefined) open.rec.error = extra.error;
    if (extra.data !== undefined) open.rec.data = extra.data;
    this.deps.onChange();
    open.then?.(open.rec);
  }
}
