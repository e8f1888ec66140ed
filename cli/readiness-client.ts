/**
 * Asking agents for readiness over MQTT, as an operator (ctl's conventions: `--broker`, `--user`,
 * ROOMGATE_BROKER, ROOMGATE_USER): one `readiness.run` command per site on `cmd/{user}`, the
 * response on `res/{user}`, and the site's progress events while it runs.
 */
import { randomUUID } from "node:crypto";
import type { MqttClient } from "mqtt";
import { topics, type CommandResponse, type SiteEvent } from "../agent/topics.js";

export interface AskOptions {
  site: string;
  user: string;
  args: Record<string, unknown>;
  timeoutMs: number;
  /** The site's events while waiting (progress). */
  onEvent?(event: SiteEvent): void;
}

/** Sends `readiness.run` to one site; resolves with the response, or undefined when none came in time. */
export async function askReadiness(client: MqttClient, o: AskOptions): Promise<CommandResponse | undefined> {
  const id = randomUUID();
  const resTopic = topics.res(o.site, o.user);
  const eventTopic = topics.event(o.site);
  let timer: NodeJS.Timeout | undefined;
  let onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  try {
    return await new Promise<CommandResponse | undefined>((resolve, reject) => {
      timer = setTimeout(() => resolve(undefined), o.timeoutMs);
      onMessage = (topic, payload) => {
        if (topic !== resTopic && topic !== eventTopic) return;
        let body: unknown;
        try {
          body = JSON.parse(payload.toString("utf8"));
        } catch (err) {
          void err; // not ours to judge: another tool's malformed message on a shared topic
          return;
        }
        if (topic === eventTopic) o.onEvent?.(body as SiteEvent);
        else if ((body as CommandResponse).id === id) resolve(body as CommandResponse);
      };
      client.on("message", onMessage);
      const filters = o.onEvent ? [resTopic, eventTopic] : [resTopic];
      client.subscribe(filters, { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        const refused = (granted ?? []).find((g) => g.qos === 128);
        if (refused) return reject(Object.assign(new Error(`the broker refused ${refused.topic} to user ${o.user}`), { code: "not_authorized" }));
        client.publish(topics.cmd(o.site, o.user), JSON.stringify({ id, action: "readiness.run", args: o.args }), { qos: 1 });
      });
    });
  } finally {
    clearTimeout(timer);
    if (onMessage) client.off("message", onMessage);
  }
}
