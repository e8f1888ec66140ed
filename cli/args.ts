/** Bad usage: the CLI prints `roomgate <command>: <message> (roomgate <command> --help)` and exits 2. */
export class UsageError extends Error {}

export function defaultBrokerUrl(): string {
  return process.env.ROOMGATE_BROKER ?? "mqtt://127.0.0.1:1883";
}

export function portArg(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port: expected 0..65535, got "${value}"`);
  return n;
}

/** Resolves when SIGINT or SIGTERM arrives (long-running commands wait on this, then stop cleanly). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals) => {
      process.off("SIGINT", on);
      process.off("SIGTERM", on);
      resolve(sig);
    };
    process.on("SIGINT", on);
    process.on("SIGTERM", on);
  });
}
