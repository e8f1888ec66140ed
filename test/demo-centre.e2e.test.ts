/**
 * Issue 23 done on the demo: the demo's pieces in-process (cli/demo-run.ts, as `roomgate demo` starts
 * them, centre included) on free ports with the real simulators. An operator sends a command, a
 * camera's cable is pulled (its alarm raised, acknowledged by the operator, cleared once the cable is
 * back) and a technician runs a readiness check; then `roomgate history` (in-process, asking the
 * running centre over its local API, as a user on the centre's machine would) shows each of them,
 * `history verify` passes and the month's report counts the readiness run and the alarm. In chromium
 * (when installed), the centre's pages that the demo serves from the centre's thread show the same:
 * the command and the readiness run in the History page's audit table, the alarm with who
 * acknowledged it, and the site's readiness runs on the Availability page.
 *
 * Real clock (real sockets to real simulators); every wait is on an MQTT message or a commit of the
 * centre, bounded. No sleeps.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CommittedMessage, DemoCentre } from "../cli/demo-centre.js";
import { startDemo, type RunningDemo } from "../cli/demo-run.js";
import { roomgateInProcess } from "./helpers/cli-inprocess.js";
import { launch, logIn, openPage } from "./helpers/browser.js";
import { relocatedSite } from "./helpers/demo-site.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";
import { describeWith } from "./helpers/tools.js";
import { within } from "./helpers/within.js";

const T = "roomgate/v1/district-07";

let dir: string;
let stateDir: string;
let demo: RunningDemo;
let centre: DemoCentre;
let ops: Watcher;
let n = 0;
/** Every message the centre has committed, in order. */
const committed: CommittedMessage[] = [];
const waiters = new Set<() => void>();

/** Resolves once the centre has committed a message matching `match` (bounded). */
function recorded(match: (m: CommittedMessage) => boolean, what: string, ms = 20_000): Promise<void> {
  return within(
    new Promise<void>((resolve) => {
      const check = () => {
        if (committed.some(match)) {
          waiters.delete(check);
          resolve();
        }
      };
      waiters.add(check);
      check();
    }),
    ms,
    `the centre recording ${what}`,
  );
}

async function command(device: string | undefined, action: string, args: Record<string, unknown> = {}, timeoutMs = 30_000): Promise<any> {
  const id = `c${++n}`;
  const mark = ops.seen.length;
  await ops.publish(`${T}/cmd/op-anna`, { id, ...(device ? { device } : {}), action, args });
  return (await ops.waitFor((m) => m.topic === `${T}/res/op-anna` && m.json?.id === id, timeoutMs, `answer to ${action}`, mark)).json;
}

/** `roomgate ...argv` in-process (test/helpers/cli-inprocess.ts). */
const roomgate = roomgateInProcess;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-demo-centre-"));
  stateDir = path.join(dir, "state");
  const config = await relocatedSite(dir);
  // The centre's record as a demo that ran before leaves it (initdb and migrations done, about 5 s of
  // CPU): this file is about what the centre records; test/demo.test.ts's demo starts from nothing.
  await seedCentreRecord(stateDir);
  // As `roomgate demo` starts it: the broker's WebSocket for the page, the centre's pages on a free port.
  demo = await startDemo({ config, logger: memoryLogger(), port: 0, httpPort: 0, stateDir, bootSeq: 1, centre: true, centreWebPort: 0, centreCommits: true, agent: { mqttBackoff: { initialMs: 50, maxMs: 300 } } });
  // The centre runs in its own thread; it comes up after the rest, and the test starts once it records.
  centre = (await demo.centre)!;
  centre.onCommit((msgs) => {
    committed.push(...msgs);
    for (const w of [...waiters]) w();
  });
  ops = await Watcher.connect(demo.broker.url, `${T}/#`);
}, 120_000);

afterAll(async () => {
  await ops?.close();
  await demo?.close();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * What the operator and the technician do on the demo, once (whichever test asks first): a command,
 * a camera's cable pulled (its alarm raised, acknowledged, cleared once the cable is back), a
 * readiness run; resolves once the centre has committed the readiness report and the alarm's clearing.
 */
let scenario: Promise<void> | undefined;
const onTheDemo = () => (scenario ??= (async () => {
  await ops.waitFor((m) => m.topic === `${T}/agent/state` && m.json?.state === "online", 30_000, "the agent online");
  expect((await command("cam-main", "position", { pan: 700, tilt: 150 })).status).toBe("ok");

  // The camera's cable is pulled: its health alarm is raised; op-anna acknowledges it; the cable goes back and it clears.
  let mark = ops.seen.length;
  expect(await demo.sims.control("unplug cam-main")).toMatch(/unplugged/);
  await ops.waitFor((m) => m.topic === `${T}/alarm/cam-main-health` && m.raw !== "", 30_000, "cam-main-health raised", mark);
  expect((await command(undefined, "alarm.ack", { alarm: "cam-main-health" })).status).toBe("ok");
  mark = ops.seen.length;
  await demo.sims.control("replug cam-main");
  await ops.waitFor((m) => m.topic === `${T}/alarm/cam-main-health` && m.raw === "", 30_000, "cam-main-health cleared", mark);

  const check = await command(undefined, "readiness.run", { rooms: ["main-hall"] }, 60_000);
  expect(check.status, JSON.stringify(check)).toBe("ok");
  const checkId = check.data.id as string;
  await recorded((m) => m.topic === `${T}/readiness` && m.payload.includes(checkId), "the readiness report", 30_000);
  await recorded((m) => m.topic === `${T}/event` && m.payload.includes('"alarm.cleared"'), "the alarm cleared");
})());

describe("the demo's centre", () => {
  it("records a command, an alarm's life and a readiness run, and roomgate history shows them", async () => {
    await onTheDemo();
    const audit = await roomgate(["history", "audit", "--site", "district-07", "--json", "--state-dir", stateDir]);
    expect(audit.code, audit.stderr).toBe(0);
    const actions = (JSON.parse(audit.stdout) as { user: string; device: string | null; action: string; status: string }[]).map((a) => `${a.user} ${a.device ?? "-"} ${a.action} ${a.status}`);
    expect(actions).toEqual(expect.arrayContaining(["op-anna cam-main position ok", "op-anna - alarm.ack ok", "op-anna - readiness.run ok"]));

    const alarms = await roomgate(["history", "alarms", "--state-dir", stateDir]);
    expect(alarms.stdout).toMatch(/district-07\s+cam-main-health\s+cam-main\s+\S+\s+\S+\s+op-anna\s+\S+\s+\S+ (s|min)\s+20\d\d-/);

    const health = await roomgate(["history", "health", "--device", "cam-main", "--json", "--state-dir", stateDir]);
    expect((JSON.parse(health.stdout) as { status: string }[]).map((h) => h.status)).toEqual(expect.arrayContaining(["unreachable", "ok"]));

    const verify = await roomgate(["history", "verify", "--state-dir", stateDir]);
    expect(verify.stdout).toMatch(/^district-07: intact, \d+ rows/);
    expect(verify.code).toBe(0);

    const month = new Date().toISOString().slice(0, 7);
    const report = JSON.parse((await roomgate(["report", "availability", "--month", month, "--json", "--state-dir", stateDir])).stdout);
    const site = report.sites.find((s: { site: string }) => s.site === "district-07");
    expect(site.devices).toBe(13);
    expect(site.readiness.runs).toBeGreaterThanOrEqual(1);
    expect(site.alarms).toMatchObject({ acked: expect.any(Number), cleared: expect.any(Number) });
    expect(site.alarms.cleared).toBeGreaterThanOrEqual(1);
  }, 240_000);
});

describeWith("chromium")("the demo's centre pages, in a browser", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it("show the command, the readiness run and the alarm in History, and the readiness runs in Availability", async () => {
    await onTheDemo();
    expect(centre.consoleUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/console\/$/);
    const op = await openPage(browser, centre.consoleUrl!);
    try {
      const page = op.page;
      // The demo's broker is open: any user name logs in (the page's MQTT goes to the broker's WebSocket).
      await logIn(page, "op-anna", "any");
      await page.locator('[data-conn="online"]').waitFor({ timeout: 15_000 });
      await page.getByRole("link", { name: "History" }).click();
      const rows = page.locator('table[data-history="audit"] tr[data-row]');
      await rows.first().waitFor({ timeout: 15_000 });
      expect(await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute("data-user")} ${tr.getAttribute("data-action")}`))).toEqual(
        expect.arrayContaining(["op-anna position", "op-anna alarm.ack", "op-anna readiness.run"]),
      );

      await page.evaluate(() => void (location.hash = "#/history/alarms?site=district-07"));
      const alarm = page.locator('table[data-history="alarms"] tr[data-alarm="cam-main-health"]').first();
      await alarm.waitFor({ timeout: 10_000 });
      expect(await alarm.locator("td[data-acked]").getAttribute("data-acked")).toBe("op-anna");
      expect(await alarm.locator("td[data-cleared]").getAttribute("data-cleared")).toBe("yes");

      await page.evaluate(() => void (location.hash = "#/report"));
      const site = page.locator('table[data-report="sites"] tr[data-site="district-07"]');
      await site.waitFor({ timeout: 10_000 });
      expect(Number(/(\d+) runs/.exec((await site.textContent()) ?? "")?.[1])).toBeGreaterThanOrEqual(1);
      await page.locator('[data-bar-site="district-07"]').waitFor();
      // Everything from the centre's pages and the demo broker's WebSocket, nothing else, and no error.
      const origins = new Set(op.requests.map((u) => new URL(u).origin));
      expect([...origins].sort()).toEqual([`ws://127.0.0.1:${demo.broker.http!.port}`, new URL(centre.consoleUrl!).origin].sort());
      expect(op.errors).toEqual([]);
    } finally {
      await op.context.close();
    }
  }, 240_000);
});
