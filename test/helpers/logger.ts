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
