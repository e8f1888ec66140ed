/**
 * What the Poly driver asks the codec, apart from actions: the registrations made after every
 * login (and every `reregisterMs`), the registrar and gatekeeper addresses, and a poll's reads
 * (registration, calls, mic, volume, content, and each connected call's media figures).
 *
 * A `device_error` answer (`error: command not found` on older software, `error: connection N is
 * not active` for a call that just ended) costs only that figure; a `timeout` ends the read: the
 * codec is not answering and the driver's health says so.
 */
import type { CodecState } from "../codec/vocabulary.js";
import { DeviceError, type Logger } from "../types.js";
import type { CallBook } from "./calls.js";
import * as cmd from "./codec.js";
import type { PolyLine } from "./lines.js";
import type { PolyOptions } from "./options.js";
import { registrationFrom, setRegistration } from "./state.js";
import { callQuality, parseAdvNetStats, parseNetStats, zeroSample } from "./stats.js";

export interface ReaderDeps {
  /** One command with the options' deadline. */
  send(c: cmd.PolyCommand): Promise<PolyLine[]>;
  options: PolyOptions;
  calls: CallBook;
  state: CodecState;
  now(): number;
  changed(): void;
  log: Logger;
}

/** Only `device_error` is survivable; anything else (timeout, lost link) ends the read. */
async function tolerant<T>(deps: ReaderDeps, what: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof DeviceError && e.code === "device_error") {
      deps.log.warn({ err: e.message, what }, "the codec refused a read");
      return undefined;
    }
    throw e;
  }
}

export class Reader {
  private servers: { sip?: string; h323?: string } = {};
  /** Registrations the codec refused at the last login (type names). */
  refused: string[] = [];

  constructor(private readonly d: ReaderDeps) {}

  /** `notify <type>` and `<topic> register`, every one of them, on this port and session. */
  async register(): Promise<number> {
    const refused: string[] = [];
    let made = 0;
    const all = [...this.d.options.notifications.map((t) => cmd.notify(t)), ...this.d.options.registers.map((t) => cmd.register(t))];
    for (const c of all) {
      if ((await tolerant(this.d, c.text, () => this.d.send(c))) === undefined) refused.push(c.text);
      else made++;
    }
    this.refused = refused;
    return made;
  }

  /** The registrar and gatekeeper addresses (once per login: they are settings, not status). */
  async readServers(): Promise<void> {
    const gk = await tolerant(this.d, "gatekeeperip", () => this.d.send(cmd.gatekeeperIp));
    const sip = await tolerant(this.d, "sipregistrarserver", () => this.d.send(cmd.sipRegistrar));
    const value = (lines: PolyLine[] | undefined) => {
      const l = lines?.find((x) => x.kind === "setting");
      return l?.kind === "setting" && l.value !== "" ? l.value : undefined;
    };
    const next: { sip?: string; h323?: string } = {};
    const h323 = value(gk);
    const sipServer = value(sip);
    if (h323 !== undefined) next.h323 = h323;
    if (sipServer !== undefined) next.sip = sipServer;
    this.servers = next;
  }

  /** A poll's reads, in the order an operator would want them if the codec stops answering half-way. */
  async readAll(): Promise<void> {
    const d = this.d;
    await this.readRegistration();
    await this.readCalls();
    await tolerant(d, "mute", () => d.send(cmd.muteGet));
    await tolerant(d, "volume", () => d.send(cmd.volumeGet));
    await tolerant(d, "content", () => d.send(cmd.contentGet));
    if (d.options.stats) await this.readQuality();
  }

  /** `status`: the SIP and H.323 registrations in the codec's words. */
  async readRegistration(): Promise<void> {
    const d = this.d;
    const status = await tolerant(d, "status", () => d.send(cmd.status));
    if (!status) return;
    const words: Record<string, string> = {};
    for (const l of status) if (l.kind === "word") words[l.name] = l.value;
    if (setRegistration(d.state, registrationFrom(words, d.options.registrations, this.servers))) d.changed();
  }

  private async readCalls(): Promise<void> {
    const d = this.d;
    const before = d.calls.ids();
    if (d.options.callList === "callinfo") {
      const lines = await tolerant(d, "callinfo", () => d.send(cmd.callinfoAll));
      if (!lines) return;
      const list = lines.flatMap((l) => (l.kind === "callinfo" ? [{ id: l.call.id, line: l.call }] : []));
      d.calls.reconcile(list, before);
      return;
    }
    const lines = await tolerant(d, "getcallstate", () => d.send(cmd.getcallstate(d.options.callSlots)));
    if (!lines) return;
    const list = lines.flatMap((l) => (l.kind === "cs" && l.state !== null ? [{ id: l.id, state: l.state }] : []));
    d.calls.reconcile(list, before);
  }

  /** advnetstats/netstats N for the Nth connected call ([A]: N counts connected calls in list order). */
  private async readQuality(): Promise<void> {
    const d = this.d;
    const connected = d.calls.list().filter((c) => c.state === "connected");
    for (const [index, call] of connected.entries()) {
      const adv = await tolerant(d, `advnetstats ${index}`, () => d.send(cmd.advnetstats(index)));
      if (!adv) continue;
      const net = await tolerant(d, `netstats ${index}`, () => d.send(cmd.netstats(index)));
      const merge = (lines: PolyLine[]) => Object.assign({}, ...lines.map((l) => (l.kind === "stats" ? l.fields : {}))) as Record<string, string>;
      const netStats = net ? parseNetStats(merge(net)) : undefined;
      const tracked = d.calls.get(call.id);
      if (!tracked) continue; // it ended while we read
      const prev = tracked.lossSample ?? (tracked.connectedAt !== undefined ? zeroSample(tracked.connectedAt) : undefined);
      const model = { audioPacketRate: d.options.audioPacketRate, videoPacketBytes: d.options.videoPacketBytes };
      const { quality, sample } = callQuality(parseAdvNetStats(merge(adv)), netStats, prev, d.now(), model);
      d.calls.setQuality(call.id, quality, sample, netStats && netStats.protocol !== "unknown" ? netStats.protocol : undefined);
      d.changed();
    }
  }
}
