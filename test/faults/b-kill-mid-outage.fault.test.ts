/**
 * Fault b: the broker link is down, events happen, and the agent process is killed with -9 in the
 * middle of the outage; it is restarted with the same state dir after the link is back.
 *
 * Events: boot 1 answers 3 commands while the link is good (responses + audit events), then the
 * link is cut and the camera goes silent (health unreachable + its alarm: owed, on disk). Boot 2
 * starts against a healthy camera (health ok) and answers the sentinel.
 * Counted: every id of boot 2 up to the sentinel; every id of boot 1 up to the highest that
 * arrived, with the tail witnessed independently: each "health changed" line boot 1 logged (the
 * agent logs it after the event is in its outbox on disk) must arrive as an event.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startViscaSimulator } from "../../simulators/visca/index.js";
import { AgentProcess, assertBuilt } from "./agent-process.js";
import { Cleanup, broker, proxyTo, recorder, tempDir } from "./kit.js";
import { figuresOnFailure, finishScenario } from "./report.js";

const SITE = "fault-b";
const META = { scenario: "b", title: "agent kill -9 mid-outage, restarted", file: import.meta.url };
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

describe("fault b: agent killed with -9 in the middle of an outage", () => {
  it("delivers the events of both boots after restart: none lost, none twice beyond the re-sends after the kill, in order", async () => {
    assertBuilt();
    const dir = tempDir(cleanup, "b");
    const b = await broker(cleanup);
    const proxy = await proxyTo(cleanup, b);
    const cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, bootMs: 0, recallMs: 100 });
    cleanup.push(() => cam.close());
    const rec = await recorder(cleanup, b.url, SITE);
    figuresOnFailure({ ...META, recorder: () => rec });
    const config = path.join(dir, "site.yaml");
    writeFileSync(config, [
      `site: ${SITE}`, `region: [province, ${SITE}]`,
      `broker: { url: "${proxy.url}" }`,
      "agent: { pollIntervalMs: 200, logLevel: info }",
      "devices:",
      "  cam:",
      "    kind: camera", "    protocol: visca",
      `    transport: { type: udp, host: 127.0.0.1, port: ${cam.port} }`,
      "    options: { ackTimeoutMs: 300, inquiryTimeoutMs: 300 }",
      "",
    ].join("\n"));
    const state = path.join(dir, "state");

    const boot1 = new AgentProcess(config, state);
    cleanup.push(() => boot1.stop());
    await rec.waitOnline(15_000, 0, 1);
    await rec.waitHealth("cam", "ok", 15_000);
    for (const id of ["b-home-1", "b-home-2", "b-home-3"]) {
      expect((await rec.command({ id, device: "cam", action: "home" })).status).toBe("ok");
    }

    // The link drops; the camera then goes silent: boot 1 owes that to the centre.
    const mark = boot1.lines.length;
    const cutAt = Date.now();
    rec.markCut();
    proxy.cut();
    await boot1.waitLog((l) => l.msg === "disconnected from broker", 10_000, "boot 1 disconnected", mark);
    cam.faults.silent = true;
    await boot1.waitLog((l) => l.msg === "health changed" && l.health?.status === "unreachable", 10_000, "boot 1: cam unreachable", mark);
    rec.markKill(); // what boot 1 delivered may come once more: its acked mark is written off the loop
    await boot1.kill9();
    const witnessed = boot1.lines.filter((l) => l.msg === "health changed").map((l) => `${l.device} ${l.health.status}`);

    // The camera and the link come back; the agent is restarted on the same state dir.
    cam.faults.silent = false;
    proxy.restore();
    const back = rec.seen.length;
    const boot2 = new AgentProcess(config, state);
    cleanup.push(() => boot2.stop());
    await rec.waitOnline(15_000, back, 2);
    await rec.waitEvent((e) => e.boot === 2 && e.type === "health" && e.json.data.status === "ok", 15_000, "boot 2: cam ok");
    const sentinel = await rec.sentinel(15_000);
    expect(sentinel.boot).toBe(2);

    // Boot 1's witnessed health changes all arrived, in the order it logged them.
    const boot1Events = rec.eventsOf(1);
    expect(boot1Events.filter((e) => e.type === "health").map((e) => `${e.device} ${e.json.data.status}`)).toEqual(witnessed);
    expect(witnessed).toEqual(["cam ok", "cam unreachable"]);
    // What boot 1 owed was replayed by boot 2 as history, before boot 2's own live events.
    const owed = boot1Events.filter((e) => e.json.ts >= cutAt);
    const unreachable = boot1Events.find((e) => e.type === "health" && e.json.data.status === "unreachable")!;
    expect(owed).toContain(unreachable);
    expect(owed.map((e) => e.type)).toContain("alarm.raised");
    expect(owed.filter((e) => !e.historical)).toEqual([]);
    const firstLive2 = rec.events.findIndex((e) => e.boot === 2);
    expect(rec.events.indexOf(unreachable)).toBeLessThan(firstLive2);
    // The three commands of boot 1 were audited once each.
    expect(boot1Events.filter((e) => e.type === "command").map((e) => e.json.data.id)).toEqual(["b-home-1", "b-home-2", "b-home-3"]);

    await finishScenario({
      ...META,
      recorder: rec, brokerUrl: b.url, wantHealth: { cam: "ok" },
    });
  }, 50_000);
});
