/**
 * A month the centre's pages can be checked against by hand: November 2026 (30 days, UTC) of two
 * sites, published over MQTT by their agents' users and recorded by a real recorder. The figures
 * the report must show follow from the story:
 *
 * - s1 (devices cam, led): online all month. cam ok, unreachable from the 11th 00:00 to the 14th
 *   00:00 (3 days of 30: up 90 %, down 10 %), led ok all month (up 100 %): the site 95 % up, 5 % down.
 *   Its cam-health alarm raised the 11th, acknowledged by op-1 an hour later, cleared the 14th.
 *   op-1 recalled a preset on cam during the outage (audit). Readiness: pass the 2nd, fail the 12th.
 * - s2 (device cam): cam ok; the agent stopped cleanly on the 16th 00:00 (15 of 30 days): up 50 %,
 *   unknown 50 %. Its cam-temp alarm raised the 20th is never cleared. op-all rebooted its cam (audit).
 */
import type { RunningCentre } from "../../centre/centre.js";
import type { MqttClient } from "mqtt";
import { Site, type Msg } from "./centre.js";
import { within } from "./within.js";

export const MONTH = "2026-11";
const D = (day: number, h = 0) => Date.UTC(2026, 10, day, h, 0, 0);

export const EXPECTED = {
  s1: { up: 95, down: 5, unknown: 0, passRate: 50, devices: { cam: { up: 90, down: 10 }, led: { up: 100, down: 0 } } },
  s2: { up: 50, down: 0, unknown: 50 },
} as const;

export function story(): Record<"s1" | "s2", Msg[]> {
  const s1 = new Site("s1");
  const s2 = new Site("s2");
  return {
    s1: [
      s1.meta(D(1), ["cam", "led"]),
      s1.birth(D(1)),
      s1.healthEvent(D(1), "cam", "ok"),
      s1.healthEvent(D(1), "led", "ok"),
      s1.readiness(D(2, 9), "chk-1", "pass"),
      s1.healthEvent(D(11), "cam", "unreachable", { code: "timeout" }),
      s1.alarmRaised(D(11), "cam-health", "cam"),
      s1.command(D(11) + 1_800_000, "op-1", "cam", "preset.recall"),
      s1.alarmAcked(D(11, 1), "cam-health", "op-1"),
      s1.readiness(D(12, 9), "chk-2", "fail"),
      s1.healthEvent(D(14), "cam", "ok"),
      s1.alarmCleared(D(14), "cam-health"),
    ],
    s2: [
      s2.meta(D(1), ["cam"]),
      s2.birth(D(1)),
      s2.healthEvent(D(1), "cam", "ok"),
      s2.command(D(3, 8), "op-all", "cam", "device.reboot"),
      s2.offline(D(16)),
      s2.alarmRaised(D(20), "cam-temp", "cam", { severity: "minor", code: "overheat", message: "cam too warm" }),
    ],
  };
}

/** Publishes each site's story as its agent (QoS 1, in order) and waits until the recorder has committed every message. */
export async function fill(centre: Pick<RunningCentre, "recorder">, agents: Record<"s1" | "s2", MqttClient>): Promise<number> {
  const msgs = story();
  const total = msgs.s1.length + msgs.s2.length;
  const c = centre.recorder.counts;
  const base = c.recorded + c.duplicates + c.quarantined;
  const all = within(
    new Promise<void>((resolve) => {
      const check = () => {
        if (c.recorded + c.duplicates + c.quarantined - base >= total) {
          off();
          resolve();
        }
      };
      const off = centre.recorder.onCommit(check);
    }),
    30_000,
    `the recorder committing ${total} messages`,
  );
  await Promise.all((["s1", "s2"] as const).map(async (s) => {
    for (const m of msgs[s]) await agents[s].publishAsync(m.topic, m.payload, { qos: 1, retain: m.retain });
  }));
  await all;
  if (c.quarantined > 0) throw new Error(`the recorder quarantined ${c.quarantined} of the story's messages`);
  return total;
}
