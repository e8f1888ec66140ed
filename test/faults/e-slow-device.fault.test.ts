/**
 * Fault e: the camera (VISCA over IP) answers, but slower than the driver's deadline (800 ms
 * against a 300 ms ACK/inquiry timeout), then normally again. Commands time out with the code
 * `timeout`, health leaves ok with code `timeout`, and comes back to ok; no event is lost.
 *
 * Events: commands (responses + audit), health changes and their alarms, the driver's reports of
 * late replies. Counted: every id up to the sentinel, one response per command.
 */
import { afterAll, describe, expect, it } from "vitest";
import { startViscaSimulator } from "../../simulators/visca/index.js";
import { Cleanup, broker, recorder, startAgent } from "./kit.js";
import { figuresOnFailure, finishScenario } from "./report.js";

const SITE = "fault-e";
const META = { scenario: "e", title: "slow device (800 ms replies, 300 ms deadline)", file: import.meta.url };
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe("fault e: slow device", () => {
  it("codes the timeouts, degrades health while slow, and recovers when the device is quick again", async () => {
    const b = await broker(cleanup);
    const cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, bootMs: 0, recallMs: 100 });
    cleanup.push(() => cam.close());
    const rec = await recorder(cleanup, b.url, SITE);
    figuresOnFailure({ ...META, recorder: () => rec });
    const run = await startAgent(cleanup, {
      site: SITE,
      region: ["province", SITE],
      broker: { url: b.url },
      agent: { pollIntervalMs: 250, commandTimeoutMs: 3000 },
      devices: {
        cam: {
          kind: "camera", protocol: "visca",
          transport: { type: "udp", host: "127.0.0.1", port: cam.port },
          options: { ackTimeoutMs: 300, inquiryTimeoutMs: 300, completionTimeoutMs: 2000 },
        },
      },
    });
    await rec.waitOnline(10_000, 0);
    await rec.waitHealth("cam", "ok", 10_000);
    expect((await rec.command({ device: "cam", action: "home" })).status).toBe("ok");

    const mark = rec.seen.length;
    cam.faults.slowMs = 800;
    const slow = await rec.command({ device: "cam", action: "zoom.position", args: { position: 2000 } });
    expect(slow.status).toBe("timeout");
    expect(slow.json.error.code).toBe("timeout");
    const degraded = await rec.waitFor(
      (m) => m.topic === `${rec.prefix}/dev/cam/health` && m.json?.status !== "ok",
      10_000, "cam health to leave ok", mark,
    );
    // The code is `timeout`, or `transport_closed` when the runner has already reset the link after
    // three polls without an answer (the debounce publishes the latest health of its hold window).
    expect(degraded.json.status).toBe("unreachable");
    expect(["timeout", "transport_closed"]).toContain(degraded.json.code);
    const again = await rec.command({ device: "cam", action: "home" });
    // Still slow: a timeout, or `not_connected` if it lands while the runner resets the link.
    expect([["timeout", "timeout"], ["error", "not_connected"]]).toContainEqual([again.status, again.json.error?.code]);

    const mark2 = rec.seen.length;
    cam.faults.slowMs = 0;
    await rec.waitHealth("cam", "ok", 15_000, mark2);
    expect((await rec.command({ device: "cam", action: "zoom.position", args: { position: 3000 } })).status).toBe("ok");
    expect(cam.camera.position().zoom).toBe(3000);
    await rec.sentinel();
    const alarms = rec.eventsOf(1).filter((e) => e.type.startsWith("alarm.")).map((e) => e.type);
    expect(alarms).toEqual(["alarm.raised", "alarm.cleared"]);

    await finishScenario({
      ...META,
      recorder: rec, brokerUrl: b.url, currentHealth: (d) => run.agent.health(d)?.status, wantHealth: { cam: "ok" },
    });
  }, 45_000);
});
