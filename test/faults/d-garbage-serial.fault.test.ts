/**
 * Fault d: junk bytes on every serial line of the site (a VISCA camera at 9600, a Samsung MDC
 * display chain at 9600, a NovaStar LED controller at 115200, each on its own pty). Every
 * command is still answered, ok or with a coded error; the agent keeps running; each driver reports
 * the junk; health is ok once the junk stops.
 *
 * Events: commands (responses + audit), the drivers' `garbled_frame` reports, any health changes.
 * Counted: every id up to the sentinel, one response per command.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { siteConfigSchema } from "../../config/site.js";
import { startSiteSimulators } from "../../simulators/site.js";
import { memoryLogger } from "../helpers/logger.js";
import { Cleanup, broker, recorder, startAgent, tempDir } from "./kit.js";
import { figuresOnFailure, finishScenario } from "./report.js";

const SITE = "fault-d";
const META = { scenario: "d", title: "garbage on every serial line (VISCA, MDC, NovaStar)", file: import.meta.url };
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

const CODED = new Set(["timeout", "device_error", "not_connected", "busy", "cancelled"]);

describe("fault d: garbage on every serial line", () => {
  it("answers every command (ok or a coded error), keeps running, and is ok once the junk stops", async () => {
    const dir = tempDir(cleanup, "d");
    const b = await broker(cleanup);
    const rec = await recorder(cleanup, b.url, SITE);
    figuresOnFailure({ ...META, recorder: () => rec });
    const site = {
      site: SITE,
      region: ["province", SITE],
      broker: { url: b.url },
      agent: { pollIntervalMs: 300, commandTimeoutMs: 5000 },
      devices: {
        cam: {
          kind: "camera", protocol: "visca",
          transport: { type: "serial", path: path.join(dir, "cam"), baudRate: 9600 },
          options: { ackTimeoutMs: 500, inquiryTimeoutMs: 500, completionTimeoutMs: 3000, connectTimeoutMs: 1000 },
          simulator: { enabled: true, options: { bootMs: 0, recallMs: 100 } },
        },
        displays: {
          kind: "display", protocol: "mdc",
          transport: { type: "serial", path: path.join(dir, "displays"), baudRate: 9600 },
          options: { displays: { left: 1, right: 2 }, timeoutMs: 1500, bootMs: 500 },
          simulator: { enabled: true, options: { displays: [1, 2], bootMs: 0 } },
        },
        led: {
          kind: "ledwall", protocol: "novastar",
          transport: { type: "serial", path: path.join(dir, "led"), baudRate: 115200 },
          options: { model: "mctrl4k", timeoutMs: 800 },
          simulator: { enabled: true, options: { model: "mctrl4k" } },
        },
      },
    };
    const sims = await startSiteSimulators(siteConfigSchema.parse(site), memoryLogger());
    cleanup.push(() => sims.close());
    const run = await startAgent(cleanup, site);
    await rec.waitOnline(10_000, 0);
    for (const d of ["cam", "displays", "led"]) await rec.waitHealth(d, "ok", 15_000);

    for (const d of ["cam", "displays", "led"]) expect(await sims.control(`garbage ${d} on`)).toBe(`${d} garbage=true`);
    const commands = [
      { device: "cam", action: "home" },
      { device: "cam", action: "zoom.position", args: { position: 4000 } },
      { device: "displays", action: "brightness.set", args: { percent: 40 } },
      { device: "displays", action: "blank.set", args: { on: true } },
      { device: "led", action: "brightness.set", args: { percent: 30 } },
      { device: "led", action: "input.select", args: { input: "hdmi" } },
    ];
    const answers: string[] = [];
    for (let round = 0; round < 2; round++) {
      for (const c of commands) {
        const res = await rec.command(c, 15_000);
        // ok, or an error that says what went wrong: never "internal", never without a code.
        if (res.status !== "ok") expect(CODED.has(res.json.error?.code), `${c.device} ${c.action}: ${JSON.stringify(res.json)}`).toBe(true);
        answers.push(`${c.device} ${c.action} ${res.status}${res.status === "ok" ? "" : ` ${res.json.error.code}`}`);
      }
    }
    expect(answers).toHaveLength(12);
    // Each driver saw the junk and said so.
    for (const d of ["cam", "displays", "led"]) {
      await rec.waitEvent((e) => e.device === d && e.type === "driver" && e.json.data?.type === "garbled_frame", 10_000, `${d} garbled_frame`);
    }

    const clean = rec.seen.length;
    for (const d of ["cam", "displays", "led"]) await sims.control(`garbage ${d} off`);
    // Once clean, every device takes commands again and its health is ok.
    for (const c of commands.slice(0, 1).concat(commands[2]!, commands[4]!)) {
      expect((await rec.command(c, 15_000)).status, `${c.device} ${c.action} after the junk`).toBe("ok");
    }
    await rec.sentinel();
    for (const d of ["cam", "displays", "led"]) {
      const last = [...rec.seen].reverse().find((m) => m.topic === `${rec.prefix}/dev/${d}/health`);
      if (last?.json.status !== "ok") await rec.waitHealth(d, "ok", 15_000, clean);
    }

    await finishScenario({
      ...META,
      recorder: rec, brokerUrl: b.url, currentHealth: (d) => run.agent.health(d)?.status, wantHealth: { cam: "ok", displays: "ok", led: "ok" },
    });
  }, 60_000);
});
