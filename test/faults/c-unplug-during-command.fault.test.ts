/**
 * Fault c: the serial camera's cable is pulled while a command runs (a 3 s preset recall, after the
 * camera accepted it). The operator must get exactly one answer, with an error code; health goes
 * unreachable, then ok after the cable is back; no event is lost.
 *
 * Events: commands before and after (responses + audit events), health changes and their alarm
 * raise/clear, whatever the driver reports. Counted: every id up to the sentinel, one response per
 * command sent.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ViscaRequest } from "../../drivers/visca/codec.js";
import { startViscaSimulator } from "../../simulators/visca/index.js";
import { Cleanup, broker, recorder, startAgent, tempDir } from "./kit.js";
import { figuresOnFailure, finishScenario } from "./report.js";
import { within } from "./wait.js";

const SITE = "fault-c";
const META = { scenario: "c", title: "serial device unplugged during a command", file: import.meta.url };
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe("fault c: device unplugged during a command", () => {
  it("answers the running command once with a coded error, reports unreachable, recovers after replug", async () => {
    const dir = tempDir(cleanup, "c");
    const b = await broker(cleanup);
    const devicePath = path.join(dir, "cam");
    const cam = await startViscaSimulator({ link: "serial", devicePath, baudRate: 9600, recallMs: 3000, bootMs: 100 });
    cleanup.push(() => cam.close());
    const rec = await recorder(cleanup, b.url, SITE);
    figuresOnFailure({ ...META, recorder: () => rec });
    const run = await startAgent(cleanup, {
      site: SITE,
      region: ["province", SITE],
      broker: { url: b.url },
      agent: { pollIntervalMs: 250, commandTimeoutMs: 8000 },
      devices: {
        cam: {
          kind: "camera", protocol: "visca",
          transport: { type: "serial", path: devicePath, baudRate: 9600 },
          options: { ackTimeoutMs: 400, inquiryTimeoutMs: 400, completionTimeoutMs: 6000, connectTimeoutMs: 1000 },
        },
      },
    });
    await rec.waitOnline(10_000, 0);
    await rec.waitHealth("cam", "ok", 10_000);
    expect((await rec.command({ device: "cam", action: "position", args: { pan: 1200, tilt: -300 } })).status).toBe("ok");
    expect((await rec.command({ device: "cam", action: "preset.set", args: { preset: 2 } })).status).toBe("ok");
    expect((await rec.command({ device: "cam", action: "home" })).status).toBe("ok");

    // Know, from the camera's side, that the recall was received and is running.
    const handle = cam.camera.handle.bind(cam.camera);
    const recallSeen = new Promise<void>((resolve) => {
      cam.camera.handle = (req: ViscaRequest, origin?: unknown) => {
        handle(req, origin);
        if (req.kind === "command" && req.command.type === "preset" && req.command.op === "recall") resolve();
      };
    });
    const mark = rec.seen.length;
    const answer = rec.command({ id: "c-recall", device: "cam", action: "preset.recall", args: { preset: 2 } }, 15_000);
    await within(recallSeen, 5_000, "the camera to receive the recall");
    expect(cam.camera.moving()).toBe(true);
    await cam.unplug();

    const res = await answer;
    expect(res.status).toBe("error");
    expect(res.json.error.code).toBe("not_connected");
    const down = await rec.waitHealth("cam", "unreachable", 10_000, mark);
    expect(down.json.code).toBe("transport_closed");

    const mark2 = rec.seen.length;
    await cam.replug();
    await rec.waitHealth("cam", "ok", 20_000, mark2);
    expect((await rec.command({ device: "cam", action: "home" })).status).toBe("ok");
    await rec.sentinel();

    // One answer and one audit record for the interrupted command, both saying how it ended.
    expect(rec.responses.filter((r) => r.id === "c-recall")).toHaveLength(1);
    const audits = rec.eventsOf(1).filter((e) => e.type === "command" && e.json.data.id === "c-recall");
    expect(audits.map((e) => [e.json.data.status, e.json.data.errorCode])).toEqual([["error", "not_connected"]]);
    const health = rec.eventsOf(1).filter((e) => e.type === "health").map((e) => e.json.data.status);
    expect(health.slice(-2)).toEqual(["unreachable", "ok"]);

    await finishScenario({
      ...META,
      recorder: rec, brokerUrl: b.url, currentHealth: (d) => run.agent.health(d)?.status, wantHealth: { cam: "ok" },
    });
  }, 50_000);
});
