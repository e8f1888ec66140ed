/**
 * The access-switch driver (kind `switch`, protocol `snmp`): named ports' status, rates, PoE and LLDP
 * neighbours over SNMP v2c or v3 authPriv; PoE on/off and power-cycles with a durable intent;
 * linkDown/linkUp traps that raise `{port}-down` at once, with polling as the fallback.
 *
 * Health: `ok` on first contact and after each good read; `degraded`/`port_errors` while a named port
 * counts more errors per second than `errorRatePerSec`; `degraded`/`malformed_reply` for a reply that
 * does not decode; `unreachable`/`timeout` when the switch does not answer (SNMPv2c cannot tell a wrong
 * community from silence: both are no answer); `fault`/`auth_failed` when SNMPv3 says the
 * credentials are wrong; `fault`/`bad_config` for options or secret files that cannot work. While not
 * ok it probes sysUpTime with backoff, so it comes back by itself.
 */
import { EventEmitter } from "node:events";
import type { ActionContext, ActionTable, Clock, Driver, DriverContext, DriverEvent, DriverEvents, Health, Logger, TimerHandle } from "../types.js";
import { DeviceError } from "../types.js";
import { buildActions } from "./actions.js";
import { Decoder } from "./codec.js";
import { Intents, memoryStore, type CycleIntent } from "./intents.js";
import { readCredentials, redact, secretsOf, SnmpLink, type Credentials } from "./link.js";
import { SYS } from "./oids.js";
import { namedPorts, parseSnmpSwitchOptions, type NamedPort, type SnmpSwitchOptions } from "./options.js";
import { VARIANTS } from "./poe.js";
import { SwitchReader } from "./read.js";
import { AlarmSet, emptyPort, emptyState, type AlarmChange, type PortState, type SwitchState } from "./state.js";
import { TrapReceiver, type SwitchTrap } from "./traps.js";
import { sleep } from "./wait.js";

export type { SwitchState } from "./state.js";

const PROBE_MIN_MS = 250;
const PROBE_MAX_MS = 5000;

interface Running {
  ctx: DriverContext;
  o: SnmpSwitchOptions;
  ports: NamedPort[];
  host: string;
  port: number;
  creds: Credentials;
  link: SnmpLink;
  reader: SwitchReader;
  traps: TrapReceiver | undefined;
  intents: Intents;
  log: Logger;
  clock: Clock;
  secrets: string[];
}

export class SnmpSwitchDriver extends EventEmitter<DriverEvents<SwitchState>> implements Driver<SwitchState> {
  readonly kind = "switch" as const;
  readonly protocol = "snmp";
  readonly actions: ActionTable;
  readonly stateFields = Object.keys(emptyState({})) as readonly (keyof SwitchState)[];
  private currentHealth: Health = { status: "unknown" };
  private state: SwitchState = emptyState({});
  private run: Running | null = null;
  private readonly alarms = new AlarmSet();
  /** Ports a running port.powercycle owns (their intent is not restored behind its back). */
  private readonly cycling = new Set<string>();
  private readonly restoring = new Set<string>();
  /**
   * Link traps handled per port. A poll's reply can be older than a trap handled while the poll was
   * in flight (a poll is several GETs; under load the linkUp at the end of a power-cycle arrived
   * between the GET that read the port down and the poll's end, and the stale "down" raised
   * `{port}-down` after the cycle): a port with a trap since the poll began keeps the trap's view.
   */
  private readonly linkTraps = new Map<string, number>();
  /** Ports the agent just powered: their device is booting; no `{port}-down` until this clock time. */
  private readonly booting = new Map<string, number>();
  private polling: Promise<SwitchState> | null = null;
  private probeTimer: TimerHandle | undefined;
  private probeDelay = PROBE_MIN_MS;
  private garbledReported = false;

  constructor() {
    super();
    this.actions = buildActions({ setPoe: (p, on, c) => this.setPoe(p, on, c), cycle: (p, ms, c) => this.cycle(p, ms, c) });
  }

  get health(): Health {
    return { ...this.currentHealth };
  }

  async start(ctx: DriverContext): Promise<void> {
    if (this.run) throw new DeviceError("internal", "driver already started");
    let o: SnmpSwitchOptions;
    let creds: Credentials;
    const endpoint = ctx.transport.endpoint;
    try {
      o = parseSnmpSwitchOptions(ctx.options);
      if (ctx.transport.kind !== "udp" || !endpoint) throw new DeviceError("invalid_args", `transport: SNMP runs over udp (host and port 161); got ${ctx.transport.kind}`);
      creds = await readCredentials(o);
    } catch (e) {
      this.setHealth({ status: "fault", code: "bad_config", message: (e as Error).message });
      throw e;
    }
    const log = ctx.logger;
    const ports = namedPorts(o);
    const link = this.newLink(ctx, o, endpoint, creds);
    const r: Running = {
      ctx, o, ports, host: endpoint.host, port: endpoint.port, creds, link, log, clock: ctx.clock,
      reader: new SwitchReader(link, o, ports, VARIANTS[o.variant], ctx.clock, log),
      traps: undefined,
      intents: new Intents(ctx.durable ?? memoryStore(), log),
      secrets: secretsOf(creds),
    };
    this.run = r;
    this.state = emptyState(Object.fromEntries(ports.map((p) => [p.name, emptyPort(p.ifIndex, p.protected)])));
    const pending = await r.intents.load();
    if (pending.length > 0) log.warn({ ports: pending.map((c) => c.port) }, "power-cycles the last run did not finish: their ports are switched on again once the switch answers");
    this.state.cycling = this.cyclingList();
    if (o.trapPort !== undefined) await this.startTraps(r, o.trapPort);
    await this.probe();
  }

  async stop(): Promise<void> {
    const r = this.run;
    if (!r) return;
    this.run = null;
    if (this.probeTimer !== undefined) r.clock.clearTimeout(this.probeTimer);
    this.probeTimer = undefined;
    r.traps?.close();
    r.link.close();
    await r.ctx.transport.close();
  }

  poll(): Promise<SwitchState> {
    if (!this.run) return Promise.reject(new DeviceError("not_connected", "driver not started"));
    this.polling ??= this.readAll().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  // ---------------------------------------------------------------- reading

  private async readAll(): Promise<SwitchState> {
    const r = this.run!;
    const d = new Decoder();
    const trapsBefore = new Map(this.linkTraps);
    let reading;
    try {
      reading = await r.reader.read(d);
    } catch (e) {
      this.onFailure(e);
      throw e;
    }
    if (this.run !== r) throw new DeviceError("not_connected", "driver stopped");
    if (d.bad > 0) r.log.warn({ bad: d.bad, samples: d.samples }, "values of the wrong type ignored");
    const changes: AlarmChange[] = [];
    for (const p of r.ports) {
      let s = reading.ports[p.name]!;
      const trapped = this.state.ports[p.name];
      if ((this.linkTraps.get(p.name) ?? 0) !== (trapsBefore.get(p.name) ?? 0) && trapped !== undefined) {
        s = { ...s, oper: trapped.oper };
        reading.ports[p.name] = s;
      }
      changes.push(...this.linkAlarm(p.name, s));
      const g = reading.poeGrowth[p.name];
      const det = s.poe?.detection ?? null;
      const settled = det === "deliveringPower" || det === "disabled" || s.poe?.enabled === false;
      const fault = det === "fault" || det === "otherFault" || (g?.overload === true && !settled);
      const denied = (g?.denied === true || g?.deniedNow === true) && !settled;
      changes.push(...this.poeAlarms(p.name, fault, denied, settled));
    }
    this.state = {
      ...this.state,
      sysDescr: reading.sysDescr,
      upTimeS: reading.upTimeS,
      ports: reading.ports,
      pse: reading.pse,
      badValues: this.state.badValues + d.bad,
    };
    this.announce(changes);
    this.setHealth(this.judge(r));
    this.probeDelay = PROBE_MIN_MS;
    void this.restorePending();
    return this.snapshot();
  }

  /** ok, or degraded while a named port's errors grow faster than the threshold. */
  private judge(r: Running): Health {
    const over: string[] = [];
    for (const [name, s] of Object.entries(this.state.ports)) {
      const rate = (s.inErrorsPerSec ?? 0) + (s.outErrorsPerSec ?? 0);
      if (rate > r.o.errorRatePerSec) over.push(`${name} ${rate} errors/s`);
    }
    if (over.length > 0) return { status: "degraded", code: "port_errors", message: `${over.join(", ")} (threshold ${r.o.errorRatePerSec}/s)` };
    return { status: "ok" };
  }

  /** First contact, and the way back after a failure: sysDescr and sysUpTime. */
  private async probe(): Promise<void> {
    const r = this.run;
    if (!r) return;
    try {
      const got = await r.link.get([SYS.descr, SYS.upTime]);
      if (this.run !== r) return;
      const d = new Decoder();
      this.state.sysDescr = d.text(got[0]);
      const up = d.unsigned(got[1], 67);
      this.state.upTimeS = up === null ? null : Math.floor(up / 100);
      this.probeDelay = PROBE_MIN_MS;
      if (this.currentHealth.status !== "ok" && this.currentHealth.code !== "port_errors") this.setHealth({ status: "ok" });
      this.emitState();
      void this.restorePending();
    } catch (e) {
      this.onFailure(e);
    }
  }

  private onFailure(e: unknown): void {
    const r = this.run;
    if (!r) return;
    const err = e instanceof DeviceError ? e : new DeviceError("internal", (e as Error).message);
    const reason = (err.details?.snmp as string | undefined) ?? err.code;
    const message = redact(err.message, r.secrets);
    if (reason === "auth_failed") {
      if (this.currentHealth.code !== "auth_failed") r.log.error({ err: message }, "the switch refused the SNMPv3 credentials");
      this.setHealth({ status: "fault", code: "auth_failed", message });
    } else if (reason === "malformed") {
      if (!this.garbledReported) this.emitEvent({ type: "malformed_reply", message });
      this.garbledReported = true;
      this.setHealth({ status: "degraded", code: "malformed_reply", message });
    } else if (reason === "error_status") {
      this.setHealth({ status: "degraded", code: "device_error", message });
      return; // the switch answered: it is there
    } else {
      this.setHealth({ status: "unreachable", code: err.code === "timeout" ? "timeout" : "not_connected", message });
    }
    this.scheduleProbe(r);
  }

  /** Re-probe with backoff on a fresh session (a new SNMPv3 engine discovery, the secrets read again). */
  private scheduleProbe(r: Running): void {
    if (this.probeTimer !== undefined) return;
    const delay = this.probeDelay;
    this.probeDelay = Math.min(PROBE_MAX_MS, this.probeDelay * 2);
    this.probeTimer = r.clock.setTimeout(() => {
      this.probeTimer = undefined;
      void this.reconnect(r);
    }, delay);
  }

  private async reconnect(r: Running): Promise<void> {
    if (this.run !== r) return;
    try {
      r.creds = await readCredentials(r.o);
      r.secrets = secretsOf(r.creds);
    } catch (e) {
      this.setHealth({ status: "fault", code: "bad_config", message: (e as Error).message });
      this.scheduleProbe(r);
      return;
    }
    r.link.close();
    r.link = this.newLink(r.ctx, r.o, { host: r.host, port: r.port }, r.creds);
    r.reader.relink(r.link);
    await this.probe();
  }

  private newLink(ctx: DriverContext, o: SnmpSwitchOptions, ep: { host: string; port: number }, creds: Credentials): SnmpLink {
    return new SnmpLink({ host: ep.host, port: ep.port, timeoutMs: o.timeoutMs, maxVarbinds: o.maxVarbinds, clock: ctx.clock, logger: ctx.logger }, creds, () => this.onGarbled());
  }

  private onGarbled(): void {
    this.state.badValues++;
  }

  // ---------------------------------------------------------------- traps and alarms

  private async startTraps(r: Running, port: number): Promise<void> {
    let community: string;
    try {
      community = r.o.trapCommunityFile !== undefined ? (await readCredentials({ ...r.o, version: "2c", communityFile: r.o.trapCommunityFile }) as { community: string }).community : (r.creds as { community: string }).community;
    } catch (e) {
      r.log.error({ err: (e as Error).message }, "no trap community: traps are off, polling only");
      return;
    }
    r.secrets.push(community);
    const traps = new TrapReceiver({
      port,
      address: r.o.trapAddress,
      community,
      sources: new Set(r.o.trapSources ?? [r.host]),
      logger: r.log,
      onTrap: (t) => this.onTrap(t),
      onDropped: (why) => {
        this.state.traps = { ...this.state.traps, dropped: this.state.traps.dropped + 1 };
        r.log.debug({ why }, "trap dropped");
      },
    });
    try {
      await traps.start();
      r.traps = traps;
      this.state.traps = { ...this.state.traps, listening: true };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? "error";
      r.log.warn({ port, code }, "cannot receive traps; polling only");
      this.emitEvent({ type: "trap_port_unavailable", message: `cannot bind udp ${r.o.trapAddress}:${port} (${code}): polling only`, data: { port, code } });
    }
  }

  private onTrap(t: SwitchTrap): void {
    const r = this.run;
    if (!r) return;
    this.state.traps = { ...this.state.traps, received: this.state.traps.received + 1 };
    if (t.kind === "link") {
      const p = r.ports.find((x) => x.ifIndex === t.ifIndex);
      if (!p) return;
      this.linkTraps.set(p.name, (this.linkTraps.get(p.name) ?? 0) + 1);
      const s = { ...this.state.ports[p.name]!, oper: t.up ? ("up" as const) : ("down" as const) };
      this.state.ports = { ...this.state.ports, [p.name]: s };
      r.log.info({ port: p.name, up: t.up }, "link trap");
      this.announce(this.linkAlarm(p.name, s));
      this.emitState();
    } else if (t.kind === "poe") {
      // A PoE notification: read the port now rather than trust one varbind's view of it.
      r.log.info({ group: t.group, port: t.port }, "PoE trap");
      void this.poll().catch(() => undefined);
    }
  }

  /** `{port}-down` while oper is down, unless the port was shut on purpose (admin down, PoE off, a cycle). */
  private linkAlarm(name: string, s: PortState): AlarmChange[] {
    const down = s.oper !== null && s.oper !== "up" && s.oper !== "testing" && s.oper !== "dormant";
    const bootUntil = this.booting.get(name);
    if (bootUntil !== undefined && (!down || (this.run !== null && this.run.clock.now() > bootUntil))) this.booting.delete(name);
    const deliberate = s.admin === "down" || s.poe?.enabled === false || this.cycling.has(name) || this.run?.intents.has(name) === true || this.booting.has(name);
    const c = this.alarms.set(`${name}-down`, down && !deliberate, "major");
    return c ? [c] : [];
  }

  private poeAlarms(name: string, fault: boolean, denied: boolean, settled: boolean): AlarmChange[] {
    const out: AlarmChange[] = [];
    const f = this.alarms.set(`${name}-poe-fault`, fault || (this.alarms.list().includes(`${name}-poe-fault`) && !settled), "major");
    const d = this.alarms.set(`${name}-poe-denied`, denied || (this.alarms.list().includes(`${name}-poe-denied`) && !settled), "major");
    if (f) out.push(f);
    if (d) out.push(d);
    return out;
  }

  /** Each change as a `port.alarm` event (the agent raises or clears `{device}-{code}`), then the list in state. */
  private announce(changes: AlarmChange[]): void {
    this.state.alarms = this.alarms.list();
    for (const c of changes) this.emitEvent({ type: "port.alarm", message: `${c.action} ${c.severity} ${c.code}`, data: { ...c } });
  }

  // ---------------------------------------------------------------- actions

  private portOf(name: string): NamedPort {
    const r = this.requireRun();
    const p = r.ports.find((x) => x.name === name);
    if (!p) throw new DeviceError("invalid_args", `no port "${name}"; named ports: ${r.ports.map((x) => x.name).join(", ")}`);
    return p;
  }

  private refuseProtected(p: NamedPort, what: string): void {
    if (p.protected) throw new DeviceError("invalid_args", `port ${p.name} is protected (options.ports.${p.name}.protected): ${what} could cut it`, { port: p.name, reason: "protected" });
  }

  private async writePoe(p: NamedPort, on: boolean): Promise<void> {
    const r = this.requireRun();
    const ref = await r.reader.poeRef(p);
    if (!ref) throw new DeviceError("device_error", `port ${p.name} has no PoE row on this switch (variant ${r.o.variant})`);
    await r.link.set([VARIANTS[r.o.variant].write(ref, on)]);
    if (on) this.booting.set(p.name, r.clock.now() + r.o.linkGraceMs);
    const s = this.state.ports[p.name];
    if (s) this.state.ports = { ...this.state.ports, [p.name]: { ...s, poe: { ...(s.poe ?? { detection: null, class: null, powerW: null }), enabled: on } } };
  }

  private async setPoe(name: string, on: boolean, _ctx: ActionContext): Promise<Record<string, unknown>> {
    const p = this.portOf(name);
    if (!on) this.refuseProtected(p, "poe.set off");
    if (this.cycling.has(name)) throw new DeviceError("busy", `port ${name} is being power-cycled`);
    await this.writePoe(p, on);
    this.emitState();
    return { port: name, on };
  }

  private async cycle(name: string, offMs: number, ctx: ActionContext): Promise<Record<string, unknown>> {
    const p = this.portOf(name);
    this.refuseProtected(p, "port.powercycle");
    const r = this.requireRun();
    if (this.cycling.has(name) || this.restoring.has(name)) throw new DeviceError("busy", `port ${name} is already being power-cycled`);
    this.cycling.add(name);
    try {
      // On disk before the power goes: an agent that dies from here on switches the port on when it starts.
      await r.intents.add({ port: name, ifIndex: p.ifIndex, until: r.clock.now() + offMs });
      this.emitState();
      await this.writePoe(p, false);
      r.log.info({ port: name, offMs }, "PoE off for a power-cycle");
      this.emitState();
      const cut = await sleep(r.clock, offMs, ctx.signal);
      await this.writePoe(p, true);
      await r.intents.remove(name);
      const poweredAt = r.clock.now();
      this.emitState();
      if (!cut) throw new DeviceError("timeout", `the deadline passed while port ${name} was off; its power is back on`);
      const deadline = Math.min(ctx.deadline, poweredAt + r.o.deliverTimeoutMs);
      while (true) {
        const poe = await r.reader.poe(p);
        if (poe?.detection === "deliveringPower") break;
        if (r.clock.now() + r.o.statusWatchMs > deadline || !(await sleep(r.clock, r.o.statusWatchMs, ctx.signal))) {
          throw new DeviceError("timeout", `port ${name} has power again but did not deliver it by the deadline (detection ${poe?.detection ?? "unknown"})`);
        }
      }
      return { port: name, offMs, deliveringAfterMs: r.clock.now() - poweredAt };
    } finally {
      this.cycling.delete(name);
      this.emitState();
    }
  }

  /**
   * Switches on the ports whose cycle a previous run (or a failed write) left unfinished, at once:
   * after a restart the cycle's `until` has lost its meaning (the time the agent was away counts as
   * off time too), and a device left dark longer than asked is the failure to avoid.
   */
  private async restorePending(): Promise<void> {
    const r = this.run;
    if (!r) return;
    for (const c of r.intents.list()) {
      if (this.cycling.has(c.port) || this.restoring.has(c.port)) continue;
      void this.restoreOne(r, c);
    }
  }

  private async restoreOne(r: Running, c: CycleIntent): Promise<void> {
    const p = r.ports.find((x) => x.name === c.port) ?? { name: c.port, ifIndex: c.ifIndex, protected: false };
    this.restoring.add(c.port);
    try {
      await this.writePoe(p, true);
      await r.intents.remove(c.port);
      r.log.warn({ port: c.port }, "PoE switched back on after an unfinished power-cycle");
      this.emitEvent({ type: "poe.restored", message: `port ${c.port} switched back on after an unfinished power-cycle`, data: { port: c.port } });
    } catch (e) {
      r.log.warn({ port: c.port, err: redact((e as Error).message, r.secrets) }, "cannot switch the port back on yet; trying again after the next good read");
    } finally {
      this.restoring.delete(c.port);
      this.emitState();
    }
  }

  // ---------------------------------------------------------------- plumbing

  private requireRun(): Running {
    if (!this.run) throw new DeviceError("not_connected", "driver not started");
    return this.run;
  }

  private cyclingList(): string[] {
    const names = new Set([...this.cycling, ...(this.run?.intents.list().map((c) => c.port) ?? [])]);
    return [...names].sort();
  }

  private snapshot(): SwitchState {
    this.state.cycling = this.cyclingList();
    return structuredClone(this.state);
  }

  private emitState(): void {
    this.emit("state", this.snapshot());
  }

  private emitEvent(e: DriverEvent): void {
    this.emit("event", e);
  }

  private setHealth(h: Health): void {
    const c = this.currentHealth;
    if (c.status === h.status && c.code === h.code && c.message === h.message) return;
    if (h.status === "ok") this.garbledReported = false;
    this.currentHealth = h;
    this.emit("health", { ...h });
  }
}
