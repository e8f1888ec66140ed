/**
 * Outstanding OSC queries, matched by reply address.
 *
 * An X32 query is the address alone; the answer is a message with the same address. So there is
 * at most one outstanding query per address: a second caller for the same address shares the
 * first one's answer, unless it asks for a `fresh` answer (after a set), in which case it waits
 * for the outstanding one to settle and then asks again. Every query has a deadline on the
 * injected clock: a silent desk gives DeviceError `timeout`, never a hung promise.
 */
import type { Clock, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import type { OscArg, OscMessage } from "./osc.js";

interface Pending {
  promise: Promise<OscArg[]>;
  resolve(args: OscArg[]): void;
  reject(err: Error): void;
  timer: TimerHandle;
}

export interface QueryOptions {
  timeoutMs: number;
  /** Ask the desk again even when a query for this address is already outstanding. */
  fresh?: boolean;
}

export class QueryBook {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly clock: Clock,
    /** Sends the query datagram; a rejection fails the query. */
    private readonly send: (address: string) => Promise<void>,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  async query(address: string, opts: QueryOptions): Promise<OscArg[]> {
    const existing = this.pending.get(address);
    if (existing) {
      if (!opts.fresh) return existing.promise;
      await existing.promise.catch(() => undefined); // its own caller sees its error
      return this.query(address, opts);
    }
    if (opts.timeoutMs <= 0) throw new DeviceError("timeout", `no time left to query ${address}`, { stage: "reply", address });
    let resolve!: (args: OscArg[]) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<OscArg[]>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const timer = this.clock.setTimeout(() => {
      this.settle(address, new DeviceError("timeout", `the desk did not answer ${address} within ${opts.timeoutMs} ms`, {
        stage: "reply", address,
      }));
    }, opts.timeoutMs);
    this.pending.set(address, { promise, resolve, reject, timer });
    this.send(address).catch((e: unknown) => this.settle(address, asDeviceError(e, address)));
    return promise;
  }

  /** Hands a received message to its query. Returns true when one was waiting for it. */
  deliver(msg: OscMessage): boolean {
    return this.settle(msg.address, msg.args);
  }

  /** Fails every outstanding query (link lost, driver stopped). */
  clear(err: Error): void {
    for (const address of [...this.pending.keys()]) this.settle(address, err);
  }

  private settle(address: string, outcome: OscArg[] | Error): boolean {
    const p = this.pending.get(address);
    if (!p) return false;
    this.pending.delete(address);
    this.clock.clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
    return true;
  }
}

function asDeviceError(e: unknown, address: string): DeviceError {
  if (e instanceof DeviceError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new DeviceError("not_connected", `could not send ${address}: ${message}`, { address });
}
