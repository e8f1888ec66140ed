/**
 * Who waits for which answer. ENC/1 answers carry no request id: any ST line answers `$Q,ST` (it is
 * the device's present state), any ID line answers `$Q,ID`, and an ER line refers to the oldest
 * query still unanswered. One query line per kind is outstanding at a time; later askers join it.
 * Every wait has a deadline on the injected clock, and can be cancelled by an AbortSignal.
 */
import type { Clock } from "../types.js";
import { DeviceError } from "../types.js";

export type QueryKind = "ST" | "ID";

interface Waiter {
  resolve(): void;
  reject(err: DeviceError): void;
}

export interface QueryBookDeps {
  clock: Clock;
  /** Puts the query line on the wire; calls `onError` if that fails. */
  send(kind: QueryKind, onError: (err: DeviceError) => void): void;
  /** A query went unanswered past its deadline (health reacts). */
  onTimeout(kind: QueryKind): void;
}

/** At most this many unanswered query lines are remembered for ER matching. */
const MAX_OUTSTANDING = 8;

export class QueryBook {
  private readonly waiters: Record<QueryKind, Set<Waiter>> = { ST: new Set(), ID: new Set() };
  /** Query lines sent and not yet answered, oldest first. */
  private outstanding: QueryKind[] = [];

  constructor(private readonly deps: QueryBookDeps) {}

  /** Resolves on the next answer of `kind`; rejects with `timeout`, `cancelled`, or the send's error. */
  ask(kind: QueryKind, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const { clock } = this.deps;
    return new Promise<void>((resolve, reject) => {
      const set = this.waiters[kind];
      const alreadyAsked = set.size > 0;
      const settle = (): boolean => {
        if (!set.delete(w)) return false;
        clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        return true;
      };
      const w: Waiter = {
        resolve: () => settle() && resolve(),
        reject: (err) => settle() && reject(err),
      };
      const timer = clock.setTimeout(() => {
        if (!settle()) return;
        this.deps.onTimeout(kind);
        reject(new DeviceError("timeout", `the encryptor did not answer $Q,${kind} within ${timeoutMs} ms`, { query: kind }));
      }, timeoutMs);
      const onAbort = () => w.reject(new DeviceError("cancelled", `$Q,${kind} cancelled`));
      signal?.addEventListener("abort", onAbort, { once: true });
      set.add(w);
      if (signal?.aborted) return onAbort();
      if (!alreadyAsked) this.send(kind);
    });
  }

  /** Sends a query line nobody waits for (on link up, after heartbeats resume). */
  send(kind: QueryKind): void {
    this.outstanding.push(kind);
    if (this.outstanding.length > MAX_OUTSTANDING) this.outstanding.shift(); // unanswered ones must not pile up
    this.deps.send(kind, (err) => this.fail(() => err, [kind]));
  }

  /** A line of `kind` arrived: every waiter for it is answered. */
  answer(kind: QueryKind): void {
    const i = this.outstanding.indexOf(kind);
    if (i >= 0) this.outstanding.splice(i, 1);
    for (const w of [...this.waiters[kind]]) w.resolve();
  }

  /** An ER line: the oldest unanswered query is refused (returned, or undefined when none was). */
  refuse(makeErr: (kind: QueryKind) => DeviceError): QueryKind | undefined {
    const kind = this.outstanding.shift();
    if (kind) this.fail(() => makeErr(kind), [kind]);
    return kind;
  }

  /** Fails the waiters of `kinds` (link lost, driver stopped). */
  fail(makeErr: () => DeviceError, kinds: readonly QueryKind[] = ["ST", "ID"]): void {
    for (const k of kinds) for (const w of [...this.waiters[k]]) w.reject(makeErr());
    this.outstanding = this.outstanding.filter((k) => !kinds.includes(k));
  }

  /** Forget unanswered lines (the link came up anew). Waiters keep their deadlines. */
  forgetSent(): void {
    this.outstanding = [];
  }
}
