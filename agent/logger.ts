/**
 * The agent's pino logger. Secrets never reach a log line: known secret-bearing keys are redacted
 * wherever they appear (two levels deep), on top of drivers never logging them.
 */
import { pino } from "pino";
import type { Logger } from "../drivers/types.js";

export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "silent";

const SECRET_KEYS = ["password", "passwordFile", "pin", "secret", "token", "key", "psk"];

export const redactPaths = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]);

export function createLogger(opts: { level?: LogLevel; name?: string; destination?: NodeJS.WritableStream | number } = {}): Logger {
  const dest = opts.destination ?? 1;
  const stream = typeof dest === "number" ? pino.destination({ dest, sync: true }) : dest;
  return pino(
    {
      level: opts.level ?? "info",
      name: opts.name ?? "roomgate",
      redact: { paths: redactPaths, censor: "[redacted]" },
      base: { pid: process.pid },
    },
    stream,
  ) as unknown as Logger;
}
