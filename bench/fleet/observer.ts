/**
 * The centre's side of the load, in one worker process: a monitor (role monitor) subscribed to
 * `roomgate/v1/+/dev/+/health`, measuring delivery latency from each payload's `benchT`, and the
 * operators (role operator, all sites), each subscribed to its own `res/{operator}`, sending
 * `commandsPerSec` commands in total, evenly spaced, to sites and devices drawn from a seeded
 * generator (the same sequence on both brokers), and timing the round trip by command id.
 */
import { summarize } from "../lib/stats.js";
import { LoopDelayMeter } from "./loop-delay.js";
import { LiteClient } from "./mqtt-lite.js";
import { commandPayload, deviceAt, MONITOR_USER, monoMs, operatorUser, siteId, topicOf } from "./payloads.js";
import type { ObserverInit, ObserverReport, Window } from "./protocol.js";

const TICK_MS = 5;

/** mulberry32: small, fast, seeded. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Observer {
  private monitor: LiteClient | undefined;
  private readonly operators: LiteClient[] = [];
  private window: Window | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopping = false;
  private sentCommands = 0;
  private readonly pending = new Map<string, number>();
  private readonly delivery: number[] = [];
  private readonly roundTrip: number[] = [];
  private readonly loop = new LoopDelayMeter();
  private loopAtW1: ObserverReport["loopDelayMs"] | undefined;
  private readonly random: () => number;
  private readonly counts = { healthReceived: 0, healthOutside: 0, commandsSent: 0, commandsAnswered: 0, published: 0, received: 0, dropped: 0 };
  private readonly droppedReasons: Record<string, number> = {};

  constructor(private readonly init: ObserverInit) {
    this.random = rng(init.shape.seed);
  }

  private inWindow(t: number): boolean {
    return this.window !== undefined && t >= this.window.w0 && t <= this.window.w1;
  }

  private async open(user: string, clientId: string, batchWrites: boolean): Promise<LiteClient> {
    const { broker, shape, password } = this.init;
    const { client } = await LiteClient.connect({
      host: broker.host, port: broker.port, clientId, username: user, password, keepaliveSec: shape.keepaliveSec, timeoutMs: shape.connectTimeoutMs, batchWrites,
    });
    client.onClose = (reason, byUs) => {
      if (byUs || this.stopping) return;
      this.counts.dropped += 1;
      this.droppedReasons[`${user}: ${reason}`] = (this.droppedReasons[`${user}: ${reason}`] ?? 0) + 1;
    };
    return client;
  }

  /** Connects the monitor and the operators and subscribes them; throws if any is refused. */
  async connect(): Promise<void> {
    const monitor = await this.open(MONITOR_USER, "bench-monitor-1", true);
    this.monitor = monitor;
    monitor.onMessage = (_topic, payload) => this.health(payload);
    const granted = await monitor.subscribe([topicOf.healthFilter], 1);
    if (granted[0] === 128) throw new Error(`the broker refused the monitor's ${topicOf.healthFilter}`);
    for (let i = 0; i < this.init.shape.operators; i++) {
      const user = operatorUser(i);
      const op = await this.open(user, `bench-${user}`, false);
      op.onMessage = (_topic, payload) => this.response(payload);
      const g = await op.subscribe([topicOf.resFilter(user)], 1);
      if (g[0] === 128) throw new Error(`the broker refused ${user}'s ${topicOf.resFilter(user)}`);
      this.operators.push(op);
    }
  }

  private health(payload: Buffer): void {
    const now = monoMs();
    if (this.inWindow(now)) this.counts.received += 1;
    const t = (JSON.parse(payload.toString("utf8")) as { benchT?: number }).benchT;
    if (t === undefined) return;
    if (this.inWindow(t)) {
      this.counts.healthReceived += 1;
      this.delivery.push(now - t);
    } else this.counts.healthOutside += 1;
  }

  private response(payload: Buffer): void {
    const now = monoMs();
    if (this.inWindow(now)) this.counts.received += 1;
    const id = (JSON.parse(payload.toString("utf8")) as { id?: string }).id;
    const sentAt = id === undefined ? undefined : this.pending.get(id);
    if (sentAt === undefined) return;
    this.pending.delete(id!);
    if (this.inWindow(sentAt)) {
      this.counts.commandsAnswered += 1;
      this.roundTrip.push(now - sentAt);
    }
  }

  start(window: Window): void {
    this.window = window;
    this.loop.enable();
    setTimeout(() => this.loop.reset(), Math.max(0, window.w0 - monoMs())).unref();
    setTimeout(() => (this.loopAtW1 = this.loop.snapshot()), Math.max(0, window.w1 - monoMs())).unref();
    const { shape } = this.init;
    if (shape.commandsPerSec > 0 && this.operators.length > 0) this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  /** Command j goes out at t0 + j / rate, from operator j mod K. */
  private tick(): void {
    const { shape } = this.init;
    const now = monoMs();
    const spacing = 1000 / shape.commandsPerSec;
    while (this.window!.t0 + this.sentCommands * spacing <= now) {
      const j = this.sentCommands++;
      const op = this.operators[j % this.operators.length]!;
      const user = operatorUser(j % this.operators.length);
      const site = siteId(Math.floor(this.random() * shape.agents));
      const device = deviceAt(Math.floor(this.random() * shape.devices));
      const id = `${user}-${j}`;
      const t = monoMs();
      this.pending.set(id, t);
      op.publish(topicOf.cmd(site, user), commandPayload(id, device.id, device.command), 1, false);
      if (this.inWindow(t)) {
        this.counts.commandsSent += 1;
        this.counts.published += 1;
      }
    }
  }


  report(): ObserverReport {
    const open = [this.monitor, ...this.operators].filter((c) => c?.isOpen).length;
    return {
      role: "observer",
      ...this.counts,
      deliveryMs: summarize(this.delivery),
      roundTripMs: summarize(this.roundTrip),
      droppedReasons: this.droppedReasons,
      open,
      loopDelayMs: this.loopAtW1 ?? this.loop.snapshot(),
    };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.loop.disable();
    await Promise.all([this.monitor, ...this.operators].map((c) => c?.end()));
  }
}
