/**
 * Fault f: the broker restarts and loses every retained message (a new aedes on the same port, no
 * persistence), while things change at the site. After reconnecting, the agent must republish its
 * retained topics from the current truth (not from what it had said before, and not by replaying
 * events), and deliver the events it owes.
 *
 * Events: a command before; during the outage one camera goes to standby (state only) and the
 * other goes silent (health unreachable + alarm: owed events); after, both recover. The agent goes
 * through the proxy, which is kept cut until the recorder has moved to the new broker, so nothing
 * the agent sends there can pass unrecorded. Counted: every id up to the sentinel.
 */
import { afterAll, describe, expect, it } from "vitest";
import type { ViscaRequest } from "../../drivers/visca/codec.js";
import { startViscaSimulator, type ViscaCamera } from "../../simulators/visca/index.js";
import { Cleanup, broker, proxyTo, recorder, startAgent, untilDisconnected } from "./kit.js";
import { figuresOnFailure, finishScenario } from "./report.js";
import { msgOf, within } from "./wait.js";

const SITE = "fault-f";
const META = { scenario: "f", title: "broker restart, retained state lost", file: import.meta.url };
const cleanup = new Cleanup();
afterAll(() => cleanup.run());

/** Resolves when the camera has received `n` requests that match (then stops watching). */
function requests(camera: ViscaCamera, match: (r: ViscaRequest) => boolean, n: number, ms: number): Promise<void> {
  const original = camera.handle;
  let seen = 0;
  const p = new Promise<void>((resolve) => {
    camera.handle = (req: ViscaRequest, origin?: unknown) => {
      original.call(camera, req, origin);
      if (match(req) && ++seen >= n) resolve();
    };
  });
  return within(p, ms, `${n} matching requests at the camera`).finally(() => {
    camera.handle = original;
  });
}

const powerInquiry = (r: ViscaRequest): boolean => r.kind === "inquiry" && r.inquiry === "power";

describe("fault f: broker restart with retained state lost", () => {
  it("republishes retained state from current truth and delivers the owed events", async () => {
    const b1 = await broker(cleanup);
    const port = b1.port;
    const proxy = await proxyTo(cleanup, b1);
    const cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, bootMs: 0, recallMs: 100 });
    const cam2 = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, bootMs: 0, recallMs: 100 });
    cleanup.push(() => cam.close());
    cleanup.push(() => cam2.close());
    const rec = await recorder(cleanup, b1.url, SITE);
    figuresOnFailure({ ...META, recorder: () => rec });
    const options = { ackTimeoutMs: 300, inquiryTimeoutMs: 300, completionTimeoutMs: 2000 };
    const run = await startAgent(cleanup, {
      site: SITE,
      region: ["province", SITE],
      broker: { url: proxy.url },
      agent: { pollIntervalMs: 250 },
      devices: {
        cam: { kind: "camera", protocol: "visca", transport: { type: "udp", host: "127.0.0.1", port: cam.port }, options },
        cam2: { kind: "camera", protocol: "visca", transport: { type: "udp", host: "127.0.0.1", port: cam2.port }, options },
      },
    });
    await rec.waitOnline(10_000, 0);
    await rec.waitHealth("cam", "ok", 10_000);
    await rec.waitHealth("cam2", "ok", 10_000);
    const moved = await rec.command({ device: "cam", action: "position", args: { pan: 500, tilt: 100 } });
    expect(moved.status).toBe("ok");
    await rec.waitFor((m) => m.topic === `${rec.prefix}/dev/cam/state` && m.json?.state?.pan === 500, 10_000, "cam state pan 500");
    // Nothing in flight when the link goes (that case is scenario h): the command's audit is delivered.
    await rec.waitEvent((e) => e.type === "command" && e.json.data.id === moved.id, 10_000, "audit of the move");

    // The centre goes away: the link first (kept cut while the broker is replaced), then the broker.
    const mark = run.logs.records.length;
    rec.markCut();
    proxy.cut();
    await untilDisconnected(run, 10_000, mark);
    await b1.close();

    // Meanwhile at the site: cam goes to standby (seen by two polls), cam2 falls silent.
    const polled = requests(cam.camera, powerInquiry, 2, 5_000);
    cam.camera.flipPower(false);
    await polled;
    cam2.faults.silent = true;
    await run.logs.waitFor((r) => msgOf(r) === "health changed" && (r.obj as any).device === "cam2", 10_000, "cam2 unreachable", mark);
    expect(run.agent.health("cam2")?.status).toBe("unreachable");

    // A new, empty broker on the same port; the recorder moves first, then the link is let back.
    const b2 = await broker(cleanup, port);
    await rec.attach(b2.url);
    const back = rec.seen.length;
    proxy.restore();
    await rec.waitOnline(10_000, back);

    // A monitoring script connecting now finds the current truth, freshly published.
    const T = rec.prefix;
    const wanted = [`${T}/agent/state`, `${T}/agent/meta`, `${T}/dev/cam/state`, `${T}/dev/cam/health`, `${T}/dev/cam2/health`, `${T}/alarm/cam2-health`];
    const retained = await rec.readRetained(b2.url, `${T}/#`, (f) => wanted.every((t) => f.has(t)) && f.get(`${T}/dev/cam/state`).state.power === "standby", 10_000);
    expect(retained.get(`${T}/agent/state`)).toMatchObject({ state: "online", bootSeq: 1 });
    expect(Object.keys(retained.get(`${T}/agent/meta`).devices).sort()).toEqual(["cam", "cam2"]);
    expect(retained.get(`${T}/dev/cam/state`).state).toMatchObject({ power: "standby", pan: 500, tilt: 100 });
    const h2 = run.agent.health("cam2")!;
    expect(retained.get(`${T}/dev/cam2/health`)).toEqual(JSON.parse(JSON.stringify(h2)));
    expect(retained.get(`${T}/dev/cam/health`).status).toBe("ok");
    expect(retained.get(`${T}/alarm/cam2-health`)).toMatchObject({ severity: "major", device: "cam2" });
    for (const [topic, payload] of retained) expect(payload.historical, topic).toBeUndefined();

    // The owed events arrived, as history.
    await rec.waitEvent((e) => e.type === "health" && e.device === "cam2" && e.json.data.status === "unreachable", 10_000, "owed cam2 unreachable");
    const owed = rec.eventsOf(1).filter((e) => e.device === "cam2" && (e.type === "health" || e.type === "alarm.raised"));
    expect(owed.map((e) => [e.type, e.json.data.status ?? e.json.data.code, e.historical])).toEqual([
      ["health", "ok", true], // queued at start, before the first connect
      ["alarm.raised", "timeout", true],
      ["health", "unreachable", true],
    ]);

    // The site recovers; the centre sees it live.
    const mark2 = rec.seen.length;
    cam2.faults.silent = false;
    cam.camera.flipPower(true);
    await rec.waitHealth("cam2", "ok", 15_000, mark2);
    await rec.waitFor((m) => m.topic === `${T}/dev/cam/state` && m.json?.state?.power === "on", 10_000, "cam on again", mark2);
    await rec.sentinel();

    await finishScenario({
      ...META,
      recorder: rec, brokerUrl: b2.url, currentHealth: (d) => run.agent.health(d)?.status, wantHealth: { cam: "ok", cam2: "ok" },
    });
  }, 50_000);
});
