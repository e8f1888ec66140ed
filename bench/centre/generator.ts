/**
 * The centre bench's load generator, in a worker thread of its own (its own event loop, so the
 * publishing does not queue behind the recorder's commits): MQTT connections publishing what a
 * fleet's agents send the centre, in the contract's topics and payloads (agent/topics.ts).
 *
 * - steady: every device changes health every `healthS` seconds (a `health` event and the retained
 *   dev/{device}/health, as the agent publishes a change), plus `commandsPerSec` command audit
 *   events at random sites; each payload's ts (or since) is the moment it is published, for the lag.
 * - burst: `count` historical events (health changes and commands marked historical, dated the day
 *   before), published as fast as the connections take them: an outbox replay after an outage.
 */
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import mqtt, { type MqttClient } from "mqtt";
import { topics } from "../../agent/topics.js";
import { deviceName, siteName, type GeneratorDone, type GeneratorSetup, type GeneratorTask } from "./protocol.js";

const setup = workerData as GeneratorSetup;
const clients: MqttClient[] = [];
/** Event ids per site: `{bootSeq}-{n}`, as an agent numbers them. */
const counters = new Map<string, number>();
const nextId = (site: string) => {
  const n = (counters.get(site) ?? 0) + 1;
  counters.set(site, n);
  return `1-${n}`;
};
let rr = 0;
let inFlight = 0;
let drained: (() => void) | undefined;

function publish(topic: string, payload: object, retain: boolean): void {
  const client = clients[rr++ % clients.length]!;
  inFlight++;
  client.publish(topic, JSON.stringify(payload), { qos: 1, retain }, () => {
    inFlight--;
    if (inFlight < 2000) drained?.();
  });
}

/** Waits while too many publishes are unacknowledged (bounded memory in the burst). */
const room = () => (inFlight < 5000 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve)));

function healthChange(site: string, device: string, status: string, ts: number, historical: boolean): void {
  publish(topics.event(site), { id: nextId(site), ts, type: "health", device, ...(historical ? { historical: true } : {}), data: { status } }, false);
  if (!historical) publish(topics.deviceHealth(site, device), { status, since: ts, lastSeen: ts }, true);
}

function command(site: string, device: string, ts: number, historical: boolean, n: number): void {
  const id = nextId(site);
  publish(topics.event(site), {
    id, ts, type: "command", device, ...(historical ? { historical: true } : {}),
    data: { id: `bench-${n}`, user: "op-bench", device, action: "preset.recall", status: "ok", durationMs: 120 },
  }, false);
}

async function steady(t: Extract<GeneratorTask, { phase: "steady" }>): Promise<GeneratorDone> {
  const tickMs = 100;
  const ticks = Math.round(t.durationMs / tickMs);
  const series = setup.sites * setup.devices;
  const perTick = (series / t.healthS) * (tickMs / 1000);
  const cmdPerTick = t.commandsPerSec * (tickMs / 1000);
  let owed = 0;
  let cmdOwed = 0;
  let cursor = 0;
  let sent = 0;
  let n = 0;
  const firstAt = Date.now();
  const start = performance.now();
  for (let i = 0; i < ticks; i++) {
    owed += perTick;
    cmdOwed += cmdPerTick;
    const now = Date.now();
    for (; owed >= 1; owed--) {
      const k = cursor++ % series;
      const round = Math.floor((cursor - 1) / series);
      healthChange(siteName(Math.floor(k / setup.devices)), deviceName(k % setup.devices), round % 2 === 0 ? "degraded" : "ok", now, false);
      sent += 2;
    }
    for (; cmdOwed >= 1; cmdOwed--) {
      const k = (n * 7919) % series;
      command(siteName(Math.floor(k / setup.devices)), deviceName(k % setup.devices), now, false, n++);
      sent++;
    }
    // Ticks on the schedule, not after the work: a slow tick is not made up by stretching the run.
    const wait = start + (i + 1) * tickMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return { phase: "steady", sent, firstAt, lastAt: Date.now() };
}

async function burst(t: Extract<GeneratorTask, { phase: "burst" }>): Promise<GeneratorDone> {
  const series = setup.sites * setup.devices;
  const dayAgo = Date.now() - 86_400_000;
  const firstAt = Date.now();
  for (let i = 0; i < t.count; i++) {
    const k = (i * 7919) % series;
    const site = siteName(Math.floor(k / setup.devices));
    const device = deviceName(k % setup.devices);
    if (i % 5 === 4) command(site, device, dayAgo + i, true, 1_000_000 + i);
    else healthChange(site, device, i % 2 === 0 ? "unreachable" : "ok", dayAgo + i, true);
    if (i % 500 === 0) await room();
  }
  return { phase: "burst", sent: t.count, firstAt, lastAt: Date.now() };
}

async function main(): Promise<void> {
  for (let i = 0; i < setup.connections; i++) {
    clients.push(await mqtt.connectAsync(setup.url, { clientId: `bench-gen-${i}`, protocolVersion: 4, clean: true, reconnectPeriod: 0 }));
  }
  parentPort!.on("message", (task: GeneratorTask | { phase: "end" }) => {
    if (task.phase === "end") {
      void Promise.all(clients.map((c) => c.endAsync())).then(() => process.exit(0));
      return;
    }
    void (task.phase === "steady" ? steady(task) : burst(task)).then((done) => parentPort!.postMessage(done));
  });
  parentPort!.postMessage({ phase: "ready" });
}

// Only as the worker: the bench's own thread imports nothing from here.
if (!isMainThread) void main();
