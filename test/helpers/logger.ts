import type { Logger } from "../../drivers/types.js";

export interface LogRecord { level: string; obj: object | string; msg?: string; bindings: Record<string, unknown> }

/** A logger that records instead of printing, so tests can assert what was logged. */
export function memoryLogger(records: LogRecord[] = [], bindings: Record<string, unknown> = {}): Logger & { records: LogRecord[] } {
  const at = (level: string) => (obj: object | string, msg?: string) => {
    records.push(msg === undefined ? { level, obj, bindings } : { level, obj, msg, bindings });
  };
  return {
    records,
    trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"),
    child: (b) => memoryLogger(records, { ...bindings, ...b }),
  };
}

/** Resolves with the first record (already logged or to come) that matches; bounded, fails with the last lines. */
export function logged(records: LogRecord[], match: (r: LogRecord) => boolean, ms = 5000, what = "a log line"): Promise<LogRecord> {
  const past = records.find(match);
  if (past) return Promise.resolve(past);
  return new Promise((resolve, reject) => {
    const push = records.push;
    const restore = () => {
      records.push = push;
    };
    const timer = setTimeout(() => {
      restore();
      reject(new Error(`no ${what} within ${ms} ms; last: ${JSON.stringify(records.slice(-5))}`));
    }, ms);
    records.push = (...items: LogRecord[]) => {
      const n = push.apply(records, items);
      const hit = items.find(match);
      if (hit) {
        clearTimeout(timer);
        restore();
        resolve(hit);
      }
      return n;
    };
  });
}
