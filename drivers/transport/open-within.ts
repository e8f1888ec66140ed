/**
 * Every driver's start(): open the transport, but wait at most `timeoutMs`. An absent device must not
 * hang start() (the transport keeps reconnecting in the background and the driver reports
 * `unreachable`); only a transport that can never open (bad config) is an error, reported through
 * `neverOpens` (set health, tear down) and then rejected as a DeviceError `invalid_args`. A rejection
 * that comes after the timeout still runs `neverOpens`, so health says why.
 */
import { DeviceError, type Clock, type TimerHandle } from "../types.js";
import type { Transport } from "./types.js";

export async function openWithin(
  transport: Transport,
  clock: Clock,
  timeoutMs: number,
  neverOpens: (message: string) => Promise<void>,
): Promise<"open" | "timeout"> {
  let timer: TimerHandle | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = clock.setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const open = transport.open().then(
    () => "open" as const,
    async (e: unknown) => {
      const message = e instanceof Error ? e.message : String(e);
      await neverOpens(message);
      throw new DeviceError("invalid_args", `transport cannot open: ${message}`);
    },
  );
  try {
    return await Promise.race([open, timeout]);
  } finally {
    clock.clearTimeout(timer);
    open.catch(() => undefined); // a late rejection after the timeout is already reported in health
  }
}
