/**
 * `roomgate reflector`: runs the STAMP / TWAMP-light reflector (drivers/stamp/reflector.ts) until
 * SIGINT or SIGTERM, then logs a last summary. Its options: cli/specs/reflector.ts.
 */
import { createLogger, type LogLevel } from "../agent/logger.js";
import { AllowListError, DEFAULT_REFLECTOR_PORT, startReflector } from "../drivers/stamp/reflector.js";
import { portArg, untilSignal, UsageError } from "./args.js";
import { parseCommand } from "./spec.js";
import { reflectorSpec } from "./specs/reflector.js";

const LEVELS: readonly LogLevel[] = ["trace", "debug", "info", "warn", "error", "silent"];

export async function reflectorCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(reflectorSpec, argv);
  const port = portArg(values.port, DEFAULT_REFLECTOR_PORT);
  const summaryMs = Number(values["summary-ms"] ?? 60_000);
  if (!Number.isInteger(summaryMs) || summaryMs < 0) throw new UsageError(`--summary-ms: expected a whole number of ms (0: none), got "${values["summary-ms"]}"`);
  const level = (values["log-level"] ?? "info") as LogLevel;
  if (!LEVELS.includes(level)) throw new UsageError(`--log-level: expected one of ${LEVELS.join(", ")}, got "${level}"`);
  const allow = (values.allow ?? []).flatMap((a) => a.split(",")).map((a) => a.trim()).filter(Boolean);
  const logger = createLogger({ level, name: "roomgate-reflector" });
  let reflector;
  try {
    reflector = await startReflector({ host: values.host ?? "0.0.0.0", port, allow, summaryMs, logger });
  } catch (err) {
    if (err instanceof AllowListError) throw new UsageError(`--allow: ${err.message}`);
    const e = err as NodeJS.ErrnoException;
    const why = e.code === "EACCES"
      ? `port ${port} is below 1024: run as root or with CAP_NET_BIND_SERVICE, or use an unprivileged port (default ${DEFAULT_REFLECTOR_PORT})`
      : e.code === "EADDRINUSE" ? `UDP port ${port} is taken (another reflector?): choose another with --port` : e.message;
    process.stderr.write(`roomgate reflector: cannot listen on udp ${values.host ?? "0.0.0.0"}:${port}: ${why}\n`);
    return 1;
  }
  const who = allow.length > 0 ? `from ${allow.join(", ")}` : "from everyone";
  process.stderr.write(`roomgate reflector: STAMP/TWAMP-light on udp ${reflector.host}:${reflector.port}, answering ${who}; Ctrl-C stops it\n`);
  await untilSignal();
  const last = reflector.summary();
  await reflector.close();
  const t = last.total;
  process.stderr.write(`roomgate reflector: stopped; ${t.reflected} answered, ${t.malformed} malformed, ${t.refused} refused, ${t.sendErrors} send errors\n`);
  return 0;
}
