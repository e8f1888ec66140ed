/**
 * The driver's one and only way to put bytes on the encryptor's line.
 *
 * `QueryLink.send` takes the closed union `Enc1Query` ({query:"ST"} | {query:"ID"} | {ack:n}) and
 * encodes it with `encodeQuery`; the transport is private to this module and no other function in
 * drivers/enc1 calls `write`. readonly.test.ts proves both: it drives the driver through every
 * path and checks every written byte, and it scans the module's sources for other writes.
 */
import type { Transport } from "../transport/types.js";
import { DeviceError, type Clock, type TimerHandle } from "../types.js";
import { encodeQuery, type Enc1Query } from "./codec.js";

/**
 * Acks not yet written; beyond this an ack is skipped (a flood of status lines must not queue
 * writes without end). Queries are not limited: at most one per kind is outstanding.
 */
export const MAX_PENDING_WRITES = 16;

export interface QueryLink {
  /** Sends one query or ack line. Rejects with DeviceError `not_connected` (link down) or `busy` (an ack while too many are queued). */
  send(q: Enc1Query): Promise<void>;
  readonly pending: number;
}

export function createQueryLink(transport: Transport): QueryLink {
  let pending = 0;
  return {
    get pending() {
      return pending;
    },
    async send(q) {
      const bytes = encodeQuery(q);
      if (transport.state !== "open") throw new DeviceError("not_connected", `${transport.description} is ${transport.state}`);
      if ("ack" in q && pending >= MAX_PENDING_WRITES) throw new DeviceError("busy", `${pending} writes already queued to ${transport.description}; ack skipped`);
      pending++;
      try {
        await transport.write(bytes);
      } catch (e) {
        throw new DeviceError("not_connected", `write to ${transport.description} failed: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        pending--;
      }
    },
  };
}

/**
 * Opens the transport, waiting at most `timeoutMs`: an absent device must not hang start() (the
 * transport keeps retrying in the background). Rejects only for a transport that can never open.
 */
export async function openWithin(
  transport: Transport,
  clock: Clock,
  timeoutMs: number,
  onLateError: (e: unknown) => void,
): Promise<"open" | "timeout"> {
  let timer: TimerHandle;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = clock.setTimeout(() => resolve("timeout"), timeoutMs);
  });
  let settled = false;
  const open = transport.open().then(() => "open" as const);
  open.catch((e: unknown) => {
    if (settled) onLateError(e); // before settling, the race below rejects with it
  });
  try {
    return await Promise.race([open, timeout]);
  } finally {
    settled = true;
    clock.clearTimeout(timer!);
  }
}
