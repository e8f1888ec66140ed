/**
 * The codec's calls as the driver knows them, kept from what the Poly API tells: `notify
 * callstatus` notifications (with the cause), `callstate register` lines (`cs:`, `active:`,
 * `cleared:`), and the polls' `callinfo all` / `getcallstate`, which also end calls whose end was
 * not heard (a lost notification, a reconnect). Pure logic on the injected clock's time.
 *
 * - States only move forward (dialling < ringing < connecting < connected; P3: states flicker,
 *   connecting -> ringing), except into disconnecting.
 * - Every call that ends is reported once through `onEnded` as the vocabulary's CallEnded:
 *   `local: true` only when this driver hung it up (the API does not say who else did).
 * - A dial waits on `expectDial`: the first outgoing call not known before the dial was sent (the
 *   reply `dialing manual` carries no id) settles it when it connects or ends.
 */
import type { CallEnded, CallQuality, CallState, CodecCall } from "../codec/vocabulary.js";
import type { CallLine, ConnStatus, PolyLine } from "./lines.js";
import type { LossSample } from "./stats.js";

/** Q.850 cause values as a summary ([A]: the API gives `<causecode>`, its values are the ITU's). */
export function causeReason(cause: string): CallEnded["reason"] {
  const n = Number(cause);
  if (!Number.isInteger(n) || cause === "") return "unknown";
  if ([1, 3, 17, 20, 21, 22, 28, 29, 57, 58, 65, 88].includes(n)) return "rejected";
  if (n === 18 || n === 19) return "no_answer";
  if ([27, 34, 38, 41, 42, 44, 47, 102].includes(n)) return "network";
  if (n === 16) return "remote";
  return "unknown";
}

const RANK: Record<CallState, number> = { dialling: 0, ringing: 1, connecting: 2, connected: 3, held: 3, disconnecting: 4 };

/** callinfo / callstatus words; null: the call is over. */
export function connState(c: ConnStatus): CallState | null {
  switch (c) {
    case "opened":
      return "dialling";
    case "ringing":
    case "connecting":
    case "connected":
    case "disconnecting":
      return c;
    default:
      return null;
  }
}

/** `cs:` states (P3, P5; P6 writes them in lower case). Undefined: not a state we move on. */
export function csState(s: string): CallState | undefined {
  switch (s.toUpperCase()) {
    case "ALLOCATED":
      return "dialling";
    case "RINGING":
      return "ringing";
    case "BONDING":
    case "CONNECTING":
      return "connecting";
    case "CONNECTED":
    case "COMPLETE":
      return "connected";
    case "DISCONNECTING":
      return "disconnecting";
    default:
      return undefined;
  }
}

interface Tracked extends CodecCall {
  connectedAt?: number;
  lossSample?: LossSample;
}

export type DialOutcome = { type: "connected"; call: CodecCall } | { type: "ended"; ended: CallEnded };

interface DialWaiter {
  number: string;
  known: Set<string>;
  id?: string;
  settle(o: DialOutcome): void;
}

export class CallBook {
  private readonly calls = new Map<string, Tracked>();
  /** Calls this driver is hanging up, and the reason their end will carry. */
  private readonly localHangups = new Map<string, CallEnded["reason"]>();
  private dialWaiter: DialWaiter | null = null;

  constructor(
    private readonly now: () => number,
    private readonly onEnded: (e: CallEnded) => void,
    private readonly onChange: () => void,
  ) {}

  list(): CodecCall[] {
    return [...this.calls.values()].map(({ connectedAt: _c, lossSample: _l, ...c }) => structuredClone(c));
  }

  ids(): string[] {
    return [...this.calls.keys()];
  }

  get(id: string): (CodecCall & { connectedAt?: number; lossSample?: LossSample }) | undefined {
    return this.calls.get(id);
  }

  /** Any call on its way up: the API guide says not to send commands meanwhile (P4). */
  inSetup(): boolean {
    return [...this.calls.values()].some((c) => c.state === "dialling" || c.state === "ringing" || c.state === "connecting");
  }

  /** Waits for the call a dial is about to place; `settle` gets its outcome once. */
  expectDial(number: string, settle: (o: DialOutcome) => void): { id(): string | undefined; cancel(): void } {
    const w: DialWaiter = { number, known: new Set(this.calls.keys()), settle };
    this.dialWaiter = w;
    return {
      id: () => w.id,
      cancel: () => {
        if (this.dialWaiter === w) this.dialWaiter = null;
      },
    };
  }

  /** This driver hangs the call up (or every call): its end is reported `local`, with `reason`. */
  hangingUp(id: string | undefined, reason: CallEnded["reason"]): void {
    for (const c of id === undefined ? [...this.calls.keys()] : [id]) this.localHangups.set(c, reason);
  }

  /** The hang-up was refused: those ends are no longer ours. */
  notHangingUp(ids: readonly string[]): void {
    for (const id of ids) this.localHangups.delete(id);
  }

  /** Whatever a line says about calls (a reply or a push). */
  apply(l: PolyLine): void {
    switch (l.kind) {
      case "callstatus":
        return this.update(l.call, l.cause);
      case "callinfo":
        return this.update(l.call);
      case "cs":
        return this.cs(l.id, l.state, l.dialstr, l.rateKbps);
      case "callEvent":
        return this.event(l.event, l.id, l);
      default:
        return;
    }
  }

  /** A callstatus notification or a callinfo line. */
  update(l: CallLine, cause = ""): void {
    const state = connState(l.conn);
    if (state === null) {
      this.end(l.id, cause, l);
      return;
    }
    const c = this.calls.get(l.id) ?? this.add(l.id, l.direction, l.remote, state);
    if (l.remoteName !== undefined && l.remoteName !== "") c.remoteName = l.remoteName;
    if (l.remote !== "") c.remote = l.remote;
    if (l.rateKbps !== null && l.rateKbps > 0) c.rateKbps = l.rateKbps;
    c.direction = l.direction;
    this.move(c, state);
  }

  /** A `cs:` line of callstate register (or getcallstate). */
  cs(id: string, state: string | null, dialstr?: string, rateKbps?: number): void {
    if (state === null) return; // `cs: call[n] inactive` names a slot, not a call id (P1)
    const s = csState(state);
    if (s === undefined) return;
    const c = this.calls.get(id) ?? this.add(id, "outgoing", dialstr ?? "", s);
    if (dialstr !== undefined && c.remote === "") c.remote = dialstr;
    if (rateKbps !== undefined && rateKbps > 0) c.rateKbps = rateKbps;
    this.move(c, s);
  }

  /** `active:` / `incoming:` / `cleared:` / `ended:` lines. The end itself waits for callstatus or the next poll (they carry no cause). */
  event(event: "active" | "cleared" | "ended" | "incoming", id: string, extra: { rateKbps?: number; name?: string; dialstr?: string }): void {
    if (event === "incoming") {
      const c = this.calls.get(id) ?? this.add(id, "incoming", extra.dialstr ?? "", "ringing");
      if (extra.name !== undefined) c.remoteName = extra.name;
      this.onChange();
      return;
    }
    const c = this.calls.get(id);
    if (!c) return;
    if (event === "active") {
      if (extra.rateKbps !== undefined && extra.rateKbps > 0) c.rateKbps = extra.rateKbps;
      this.move(c, "connected");
    } else {
      this.move(c, "disconnecting");
    }
  }

  /**
   * A full call list from a poll: new calls are added; calls known when the poll was sent
   * (`before`) and missing from it are ended (one that appeared meanwhile may not be listed yet).
   */
  reconcile(lines: { id: string; line?: CallLine; state?: string }[], before: readonly string[]): void {
    const seen = new Set(lines.map((l) => l.id));
    for (const id of before) if (this.calls.has(id) && !seen.has(id)) this.end(id, "", undefined, "gone from the call list");
    for (const l of lines) {
      if (l.line) this.update(l.line);
      else if (l.state !== undefined) this.cs(l.id, l.state);
    }
  }

  /** Every call ends at once (the codec rebooted). */
  endAll(cause: string): void {
    for (const id of [...this.calls.keys()]) this.end(id, "", undefined, cause);
  }

  setQuality(id: string, q: CallQuality, sample: LossSample, protocol?: "sip" | "h323"): void {
    const c = this.calls.get(id);
    if (!c) return;
    c.quality = q;
    c.lossSample = sample;
    if (protocol) c.protocol = protocol;
  }

  setProtocol(id: string, protocol: "sip" | "h323"): void {
    const c = this.calls.get(id);
    if (c && c.protocol === "unknown") c.protocol = protocol;
  }

  private add(id: string, direction: "incoming" | "outgoing", remote: string, state: CallState): Tracked {
    const c: Tracked = { id, direction, remote, state, protocol: "unknown", rateKbps: null, since: this.now() };
    this.calls.set(id, c);
    const w = this.dialWaiter;
    if (w && w.id === undefined && direction === "outgoing" && !w.known.has(id)) w.id = id;
    return c;
  }

  private move(c: Tracked, state: CallState): void {
    if (c.state !== state && (RANK[state] > RANK[c.state] || state === "disconnecting")) {
      c.state = state;
      c.since = this.now();
      if (state === "connected") c.connectedAt = c.since;
    }
    this.onChange();
    const w = this.dialWaiter;
    if (w && w.id === c.id && c.state === "connected") {
      this.dialWaiter = null;
      w.settle({ type: "connected", call: this.list().find((x) => x.id === c.id)! });
    }
  }

  private end(id: string, cause: string, l: CallLine | undefined, words?: string): void {
    let c = this.calls.get(id);
    const w = this.dialWaiter;
    if (!c) {
      // An end for a call never seen (a dial refused at once): report it if a dial waits for it.
      if (!l || !w || w.id !== undefined || l.direction !== "outgoing" || w.known.has(id)) return;
      c = this.add(id, l.direction, l.remote, "dialling");
    }
    this.calls.delete(id);
    const localReason = this.localHangups.get(id);
    this.localHangups.delete(id);
    const ended: CallEnded = {
      callId: id,
      remote: c.remote,
      direction: c.direction,
      local: localReason !== undefined,
      cause: cause !== "" ? cause : (words ?? "unknown"),
      reason: localReason ?? causeReason(cause),
      connectedMs: c.connectedAt === undefined ? 0 : Math.max(0, this.now() - c.connectedAt),
    };
    this.onEnded(ended);
    this.onChange();
    if (w && w.id === id) {
      this.dialWaiter = null;
      w.settle({ type: "ended", ended });
    }
  }
}
