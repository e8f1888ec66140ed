/**
 * The SNMP link to one switch: net-snmp's session (it owns its UDP socket; see index.ts for how that
 * fits the transport contract), wrapped in promises with one request in flight at a time, a deadline
 * on the injected clock, and errors that are values with a code. Nothing net-snmp says is passed on
 * verbatim: some of its messages quote the community (ECommunityNoMatch), so every message here is
 * our own, and any text that still reaches a log goes through `redact`.
 */
import snmp from "net-snmp";
import type { Clock, Logger } from "../types.js";
import { readSecretLine } from "../secret-file.js";
import { DeviceError } from "../types.js";
import { compareOids, suffix, type RawVarbind } from "./codec.js";
import type { SnmpSwitchOptions } from "./options.js";

export type Credentials =
  | { version: "2c"; community: string }
  | { version: "3"; user: string; authProtocol: string; authKey: string; privProtocol: string; privKey: string };

/** The first line of a secret file; a missing or empty one is `invalid_args` naming the option and file, never the content. */
export async function readSecret(file: string, option: string): Promise<string> {
  const line = await readSecretLine(file, option);
  if (line === "") throw new DeviceError("invalid_args", `options.${option}: ${file} is empty`);
  return line;
}

/** Reads the credentials the options name, at every (re)connect: a rotated key needs no restart. */
export async function readCredentials(o: SnmpSwitchOptions): Promise<Credentials> {
  if (o.version === "2c") return { version: "2c", community: await readSecret(o.communityFile!, "communityFile") };
  const [authKey, privKey] = await Promise.all([readSecret(o.authKeyFile!, "authKeyFile"), readSecret(o.privKeyFile!, "privKeyFile")]);
  // USM keys shorter than 8 characters are refused by RFC 3414 §11.2 agents (net-snmp does not check).
  for (const [k, v] of [["authKeyFile", authKey], ["privKeyFile", privKey]] as const) {
    if (v.length < 8) throw new DeviceError("invalid_args", `options.${k}: the passphrase must have at least 8 characters (RFC 3414)`);
  }
  return { version: "3", user: o.user!, authProtocol: o.authProtocol, authKey, privProtocol: o.privProtocol, privKey };
}

export function secretsOf(c: Credentials): string[] {
  return c.version === "2c" ? [c.community] : [c.authKey, c.privKey];
}

/** `text` with every secret replaced by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join("***");
  return out;
}

export interface LinkDeps {
  host: string;
  port: number;
  timeoutMs: number;
  maxVarbinds: number;
  clock: Clock;
  logger: Logger;
}

/** What a link failure says, in our words. */
type Failure = { code: "timeout" | "device_error"; reason: "timeout" | "auth_failed" | "malformed" | "error_status" | "refused" | "socket"; message: string; status?: string };

export class SnmpLink {
  private readonly session: snmp.Session;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** Replies net-snmp could not decode (a truncated or malformed PDU); it then waits for the deadline. */
  private garbled = 0;
  /** The request in flight, failed at once by close() so that no deadline timer outlives the link. */
  private inflight: ((f: Failure) => void) | undefined;

  constructor(
    private readonly deps: LinkDeps,
    private readonly creds: Credentials,
    private readonly onGarbled: () => void,
  ) {
    const options = { port: deps.port, retries: 0, timeout: deps.timeoutMs, backoff: 1, version: creds.version === "2c" ? snmp.Version2c : snmp.Version3, idBitsSize: 32 as const };
    if (creds.version === "2c") {
      this.session = snmp.createSession(deps.host, creds.community, options as snmp.SessionOptions);
    } else {
      const user = {
        name: creds.user,
        level: snmp.SecurityLevel.authPriv,
        authProtocol: (snmp.AuthProtocols as unknown as Record<string, string>)[creds.authProtocol],
        authKey: creds.authKey,
        privProtocol: (snmp.PrivProtocols as unknown as Record<string, string>)[creds.privProtocol],
        privKey: creds.privKey,
      };
      this.session = snmp.createV3Session(deps.host, user as unknown as snmp.User, options as unknown as snmp.SessionOptionsV3);
    }
    // A reply that does not decode is emitted as `error` (unhandled, it would end the process).
    this.session.on("error", () => {
      this.garbled++;
      this.onGarbled();
    });
  }

  /** GET of `oids` in chunks of maxVarbinds; the varbinds in the order asked. */
  async get(oids: readonly string[]): Promise<RawVarbind[]> {
    const out: RawVarbind[] = [];
    for (let i = 0; i < oids.length; i += this.deps.maxVarbinds) {
      const chunk = oids.slice(i, i + this.deps.maxVarbinds);
      out.push(...(await this.request<RawVarbind[]>("get", (cb) => this.session.get(chunk, cb as snmp.GetSetCallback))));
    }
    return out;
  }

  async set(varbinds: { oid: string; type: number; value: number }[]): Promise<void> {
    await this.request("set", (cb) => this.session.set(varbinds as snmp.Varbind[], cb as snmp.GetSetCallback));
  }

  /**
   * The rows under `base` by GETBULK, stopping at the first OID outside it. An agent that answers an
   * OID not after the one asked (a loop) or goes on past `maxRows` ends the walk with what it gave.
   */
  async walk(base: string, maxRows = 2000): Promise<RawVarbind[]> {
    const rows: RawVarbind[] = [];
    let from = base;
    while (rows.length < maxRows) {
      const batch = await this.request<RawVarbind[][]>("walk", (cb) => this.session.getBulk([from], 0, 20, cb as snmp.GetBulkCallback));
      const list = (batch[0] ?? []) as RawVarbind[];
      if (list.length === 0) break;
      for (const vb of list) {
        if (suffix(vb.oid, base) === null || vb.type === 130 || compareOids(vb.oid, from) <= 0) return rows;
        rows.push(vb);
        from = vb.oid;
      }
    }
    return rows;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inflight?.({ code: "device_error", reason: "socket", message: "the SNMP link was closed" });
    try {
      this.session.close();
    } catch (err) {
      // Closing a socket that never bound throws ERR_SOCKET_DGRAM_NOT_RUNNING: nothing left to release.
      this.deps.logger.debug({ err: (err as Error).name }, "snmp session close");
    }
  }

  private request<R>(what: string, send: (cb: (err: Error | null, result?: unknown) => void) => void): Promise<R> {
    const run = this.queue.then(() => this.once<R>(what, send));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private once<R>(what: string, send: (cb: (err: Error | null, result?: unknown) => void) => void): Promise<R> {
    if (this.closed) return Promise.reject(new DeviceError("not_connected", "the SNMP link is closed"));
    const garbledBefore = this.garbled;
    const { clock, timeoutMs } = this.deps;
    return new Promise<R>((resolve, reject) => {
      let settled = false;
      const fail = (f: Failure) => {
        if (settled) return;
        settled = true;
        this.inflight = undefined;
        clock.clearTimeout(guard);
        const details: Record<string, unknown> = { snmp: f.reason };
        if (f.status !== undefined) details.status = f.status;
        reject(new DeviceError(f.code, f.message, details));
      };
      // Our own deadline too: an SNMPv3 request may take two round trips (engine discovery first).
      const guard = clock.setTimeout(() => fail(this.timedOut(what, garbledBefore)), timeoutMs + 50);
      this.inflight = fail;
      try {
        send((err, result) => {
          if (settled) return;
          if (err) return fail(this.classify(err, what, garbledBefore));
          settled = true;
          this.inflight = undefined;
          clock.clearTimeout(guard);
          resolve(result as R);
        });
      } catch (err) {
        fail({ code: "device_error", reason: "socket", message: `SNMP ${what} could not be sent (${(err as NodeJS.ErrnoException).code ?? (err as Error).name})` });
      }
    });
  }

  private timedOut(what: string, garbledBefore: number): Failure {
    if (this.garbled > garbledBefore) return { code: "device_error", reason: "malformed", message: `the switch's reply to ${what} could not be decoded (truncated or malformed PDU)` };
    return { code: "timeout", reason: "timeout", message: `no SNMP answer to ${what} within ${this.deps.timeoutMs} ms` };
  }

  private classify(err: Error, what: string, garbledBefore: number): Failure {
    const e = err as Error & { code?: unknown; status?: unknown };
    switch (e.name) {
      case "RequestTimedOutError":
        return this.timedOut(what, garbledBefore);
      case "RequestFailedError": {
        const status = typeof e.status === "number" ? ((snmp.ErrorStatus as unknown as Record<number, string>)[e.status] ?? String(e.status)) : "unknown";
        return { code: "device_error", reason: "error_status", status, message: `the switch refused ${what}: ${status}` };
      }
      case "ResponseInvalidError": {
        const c = e.code;
        if (c === 5 || c === 4 || c === "EAuthFailure" || c === "ECouldNotDecrypt") {
          return { code: "device_error", reason: "auth_failed", message: `the switch refused the SNMPv3 credentials (${c === 4 || c === "ECouldNotDecrypt" ? "decryption failed" : usmReason(e.message)})` };
        }
        return { code: "device_error", reason: "malformed", message: `the switch's reply to ${what} was not a valid answer (${typeof c === "number" ? ((snmp.ResponseInvalidCode as unknown as Record<number, string>)[c] ?? c) : "invalid"})` };
      }
      default:
        return { code: "device_error", reason: "socket", message: `SNMP ${what} failed (${(e as NodeJS.ErrnoException).code ?? e.name})` };
    }
  }
}

/** net-snmp's USM report text is one of a fixed list (index.js UsmStats): pass only a known one. */
function usmReason(message: string): string {
  const known = ["Unsupported Security Level", "Not In Time Window", "Unknown User Name", "Unknown Engine ID", "Wrong Digest", "Decryption Error"];
  return known.find((k) => message.startsWith(k))?.toLowerCase() ?? "usm report";
}
