/**
 * The fault suite's monitoring client: subscribes to everything of one site and records, raw and
 * in arrival order, every event (by its `{bootSeq}-{n}` id) and every command response (by its
 * command id). Nothing is deduplicated: a copy that arrives twice is counted twice.
 *
 * How the expected set is built, so that a loss cannot hide:
 * - The agent numbers its events `{bootSeq}-{n}` with n = 1, 2, 3, ... from one counter per boot,
 *   in the order it creates them, and sends them in that order. So for each boot every n from 1 up
 *   to the highest n we know of must arrive: a hole anywhere is a lost event.
 * - "The highest n we know of" must not come from what arrived (a lost tail would lower it). Each
 *   scenario ends with a sentinel: a `ping` command sent after the fault is over, whose audit event
 *   the agent creates last; `sentinel()` waits for it and declares 1..its n expected. For a boot
 *   that was killed (no sentinel possible) the scenario adds an independent witness (the health
 *   changes the agent logged as written to its outbox before it was killed).
 * - Ground truth from the generators is checked on top by the scenarios: every ticker event number
 *   1..N (ticker-driver.ts), and exactly one response for every command sent here.
 */
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";
import { within } from "./wait.js";

export interface Seen {
  /** Real time of arrival (ms), for replay-rate figures. */
  at: number;
  topic: string;
  retain: boolean;
  json: any;
  raw: string;
}

export interface RecordedEvent {
  id: string;
  boot: number;
  n: number;
  historical: boolean;
  type: string;
  device: string | undefined;
  json: any;
}

export interface RecordedResponse {
  user: string;
  id: string;
  status: string;
  json: any;
}

export interface Analysis {
  /** Event ids that had to arrive. */
  expected: number;
  /** Expected event ids that arrived (at least once). */
  received: number;
  lost: string[];
  /** One entry per extra copy (an id seen 3 times appears twice), beyond the resends below. */
  duplicates: string[];
  /**
   * Extra copies the contract allows: the one owed message in flight when the link was cut
   * (`markCut`) may have reached the broker while its PUBACK was lost, and is sent again after the
   * reconnect (docs/reliability.md, "At-least-once"). One copy per cut, of that message only.
   */
  resent: string[];
  /** First deliveries whose n is below an n already delivered for the same boot. */
  orderViolations: string[];
  /** Messages on the event topic without a well-formed id. */
  badEvents: string[];
  responses: { expected: number; received: number; lost: string[]; duplicates: string[] };
}

const ID = /^(\d+)-(\d+)$/;
export const MONITOR_USER = "fault-monitor";

export class Recorder {
  readonly seen: Seen[] = [];
  readonly events: RecordedEvent[] = [];
  readonly responses: RecordedResponse[] = [];
  readonly badEvents: string[] = [];
  private client: MqttClient | undefined;
  private readonly through = new Map<number, number>();
  private readonly sentCommands = new Set<string>();
  private waiters: { match: (m: Seen) => boolean; resolve: (m: Seen) => void }[] = [];
  private nextCmd = 0;
  /** `seen.length` at each cut of the agent's link (`markCut`). */
  private readonly cuts: number[] = [];
  /** `seen.length` at each `kill -9` of the agent (`markKill`). */
  private readonly kills: number[] = [];

  private constructor(readonly site: string) {}

  get prefix(): string {
    return `roomgate/v1/${this.site}`;
  }

  /** Connects to the broker (directly, never through the fault proxy) and subscribes to the site. */
  static async connect(url: string, site: string): Promise<Recorder> {
    const r = new Recorder(site);
    await r.attach(url);
    return r;
  }

  /** Moves to a (restarted) broker: a new session, the same records. Resolves once subscribed. */
  async attach(url: string): Promise<void> {
    await this.client?.endAsync(true);
    // No automatic reconnect: after a broker restart the scenario re-attaches when it chooses,
    // before it lets the agent back in, so nothing the agent sends can pass unseen.
    const client = await mqtt.connectAsync(url, {
      clientId: `fault-recorder-${Math.random().toString(16).slice(2, 10)}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
    });
    client.on("error", () => undefined); // a broker going away is the scenario, not a failure
    client.on("message", (topic, payload, packet) => this.onMessage(topic, payload, packet.retain));
    await client.subscribeAsync(`${this.prefix}/#`, { qos: 1 });
    this.client = client;
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true);
    this.client = undefined;
  }

  private onMessage(topic: string, payload: Buffer, retain: boolean): void {
    const raw = payload.toString("utf8");
    let json: any = null;
    try {
      if (raw !== "") json = JSON.parse(raw);
    } catch {
      json = undefined; // not JSON: kept raw; an event like that is a bad event below
    }
    const m: Seen = { at: Date.now(), topic, retain, json, raw };
    this.seen.push(m);
    if (topic === `${this.prefix}/event`) this.onEvent(m);
    else if (topic.startsWith(`${this.prefix}/res/`)) {
      this.responses.push({ user: topic.slice(`${this.prefix}/res/`.length), id: String(json?.id), status: String(json?.status), json });
    }
    for (const w of [...this.waiters]) {
      if (w.match(m)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  }

  private onEvent(m: Seen): void {
    const id = m.json?.id;
    const match = typeof id === "string" ? ID.exec(id) : null;
    if (!match) {
      this.badEvents.push(m.raw.slice(0, 200));
      return;
    }
    this.events.push({
      id,
      boot: Number(match[1]),
      n: Number(match[2]),
      historical: m.json.historical === true,
      type: String(m.json.type),
      device: m.json.device,
      json: m.json,
    });
  }

  /** The first message (from index `from`, past or future) that matches, within `ms`. */
  waitFor(match: (m: Seen) => boolean, ms: number, what: string, from = 0): Promise<Seen> {
    const past = this.seen.slice(from).find(match);
    if (past) return Promise.resolve(past);
    let waiter: (typeof this.waiters)[number] | undefined;
    const p = new Promise<Seen>((resolve) => {
      waiter = { match, resolve };
      this.waiters.push(waiter);
    });
    return within(p, ms, () => `${what}; last seen:\n  ${this.tail()}`).finally(() => {
      const i = this.waiters.indexOf(waiter!);
      if (i >= 0) this.waiters.splice(i, 1);
    });
  }

  /** The first event (past or future) that matches. */
  async waitEvent(match: (e: RecordedEvent) => boolean, ms: number, what: string): Promise<RecordedEvent> {
    const isMatch = (m: Seen): boolean => {
      const e = m.topic === `${this.prefix}/event` ? this.events.find((x) => x.json === m.json) : undefined;
      return e !== undefined && match(e);
    };
    const m = await this.waitFor(isMatch, ms, what);
    return this.events.find((x) => x.json === m.json)!;
  }

  /** A health message of `device` with `status`, published after index `from`. */
  waitHealth(device: string, status: string, ms: number, from = 0): Promise<Seen> {
    return this.waitFor((m) => m.topic === `${this.prefix}/dev/${device}/health` && m.json?.status === status, ms, `${device} health ${status}`, from);
  }

  /**
   * The agent's birth (`agent/state` online) published after index `from`. The agent subscribes to
   * commands before it publishes its birth, and its session is clean: a command sent before the
   * birth is seen may reach the broker before the subscription and is then dropped, by design (a
   * command is never queued for an absent agent). So scenarios send commands only after this.
   */
  waitOnline(ms: number, from: number, bootSeq?: number): Promise<Seen> {
    return this.waitFor(
      (m) => m.topic === `${this.prefix}/agent/state` && m.json?.state === "online" && (bootSeq === undefined || m.json.bootSeq === bootSeq),
      ms,
      `agent online${bootSeq === undefined ? "" : ` (boot ${bootSeq})`}`,
      from,
    );
  }

  /** Sends a command as `user` and resolves with its response; the response becomes expected once. */
  async command(body: { device?: string; action: string; args?: unknown; id?: string }, ms = 10_000, user = MONITOR_USER): Promise<RecordedResponse> {
    const id = body.id ?? `fault-${++this.nextCmd}`;
    this.sentCommands.add(id);
    const from = this.seen.length;
    await this.client!.publishAsync(`${this.prefix}/cmd/${user}`, JSON.stringify({ ...body, id }), { qos: 1 });
    await this.waitFor((m) => m.topic === `${this.prefix}/res/${user}` && m.json?.id === id, ms, `response to ${id} (${body.action})`, from);
    return this.responses.find((r) => r.id === id && r.user === user)!;
  }

  /**
   * The end marker: a `ping` sent now, after the fault is over. Waits for its audit event and makes
   * every event of that boot up to it expected. Returns the audit event.
   */
  async sentinel(ms = 10_000): Promise<RecordedEvent> {
    const res = await this.command({ action: "ping" }, ms);
    const audit = await this.waitEvent((e) => e.type === "command" && e.json.data?.id === res.id, ms, `audit event of sentinel ${res.id}`);
    this.expectThrough(audit.boot, audit.n);
    return audit;
  }

  /** Every event id `{boot}-1` .. `{boot}-{n}` must arrive. */
  expectThrough(boot: number, n: number): void {
    this.through.set(boot, Math.max(this.through.get(boot) ?? 0, n));
  }

  /** Distinct events of a boot (first copy of each id), in arrival order. */
  eventsOf(boot: number): RecordedEvent[] {
    const firsts = new Map<string, RecordedEvent>();
    for (const e of this.events) if (e.boot === boot && !firsts.has(e.id)) firsts.set(e.id, e);
    return [...firsts.values()];
  }

  /** Call just before cutting the agent's link: the owed message then in flight may arrive twice. */
  markCut(): void {
    this.cuts.push(this.seen.length);
  }

  /**
   * Call just before `kill -9` of the agent: every owed message it delivered so far may arrive once
   * more after the restart. The agent writes its acknowledged mark off the event loop (with an fsync),
   * so a kill can find an older mark on disk and the restart sends those messages again
   * (docs/reliability.md, "At-least-once"; seen for one event under a loaded full run).
   */
  markKill(): void {
    this.kills.push(this.seen.length);
  }

  /** Every owed message received before each kill (markKill): each may be sent once more. */
  private deliveredBeforeKills(): string[] {
    const keys: string[] = [];
    for (const at of this.kills) {
      for (let i = 0; i < at; i++) {
        const key = this.owedKey(this.seen[i]!);
        if (key !== undefined) keys.push(key);
      }
    }
    return keys;
  }

  /** The owed message (event `e:{id}` or response `r:{user}:{id}`) last received before each cut. */
  private inFlightAtCuts(): string[] {
    const keys: string[] = [];
    for (const at of this.cuts) {
      for (let i = at - 1; i >= 0; i--) {
        const key = this.owedKey(this.seen[i]!);
        if (key === undefined) continue;
        keys.push(key);
        break;
      }
    }
    return keys;
  }

  private owedKey(m: Seen): string | undefined {
    if (m.topic === `${this.prefix}/event` && typeof m.json?.id === "string") return `e:${m.json.id}`;
    if (m.topic.startsWith(`${this.prefix}/res/`) && m.json?.id !== undefined) return `r:${m.topic.slice(`${this.prefix}/res/`.length)}:${String(m.json.id)}`;
    return undefined;
  }

  analyse(): Analysis {
    const allowance = new Map<string, number>();
    for (const key of [...this.inFlightAtCuts(), ...new Set(this.deliveredBeforeKills())]) allowance.set(key, (allowance.get(key) ?? 0) + 1);
    const resent: string[] = [];
    /** Takes one allowed resend of `key`, if any is left. */
    const excused = (key: string): boolean => {
      const left = allowance.get(key) ?? 0;
      if (left === 0) return false;
      allowance.set(key, left - 1);
      resent.push(key.slice(2));
      return true;
    };
    const copies = new Map<string, number>();
    const maxSeen = new Map<number, number>();
    const orderViolations: string[] = [];
    const deliveredMax = new Map<number, number>();
    for (const e of this.events) {
      const c = (copies.get(e.id) ?? 0) + 1;
      copies.set(e.id, c);
      maxSeen.set(e.boot, Math.max(maxSeen.get(e.boot) ?? 0, e.n));
      if (c > 1) continue;
      const before = deliveredMax.get(e.boot) ?? 0;
      if (e.n < before) orderViolations.push(`${e.id} after ${e.boot}-${before}`);
      deliveredMax.set(e.boot, Math.max(before, e.n));
    }
    const lost: string[] = [];
    let expected = 0;
    let received = 0;
    for (const boot of new Set([...maxSeen.keys(), ...this.through.keys()])) {
      const top = Math.max(maxSeen.get(boot) ?? 0, this.through.get(boot) ?? 0);
      for (let n = 1; n <= top; n++) {
        expected++;
        if (copies.has(`${boot}-${n}`)) received++;
        else lost.push(`${boot}-${n}`);
      }
    }
    const duplicates = [...copies].flatMap(([id, c]) => Array<string>(c - 1).fill(id)).filter((id) => !excused(`e:${id}`));
    const resCopies = new Map<string, number>();
    for (const r of this.responses) if (r.user === MONITOR_USER) resCopies.set(r.id, (resCopies.get(r.id) ?? 0) + 1);
    const resDuplicates = [...resCopies].flatMap(([id, c]) => Array<string>(c - 1).fill(id)).filter((id) => !excused(`r:${MONITOR_USER}:${id}`));
    const sent = [...this.sentCommands];
    return {
      expected,
      received,
      lost,
      duplicates,
      resent,
      orderViolations,
      badEvents: [...this.badEvents],
      responses: {
        expected: sent.length,
        received: sent.filter((id) => resCopies.has(id)).length,
        lost: sent.filter((id) => !resCopies.has(id)),
        duplicates: resDuplicates,
      },
    };
  }

  /**
   * What a monitoring script that connects now finds retained under `filter` (topic -> payload;
   * empty payloads, i.e. cleared topics, are left out): a fresh client, so this is the broker's
   * retained copy, not the live stream. Resolves as soon as `complete(found)` holds.
   */
  async readRetained(url: string, filter: string, complete: (found: Map<string, any>) => boolean, ms = 5000): Promise<Map<string, any>> {
    const client = await mqtt.connectAsync(url, { clientId: `fault-late-${Math.random().toString(16).slice(2, 10)}`, protocolVersion: 4, reconnectPeriod: 0 });
    client.on("error", () => undefined);
    const found = new Map<string, any>();
    try {
      const done = new Promise<void>((resolve) => {
        client.on("message", (topic, payload, packet) => {
          if (!packet.retain || payload.length === 0) return;
          found.set(topic, JSON.parse(payload.toString("utf8")));
          if (complete(found)) resolve();
        });
      });
      await client.subscribeAsync(filter, { qos: 1 });
      await within(done, ms, () => `retained ${filter} (found ${[...found.keys()].join(", ") || "nothing"})`);
      return found;
    } finally {
      await client.endAsync(true);
    }
  }

  /** The retained health of each of `devices`, as a late subscriber finds it. */
  async retainedHealth(url: string, devices: readonly string[], ms = 5000): Promise<Record<string, { status: string; code?: string }>> {
    const topic = (d: string): string => `${this.prefix}/dev/${d}/health`;
    const found = await this.readRetained(url, `${this.prefix}/dev/+/health`, (f) => devices.every((d) => f.has(topic(d))), ms);
    return Object.fromEntries(
      devices.map((d) => {
        const h = found.get(topic(d)) as { status: string; code?: string };
        return [d, h.code === undefined ? { status: h.status } : { status: h.status, code: h.code }];
      }),
    );
  }

  private tail(): string {
    return this.seen.slice(-12).map((s) => `${s.topic} ${s.raw.slice(0, 160)}`).join("\n  ");
  }
}
