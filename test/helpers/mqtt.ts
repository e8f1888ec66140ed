/**
 * A monitoring-script stand-in: subscribes, records every message, and waits for the one a test
 * expects (bounded; fails with what it did see).
 */
import mqtt from "mqtt";
import type { MqttClient } from "mqtt";

export interface Seen {
  topic: string;
  retain: boolean;
  raw: string;
  json: any;
}

export class Watcher {
  readonly seen: Seen[] = [];
  private waiters: { match: (m: Seen) => boolean; resolve: (m: Seen) => void }[] = [];
  private constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      const raw = payload.toString("utf8");
      let json: unknown = null;
      try {
        if (raw !== "") json = JSON.parse(raw);
      } catch {
        json = undefined; // not JSON (e.g. a malformed command a test sent on purpose)
      }
      const m: Seen = { topic, retain: packet.retain, raw, json };
      this.seen.push(m);
      for (const w of [...this.waiters]) {
        if (w.match(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
  }

  static async connect(url: string, filter: string | string[], clientId = `test-${Math.random().toString(16).slice(2, 10)}`): Promise<Watcher> {
    const client = await mqtt.connectAsync(url, { clientId, protocolVersion: 4, reconnectPeriod: 100 });
    const w = new Watcher(client);
    await client.subscribeAsync(filter, { qos: 1 });
    return w;
  }

  /** Resolves with the first message (already seen since `fromIndex`, or future) that matches. */
  waitFor(match: (m: Seen) => boolean, timeoutMs = 8000, what = "message", fromIndex = 0): Promise<Seen> {
    const past = this.seen.slice(fromIndex).find(match);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: (m: Seen) => { clearTimeout(timer); resolve(m); } };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        const tail = this.seen.slice(-15).map((s) => `${s.topic} ${s.raw}`).join("\n  ");
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen:\n  ${tail}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits for a message published from now on. */
  next(match: (m: Seen) => boolean, timeoutMs = 8000, what = "message"): Promise<Seen> {
    return this.waitFor(match, timeoutMs, what, this.seen.length);
  }

  /**
   * Resolves once the latest message on `topic` matches: now, if the last one seen does, or when a
   * later one does. For a state that may already have been reached (a device back after a replug may
   * say "ok" before the test starts to wait), where `next` would wait for a change that never comes.
   */
  until(topic: string, match: (m: Seen) => boolean, timeoutMs = 8000, what = `${topic} as expected`): Promise<Seen> {
    let last = -1;
    for (let i = this.seen.length - 1; i >= 0; i--) {
      if (this.seen[i]!.topic === topic) {
        last = i;
        break;
      }
    }
    return this.waitFor((m) => m.topic === topic && match(m), timeoutMs, what, last === -1 ? this.seen.length : last);
  }

  publish(topic: string, payload: string | object): Promise<unknown> {
    return this.client.publishAsync(topic, typeof payload === "string" ? payload : JSON.stringify(payload), { qos: 1 });
  }

  /**
   * An operator's command, as a console sends it: published on `{base}/cmd/{user}`; resolves with
   * the agent's answer on `{base}/res/{user}` that carries the command's id (bounded).
   */
  async command(base: string, user: string, body: { id: string } & Record<string, unknown>, timeoutMs = 10_000, what = `response ${body.id}`): Promise<any> {
    const mark = this.seen.length;
    await this.publish(`${base}/cmd/${user}`, body);
    return (await this.waitFor((m) => m.topic === `${base}/res/${user}` && m.json?.id === body.id, timeoutMs, what, mark)).json;
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }
}
