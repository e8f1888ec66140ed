/**
 * `kill -9` of the broker under load loses nothing it acknowledged (docs/broker.md, "What a crash
 * can lose"). A real `roomgate broker` (the built dist/, its default on-disk store) takes QoS 1
 * messages from four publishers at once, each with a window of messages in flight: half are queued
 * for a persistent session that is away, half are retained (each topic overwritten again and again).
 * Once enough are acknowledged the broker is killed with SIGKILL, messages still in flight, and
 * started again on the same directory. Every queued message whose PUBACK arrived reaches the session
 * when it comes back, and every retained topic holds the last value acknowledged for it or a later
 * one sent after it (never an older one, never nothing).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { within } from "./helpers/within.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "dist/cli/main.js");
const PUBLISHERS = 4;
const IN_FLIGHT = 16;
const RETAINED_TOPICS = 25;
/** Acknowledged messages (queued and retained, all publishers) before the kill. */
const KILL_AFTER = 600;

const children: ChildProcess[] = [];
const clients: MqttClient[] = [];
const dir = mkdtempSync(path.join(tmpdir(), "roomgate-broker-crash-"));
afterAll(async () => {
  for (const c of clients) c.end(true);
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

/** `roomgate broker` on a free port with its on-disk store in `dir`; resolves with its port once it listens. */
async function startBroker(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [cli, "broker", "--anonymous", "--host", "127.0.0.1", "--port", "0", "--data-dir", dir], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const port = await within(
    new Promise<number>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /"msg":"broker listening"/.test(out) ? /"port":(\d+)[^\n]*"msg":"broker listening"/.exec(out) : null;
        if (m) resolve(Number(m[1]));
      });
      child.once("exit", (code, signal) => reject(new Error(`broker exited (${code ?? signal}) before listening\n${out.slice(-2000)}\n${err}`)));
    }),
    20_000,
    "broker listening",
  );
  return { child, port };
}

async function connect(port: number, clientId: string, clean = true): Promise<MqttClient> {
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId, clean, protocolVersion: 4, reconnectPeriod: 0 });
  clients.push(c);
  c.on("error", () => {}); // the kill resets these connections: expected
  return c;
}

interface Ledger {
  /** Queued messages (payloads) whose PUBACK arrived. */
  queuedAcked: Set<string>;
  queuedSent: number;
  /** Retained topic -> the highest value acknowledged, and the highest sent. */
  retainedAcked: Map<string, number>;
  retainedSent: Map<string, number>;
  acked: number;
  inFlight: number;
}

/**
 * One publisher keeping IN_FLIGHT QoS 1 messages in flight until its connection goes; message i is
 * queued for the session when even, retained when odd. Calls `onAck` after each PUBACK.
 */
function publish(client: MqttClient, name: string, ledger: Ledger, onAck: () => void): void {
  let i = 0;
  let open = true;
  client.on("close", () => (open = false));
  const next = () => {
    if (!open) return;
    const n = i++;
    ledger.inFlight += 1;
    if (n % 2 === 0) {
      const payload = `${name}-${n}`;
      ledger.queuedSent += 1;
      client.publish(`crash/q/${name}`, payload, { qos: 1 }, (err) => {
        ledger.inFlight -= 1;
        if (err) return;
        ledger.queuedAcked.add(payload);
        ledger.acked += 1;
        onAck();
        next();
      });
    } else {
      const topic = `crash/r/${name}/t${(n >> 1) % RETAINED_TOPICS}`;
      ledger.retainedSent.set(topic, n);
      client.publish(topic, String(n), { qos: 1, retain: true }, (err) => {
        ledger.inFlight -= 1;
        if (err) return;
        ledger.retainedAcked.set(topic, Math.max(ledger.retainedAcked.get(topic) ?? -1, n));
        ledger.acked += 1;
        onAck();
        next();
      });
    }
  };
  for (let k = 0; k < IN_FLIGHT; k++) next();
}

describe("broker kill -9 under load", () => {
  it("loses no queued or retained QoS 1 message it acknowledged", { timeout: 60_000 }, async () => {
    const first = await startBroker();
    // The persistent session (the centre's recorder) subscribes, then goes away: what follows is queued.
    const away = await connect(first.port, "recorder", false);
    await away.subscribeAsync("crash/q/#", { qos: 1 });
    await away.endAsync();

    const ledger: Ledger = { queuedAcked: new Set(), queuedSent: 0, retainedAcked: new Map(), retainedSent: new Map(), acked: 0, inFlight: 0 };
    const exited = new Promise<void>((resolve) => first.child.once("exit", () => resolve()));
    let killedAt: { acked: number; inFlight: number } | undefined;
    const killed = new Promise<void>((resolve) => {
      const onAck = () => {
        if (killedAt !== undefined || ledger.acked < KILL_AFTER) return;
        killedAt = { acked: ledger.acked, inFlight: ledger.inFlight };
        first.child.kill("SIGKILL");
        resolve();
      };
      void (async () => {
        for (let p = 0; p < PUBLISHERS; p++) publish(await connect(first.port, `pub-${p}`), `p${p}`, ledger, onAck);
      })();
    });
    await within(killed, 30_000, `${KILL_AFTER} acknowledged messages`);
    await within(exited, 10_000, "the killed broker's exit");
    // Freeze the ledger: acknowledgements still in the socket buffers after the kill do not count.
    const queuedAcked = new Set(ledger.queuedAcked);
    const retainedAcked = new Map(ledger.retainedAcked);
    const retainedSent = new Map(ledger.retainedSent);
    expect(killedAt!.inFlight).toBeGreaterThan(0); // killed under load, not between messages

    const second = await startBroker();
    // The session comes back: its stored queue comes first, then a message published after it connected.
    const recorder = await connect(second.port, "recorder", false);
    const got: string[] = [];
    const drained = new Promise<void>((resolve) =>
      recorder.on("message", (_t, payload) => {
        const s = payload.toString();
        if (s === "after-restart") resolve();
        else got.push(s);
      }),
    );
    const checker = await connect(second.port, "checker");
    await checker.publishAsync("crash/q/marker", "after-restart", { qos: 1 });
    await within(drained, 15_000, "the recorder's queue after the restart");
    const missing = [...queuedAcked].filter((p) => !got.includes(p));
    expect(missing, `acknowledged queued messages lost (of ${queuedAcked.size})`).toEqual([]);

    // The retained topics: a retained marker set last is walked last (the index keeps insertion order).
    await checker.publishAsync("crash/r/~end", "end", { qos: 1, retain: true });
    const retained = new Map<string, number>();
    const walked = new Promise<void>((resolve) =>
      checker.on("message", (topic, payload) => {
        if (topic === "crash/r/~end") resolve();
        else retained.set(topic, Number(payload.toString()));
      }),
    );
    await checker.subscribeAsync("crash/r/#", { qos: 1 });
    await within(walked, 15_000, "the retained messages after the restart");
    const wrong: string[] = [];
    for (const [topic, acked] of retainedAcked) {
      const now = retained.get(topic);
      if (now === undefined || now < acked || now > retainedSent.get(topic)!) wrong.push(`${topic}: acknowledged ${acked}, after the restart ${now ?? "nothing"}`);
    }
    expect(wrong, `retained topics older than acknowledged (of ${retainedAcked.size})`).toEqual([]);
    expect(queuedAcked.size).toBeGreaterThan(KILL_AFTER / 4);
    expect(retainedAcked.size).toBeGreaterThan(PUBLISHERS); // the retained side was exercised too
  });
});
