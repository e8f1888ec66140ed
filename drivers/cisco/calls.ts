/**
 * The codec's calls as the driver keeps them: built from `Status Call` (a full read replaces the
 * list; feedback carries only what changed and a ghost for a call that went) and the events
 * CallSuccessful and CallDisconnect (which carry the cause). A call that goes emits `call.ended`
 * (CallEnded) once; a dial waits here for its call to connect or end.
 *
 * CauseType (CE API, part B): LocalDisconnect, LocalBusy, LocalReject, RemoteDisconnect, RemoteBusy,
 * RemoteRejected, RemoteNoAnswer, UnknownRemoteSite, NetworkRejected, InsufficientSecurity,
 * CallForwarded, OtherLocal, OtherRemote. `local` is true only for LocalDisconnect and our own hang-up.
 */
import type { CallEnded, CodecCall } from "../codec/vocabulary.js";
import type { Clock, TimerHandle } from "../types.js";
import { isGhost, text, type Tree } from "./replies.js";
import { callStateFrom, protocolFrom } from "./status.js";

interface Tracked {
  call: CodecCall;
  connectedAt?: number;
  /** CauseType (and CauseString) of the CallDisconnect event, once seen. */
  cause?: string;
  causeText?: string;
  /** Why we ended it ourselves: an operator's hang-up, or a dial nobody answered. */
  endedByUs?: "hangup" | "no_answer";
  /** Gone from status; waiting out the grace for its event. */
  graceTimer?: TimerHandle;
  ended?: boolean;
}

export interface CallBookDeps {
  clock: Clock;
  graceMs: number;
  changed(): void;
  ended(e: CallEnded): void;
  /** A call became connected: read its quality now. */
  connected(id: string): void;
}

type Listener = (ev: { type: "state"; call: CodecCall } | { type: "ended"; ended: CallEnded }) => void;

const REFUSED = /^(remotebusy|remoterejected|unknownremotesite|networkrejected|localbusy|localreject|insufficientsecurity|callforwarded)$/i;

/** The closed summary of a call's end. */
export function endReason(cause: string | undefined, connected: boolean, byUs: Tracked["endedByUs"]): CallEnded["reason"] {
  if (byUs === "no_answer") return "no_answer";
  if (byUs === "hangup" || cause === "LocalDisconnect") return "local";
  if (!cause) return "unknown";
  if (/^remotedisconnect$/i.test(cause)) return "remote";
  if (/^remotenoanswer$/i.test(cause)) return "no_answer";
  if (REFUSED.test(cause)) return connected ? "network" : "rejected";
  if (/^other(remote|local)$/i.test(cause)) return connected ? "network" : "rejected";
  return "unknown";
}

export class CallBook {
  private readonly tracked = new Map<string, Tracked>();
  private readonly listeners = new Set<Listener>();

  constructor(private readonly d: CallBookDeps) {}

  list(): CodecCall[] {
    return [...this.tracked.values()].filter((t) => !t.ended && t.graceTimer === undefined).map((t) => ({ ...t.call, ...(t.call.quality ? { quality: t.call.quality } : {}) }));
  }

  get(id: string): CodecCall | undefined {
    const t = this.tracked.get(id);
    return t && !t.ended ? t.call : undefined;
  }

  connectedIds(): string[] {
    return this.list().filter((c) => c.state === "connected").map((c) => c.id);
  }

  /** Every change of a call, and every end; returns the remover. */
  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** `Status.Call` entries; `full`: a complete read, so a known call that is absent has gone. */
  apply(entries: Tree[], full: boolean): void {
    let changed = false;
    const seen = new Set<string>();
    for (const e of entries) {
      const id = typeof e["id"] === "string" ? e["id"] : undefined;
      if (!id) continue;
      seen.add(id);
      if (isGhost(e)) {
        this.gone(id);
        continue;
      }
      changed = this.update(id, e) || changed;
    }
    if (full) for (const [id, t] of this.tracked) if (!seen.has(id) && !t.ended && t.graceTimer === undefined) this.gone(id);
    if (changed) this.d.changed();
  }

  /** A dial answered with its CallId: the call exists even if no feedback said so yet. */
  dialled(id: string, remote: string, protocol: CodecCall["protocol"], rateKbps: number | null): void {
    if (this.tracked.has(id)) return;
    this.tracked.set(id, { call: { id, direction: "outgoing", remote, state: "dialling", protocol, rateKbps, since: this.d.clock.now() } });
    this.d.changed();
  }

  event(name: string, fields: Tree): void {
    const id = text(fields, "CallId");
    if (!id) return;
    const t = this.tracked.get(id);
    if (/^callsuccessful$/i.test(name)) {
      if (t && !t.ended) this.update(id, { Status: "Connected" }) && this.d.changed();
      return;
    }
    if (!/^calldisconnect$/i.test(name) || !t || t.ended) return;
    t.cause = text(fields, "CauseType") ?? "unknown";
    t.causeText = text(fields, "CauseString");
    if (t.graceTimer !== undefined) this.finish(id); // the ghost came first and was waiting for this
  }

  /** We end this call (an operator's hang-up, or a dial given up): the end says local. */
  endingByUs(id: string, why: "hangup" | "no_answer"): void {
    const t = this.tracked.get(id);
    if (t && !t.ended) t.endedByUs = why;
  }

  setQuality(id: string, q: CodecCall["quality"]): void {
    const t = this.tracked.get(id);
    if (!t || t.ended) return;
    if (q) t.call.quality = q;
    else delete t.call.quality;
    this.d.changed();
  }

  /** The link is gone for good (stop): timers off. */
  dispose(): void {
    for (const t of this.tracked.values()) if (t.graceTimer !== undefined) this.d.clock.clearTimeout(t.graceTimer);
    this.tracked.clear();
    this.listeners.clear();
  }

  // ---- internals ----

  private update(id: string, e: Tree): boolean {
    const now = this.d.clock.now();
    let t = this.tracked.get(id);
    const status = text(e, "Status");
    const state = status === undefined ? undefined : callStateFrom(status);
    if (state === "idle") return false;
    if (!t) {
      if (t === undefined && state === undefined && text(e, "Direction") === undefined) return false; // a fragment of a call we never saw
      t = { call: { id, direction: "outgoing", remote: "", state: state ?? "connecting", protocol: "unknown", rateKbps: null, since: now } };
      this.tracked.set(id, t);
    }
    if (t.ended) return false;
    const c = t.call;
    const dir = text(e, "Direction");
    if (dir) c.direction = dir.toLowerCase() === "incoming" ? "incoming" : "outgoing";
    const remote = text(e, "RemoteNumber") ?? text(e, "CallbackNumber");
    if (remote) c.remote = remote;
    const name = text(e, "DisplayName");
    if (name) c.remoteName = name;
    const proto = text(e, "Protocol");
    if (proto) c.protocol = protocolFrom(proto);
    const rate = Number(text(e, "TransmitCallRate") ?? text(e, "ReceiveCallRate") ?? NaN);
    if (Number.isFinite(rate) && rate > 0) c.rateKbps = rate;
    if (state && state !== c.state) {
      c.state = state;
      c.since = now;
      if (state === "connected") {
        t.connectedAt ??= now;
        this.d.connected(id);
      }
    }
    this.tell({ type: "state", call: { ...c } });
    return true;
  }

  private gone(id: string): void {
    const t = this.tracked.get(id);
    if (!t || t.ended || t.graceTimer !== undefined) return;
    if (t.cause !== undefined || this.d.graceMs === 0) return this.finish(id);
    t.graceTimer = this.d.clock.setTimeout(() => this.finish(id), this.d.graceMs);
    this.d.changed(); // it leaves the state's list now
  }

  private finish(id: string): void {
    const t = this.tracked.get(id);
    if (!t || t.ended) return;
    if (t.graceTimer !== undefined) this.d.clock.clearTimeout(t.graceTimer);
    delete t.graceTimer;
    t.ended = true;
    this.tracked.delete(id);
    const connected = t.connectedAt !== undefined;
    const ended: CallEnded = {
      callId: id,
      remote: t.call.remote,
      direction: t.call.direction,
      local: t.endedByUs !== undefined || t.cause === "LocalDisconnect",
      cause: t.cause ? (t.causeText ? `${t.cause}: ${t.causeText}` : t.cause) : "removed without a CallDisconnect event",
      reason: endReason(t.cause, connected, t.endedByUs),
      connectedMs: connected ? Math.max(0, this.d.clock.now() - t.connectedAt!) : 0,
    };
    this.d.ended(ended);
    this.tell({ type: "ended", ended });
    this.d.changed();
  }

  private tell(ev: Parameters<Listener>[0]): void {
    for (const l of [...this.listeners]) l(ev);
  }
}
