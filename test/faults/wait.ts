/**
 * Bounded waits on events for the fault suite: every wait has a deadline and fails saying what it
 * waited for (never a fixed sleep).
 */
import type { EventEmitter } from "node:events";
import type { LogRecord } from "../helpers/logger.js";
import { memoryLogger } from "../helpers/logger.js";
import type { Logger } from "../../drivers/types.js";

/** Rejects with `what` when `p` has not settled within `ms` (real time). */
export function within<T>(p: Promise<T>, ms: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const say = (): string => (typeof what === "string" ? what : what());
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${say()}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The next `event` of `emitter` whose args match, within `ms`. */
export function nextEvent<A extends unknown[]>(
  emitter: Pick<EventEmitter, "on" | "off">,
  event: string,
  ms: number,
  match: (...args: A) => boolean = () => true,
): Promise<A> {
  let on: ((...args: A) => void) | undefined;
  const p = new Promise<A>((resolve) => {
    on = (...args: A) => {
      if (match(...args)) resolve(args);
    };
    emitter.on(event, on as (...a: unknown[]) => void);
  });
  return within(p, ms, `"${event}"`).finally(() => emitter.off(event, on as (...a: unknown[]) => void));
}

/** A memory logger whose records can be awaited (the agent's own log as an event source). */
export interface WatchedLogger extends Logger {
  readonly records: LogRecord[];
  /** The first record from index `from` on (past or future) that matches. */
  waitFor(match: (r: LogRecord) => boolean, ms: number, what: string, from?: number): Promise<LogRecord>;
}

export function watchedLogger(): WatchedLogger {
  const records: LogRecord[] = [];
  const waiters = new Set<{ match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }>();
  // memoryLogger pushes into `records`; a proxy array notifies waiters on every push.
  const observed = new Proxy(records, {
    get(target, prop, receiver) {
      if (prop === "push") {
        return (...items: LogRecord[]) => {
          const n = target.push(...items);
          for (const r of items) {
            for (const w of [...waiters]) {
              if (w.match(r)) {
                waiters.delete(w);
                w.resolve(r);
              }
            }
          }
          return n;
        };
      }
      return Reflect.get(target, prop, receiver) as unknown;
    },
  });
  const base = memoryLogger(observed);
  return Object.assign(base, {
    records,
    waitFor(match: (r: LogRecord) => boolean, ms: number, what: string, from = 0): Promise<LogRecord> {
      const past = records.slice(from).find(match);
      if (past) return Promise.resolve(past);
      let waiter: { match: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void } | undefined;
      const p = new Promise<LogRecord>((resolve) => {
        waiter = { match, resolve };
        waiters.add(waiter);
      });
      return within(p, ms, `log line: ${what}`).finally(() => waiters.delete(waiter!));
    },
  });
}

/** The message of a log record (memoryLogger keeps `msg` apart, or the string itself). */
export const msgOf = (r: LogRecord): string | undefined => r.msg ?? (typeof r.obj === "string" ? r.obj : undefined);
