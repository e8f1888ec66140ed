/**
 * The operator's side of a bench: one MQTT client with Nagle's algorithm off (mqtt.js leaves it on;
 * the agent and the broker turn it off), that sends commands and times publish -> response with
 * process.hrtime, and waits for retained topics (health) to reach a value.
 */
import net from "node:net";
import { MqttClient } from "mqtt";

export interface TimedResponse {
  /** Publish call -> response message, in ms (hrtime). */
  ms: number;
  /** hrtime of the publish call and of the response's arrival. */
  sentAt: bigint;
  receivedAt: bigint;
  response: Record<string, unknown>;
}

export class Operator {
  private readonly pending = new Map<string, (m: Record<string, unknown>) => void>();
  private readonly watchers = new Set<(topic: string, json: unknown) => void>();
  private seq = 0;
  /** Last JSON payload per topic (retained topics arrive on subscribe). */
  readonly last = new Map<string, unknown>();
  /** Messages per topic, for the report (e.g. health changes during a run). */
  readonly counts = new Map<string, number>();

  private constructor(
    private readonly client: MqttClient,
    readonly site: string,
    readonly user: string,
  ) {
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
  }

  static async connect(url: string, site: string, user = "bench"): Promise<Operator> {
    const u = new URL(url);
    const build = () => {
      const socket = net.createConnection({ host: u.hostname, port: Number(u.port) });
      socket.setNoDelay(true);
      return socket;
    };
    const client = new MqttClient(build, { clientId: `bench-${user}-${process.pid}`, protocolVersion: 4, reconnectPeriod: 0, clean: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`operator: no CONNACK from ${url} within 5 s`)), 5_000);
      client.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      client.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    // After the first connect, errors are reported by the bench's own bounded waits.
    client.on("error", (err) => process.stderr.write(`operator mqtt error: ${err.message}\n`));
    const op = new Operator(client, site, user);
    const root = `roomgate/v1/${site}`;
    await client.subscribeAsync([`${root}/res/${user}`, `${root}/dev/+/health`, `${root}/agent/state`], { qos: 1 });
    return op;
  }

  private onMessage(topic: string, payload: Buffer): void {
    let json: unknown;
    try {
      json = payload.length === 0 ? null : JSON.parse(payload.toString("utf8"));
    } catch (err) {
      process.stderr.write(`operator: non-JSON payload on ${topic}: ${(err as Error).message}\n`);
      return;
    }
    this.last.set(topic, json);
    this.counts.set(topic, (this.counts.get(topic) ?? 0) + 1);
    if (topic.endsWith(`/res/${this.user}`) && json !== null && typeof json === "object") {
      const res = json as Record<string, unknown>;
      const done = this.pending.get(String(res.id));
      if (done) {
        this.pending.delete(String(res.id));
        done(res);
      }
    }
    for (const w of [...this.watchers]) w(topic, json);
  }

  /**
   * Sends one command (QoS 1, like `roomgate ctl`) and resolves with the timed response.
   * `device` null: an agent-level action (e.g. `ping`).
   */
  command(device: string | null, action: string, args: Record<string, unknown>, timeoutMs = 15_000): Promise<TimedResponse> {
    const id = `b${++this.seq}`;
    const body = JSON.stringify(device === null ? { id, action, args } : { id, device, action, args });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no response to ${body} within ${timeoutMs} ms`));
      }, timeoutMs);
      let t0 = 0n;
      this.pending.set(id, (response) => {
        const receivedAt = process.hrtime.bigint();
        clearTimeout(timer);
        resolve({ ms: Number(receivedAt - t0) / 1e6, sentAt: t0, receivedAt, response });
      });
      t0 = process.hrtime.bigint();
      this.client.publish(`roomgate/v1/${this.site}/cmd/${this.user}`, body, { qos: 1 }, (err) => {
        if (err) {
          this.pending.delete(id);
          clearTimeout(timer);
          reject(err);
        }
      });
    });
  }

  /** Subscribes to more topics (QoS 1); their retained payloads land in `last`. */
  async subscribe(filters: string[]): Promise<void> {
    await this.client.subscribeAsync(filters, { qos: 1 });
  }

  /** Calls `fn` on every message from now on; returns the function that stops it. */
  watch(fn: (topic: string, json: unknown) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Resolves once `ready()` holds (checked now and on every message); rejects after `timeoutMs`. */
  until(ready: () => boolean, what: string, timeoutMs: number): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!ready()) return;
        this.watchers.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.watchers.add(check);
    });
  }

  /** Health status per device id, from the retained health topics. */
  healthOf(device: string): string | undefined {
    const h = this.last.get(`roomgate/v1/${this.site}/dev/${device}/health`) as { status?: string } | undefined;
    return h?.status;
  }

  /** Number of health messages received for a device (the first is the retained one). */
  healthMessages(device: string): number {
    return this.counts.get(`roomgate/v1/${this.site}/dev/${device}/health`) ?? 0;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
