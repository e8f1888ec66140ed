/**
 * A slice of the simulated fleet, in one worker process: each agent is one MQTT connection as the
 * real agent makes it (client id `roomgate-agent-{site}`, its site's agent user, a retained last
 * will on agent/state, clean session, keepalive), subscribes to its `cmd/+` and `agent/rebirth`,
 * publishes its retained birth, meta and every device's health and state (QoS 1, as
 * agent/topics.ts says), then each device's health every `healthMs` and state every `stateMs`.
 *
 * Phases are spread evenly over the whole fleet (device g of N*D publishes at g/(N*D) of the
 * period), so the broker sees a smooth rate, not a burst every period. A command is answered at
 * once on `res/{operator}` with the audit event and the device's state after it, as the agent does.
 */
import { LoopDelayMeter } from "./loop-delay.js";
import { LiteClient, LiteConnectError } from "./mqtt-lite.js";
import { agentClientId, agentUser, auditEvent, birth, deviceAt, healthPayload, monoMs, responsePayload, siteId, SITE_PLACEHOLDER, statePayload, topicOf, will } from "./payloads.js";
import type { AgentsInit, AgentsReport, ConnectResult, Window } from "./protocol.js";

const TICK_MS = 5;

interface SimDevice {
  id: string;
  healthTopic: string;
  stateTopic: string;
  stateJson: string;
  healthMessage: string | undefined;
}

interface SimAgent {
  index: number;
  site: string;
  client: LiteClient | undefined;
  since: number;
  events: number;
}

/** One periodic publication per device, in phase order, fired by a counter (no drift, no timer per device). */
interface Ring {
  periodMs: number;
  items: { phase: number; agent: SimAgent; device: number }[];
  pos: number;
  cycle: number;
  fire: (agent: SimAgent, device: number, t: number) => void;
}

export class AgentFleet {
  private readonly agents: SimAgent[] = [];
  private readonly devices: SimDevice[][] = [];
  private window: Window | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private rings: Ring[] = [];
  private readonly loop = new LoopDelayMeter();
  private loopAtW1: AgentsReport["loopDelayMs"] | undefined;
  private readonly counts = { healthSent: 0, stateSent: 0, cmdReceived: 0, resSent: 0, published: 0, received: 0, dropped: 0, maxInFlight: 0 };
  private readonly droppedReasons: Record<string, number> = {};

  constructor(private readonly init: AgentsInit) {
    const { shape } = init;
    for (let i = init.from; i < init.to; i++) {
      const site = siteId(i);
      this.agents.push({ index: i, site, client: undefined, since: Date.now(), events: 0 });
      const devs: SimDevice[] = [];
      for (let d = 0; d < shape.devices; d++) {
        const p = deviceAt(d);
        devs.push({ id: p.id, healthTopic: topicOf.health(site, p.id), stateTopic: topicOf.state(site, p.id), stateJson: JSON.stringify(p.state), healthMessage: p.healthMessage });
      }
      this.devices.push(devs);
    }
  }

  private devs(a: SimAgent): SimDevice[] {
    return this.devices[a.index - this.init.from]!;
  }

  private inWindow(t: number): boolean {
    return this.window !== undefined && t >= this.window.w0 && t <= this.window.w1;
  }

  /** The connect storm of this slice: `connectConcurrency` connects in flight at a time, no retry. */
  async connect(): Promise<ConnectResult> {
    const { shape, broker, password } = this.init;
    const result: ConnectResult = {
      attempted: this.agents.length, connected: 0, refused: {}, failed: {}, subscribeRefused: 0, connackMs: [],
      startedAt: monoMs(), connectedAt: 0, readyAt: 0, firstErrors: [],
    };
    let next = 0;
    const one = async (a: SimAgent): Promise<void> => {
      try {
        const { client, connackMs } = await LiteClient.connect({
          host: broker.host, port: broker.port, clientId: agentClientId(a.site), username: agentUser(a.site), password,
          keepaliveSec: shape.keepaliveSec, timeoutMs: shape.connectTimeoutMs,
          will: { topic: topicOf.agentState(a.site), payload: will(1), qos: 1, retain: true },
        });
        result.connected += 1;
        result.connackMs.push(connackMs);
        result.connectedAt = Math.max(result.connectedAt, monoMs());
        a.client = client;
        client.onClose = (reason, byUs) => this.closed(reason, byUs);
        client.onMessage = (topic, payload) => this.message(a, topic, payload);
        const granted = await client.subscribe([topicOf.cmdFilter(a.site), topicOf.rebirth(a.site)], 1);
        result.subscribeRefused += granted.filter((g) => g === 128).length;
        this.publishRetained(a);
        await client.drained();
        result.readyAt = Math.max(result.readyAt, monoMs());
      } catch (err) {
        if (err instanceof LiteConnectError && err.code === "refused") result.refused[String(err.returnCode)] = (result.refused[String(err.returnCode)] ?? 0) + 1;
        else {
          const code = err instanceof LiteConnectError ? err.code : "error";
          result.failed[code] = (result.failed[code] ?? 0) + 1;
        }
        if (result.firstErrors.length < 5) result.firstErrors.push(`${a.site}: ${(err as Error).message}`);
      }
    };
    const lane = async () => {
      while (next < this.agents.length) await one(this.agents[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(shape.connectConcurrency, this.agents.length) }, lane));
    return result;
  }

  /** Birth, meta, and every device's health and state: what the agent republishes after each connect. */
  private publishRetained(a: SimAgent): void {
    const c = a.client!;
    c.publish(topicOf.agentState(a.site), birth(1), 1, true);
    c.publish(topicOf.agentMeta(a.site), this.init.metaJson.replace(`"site":"${SITE_PLACEHOLDER}"`, `"site":"${a.site}"`), 1, true);
    for (const d of this.devs(a)) {
      const t = monoMs();
      c.publish(d.healthTopic, healthPayload(a.since, d.healthMessage, t), 1, true);
      c.publish(d.stateTopic, statePayload(d.stateJson, t), 1, true);
    }
  }

  private closed(reason: string, byUs: boolean): void {
    if (byUs || this.stopping) return;
    this.counts.dropped += 1;
    this.droppedReasons[reason] = (this.droppedReasons[reason] ?? 0) + 1;
  }

  private message(a: SimAgent, topic: string, payload: Buffer): void {
    const now = monoMs();
    if (this.inWindow(now)) this.counts.received += 1;
    if (topic.endsWith("/agent/rebirth")) {
      this.publishRetained(a);
      return;
    }
    const user = topic.slice(topic.lastIndexOf("/") + 1);
    let cmd: { id?: unknown; device?: unknown; action?: unknown };
    try {
      cmd = JSON.parse(payload.toString("utf8")) as typeof cmd;
    } catch (err) {
      // The operators only send JSON; anything else is a bench bug worth seeing.
      process.stderr.write(`agent ${a.site}: unreadable command on ${topic}: ${(err as Error).message}\n`);
      return;
    }
    const id = String(cmd.id);
    const device = this.devs(a).find((d) => d.id === cmd.device);
    if (this.inWindow(now)) this.counts.cmdReceived += 1;
    const c = a.client!;
    const t = monoMs();
    c.publish(topicOf.res(a.site, user), responsePayload(id, t), 1, false);
    c.publish(topicOf.event(a.site), auditEvent(`1-${++a.events}`, id, user, device?.id ?? "unknown", String(cmd.action), 1), 1, false);
    if (device) c.publish(device.stateTopic, statePayload(device.stateJson, t), 1, true);
    if (this.inWindow(t)) {
      this.counts.resSent += 1;
      this.counts.published += device ? 3 : 2;
    }
  }

  /** Starts the periodic publications at t0; counts cover [w0, w1]. */
  start(window: Window): void {
    this.window = window;
    const { shape } = this.init;
    const total = shape.agents * shape.devices;
    const ring = (periodMs: number, offset: number, fire: Ring["fire"]): Ring => {
      const items = this.agents.flatMap((agent) =>
        Array.from({ length: shape.devices }, (_, device) => ({ phase: (((agent.index * shape.devices + device) / total) * periodMs + offset) % periodMs, agent, device })),
      );
      items.sort((x, y) => x.phase - y.phase);
      return { periodMs, items, pos: 0, cycle: 0, fire };
    };
    this.rings = [
      ring(shape.healthMs, 0, (a, d, t) => {
        const dev = this.devs(a)[d]!;
        a.client?.publish(dev.healthTopic, healthPayload(a.since, dev.healthMessage, t), 1, true);
        if (this.inWindow(t)) {
          this.counts.healthSent += 1;
          this.counts.published += 1;
        }
      }),
    ];
    // State half a period after health, so the two never coincide.
    if (shape.stateMs > 0) {
      this.rings.push(
        ring(shape.stateMs, shape.stateMs / 2, (a, d, t) => {
          const dev = this.devs(a)[d]!;
          a.client?.publish(dev.stateTopic, statePayload(dev.stateJson, t), 1, true);
          if (this.inWindow(t)) {
            this.counts.stateSent += 1;
            this.counts.published += 1;
          }
        }),
      );
    }
    this.loop.enable();
    const untilW0 = Math.max(0, window.w0 - monoMs());
    setTimeout(() => this.loop.reset(), untilW0).unref();
    setTimeout(() => (this.loopAtW1 = this.loop.snapshot()), Math.max(0, window.w1 - monoMs())).unref();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    const t0 = this.window!.t0;
    const now = monoMs();
    for (const r of this.rings) {
      if (r.items.length === 0) continue;
      for (;;) {
        const item = r.items[r.pos]!;
        const due = t0 + r.cycle * r.periodMs + item.phase;
        if (due > now) break;
        if (item.agent.client?.isOpen) r.fire(item.agent, item.device, monoMs());
        r.pos += 1;
        if (r.pos === r.items.length) {
          r.pos = 0;
          r.cycle += 1;
        }
      }
    }
    if (this.inWindow(now)) {
      for (const a of this.agents) if (a.client && a.client.inFlight > this.counts.maxInFlight) this.counts.maxInFlight = a.client.inFlight;
    }
  }


  report(): AgentsReport {
    return {
      role: "agents",
      ...this.counts,
      droppedReasons: this.droppedReasons,
      open: this.agents.filter((a) => a.client?.isOpen).length,
      loopDelayMs: this.loopAtW1 ?? this.loop.snapshot(),
    };
  }

  /** DISCONNECT every agent (no will), then resolve. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.loop.disable();
    await Promise.all(this.agents.map((a) => a.client?.end()));
  }
}
