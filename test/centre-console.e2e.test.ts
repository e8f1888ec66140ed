/**
 * The console as the centre serves it, in a real browser (chromium through playwright-core): a real
 * broker with users, agents publishing November 2026 (test/helpers/centre-fill.ts), a real recorder
 * committing it to PGlite, and startCentreWeb telling the page the broker's WebSocket on another
 * origin. The live fleet arrives over MQTT from the broker; the history and report pages come from
 * the record, with the figures worked out by hand. Nothing is fetched from anywhere else, and no
 * Content-Security-Policy violation happens. With UPDATE_SCREENSHOTS=1 the report page is saved as
 * docs/console-report.png.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { matrixUsers, passwordOf } from "../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { startCentre, type RunningCentre } from "../centre/centre.js";
import { mqttLogins } from "../centre/web/logins.js";
import { startCentreWeb, type RunningCentreWeb } from "../centre/web/server.js";
import type { BrokerUser } from "../config/broker.js";
import { centreRetentionSchema } from "../config/centre.js";
import { systemClock } from "../drivers/clock.js";
import { launch, logIn, openPage, type ConsolePage } from "./helpers/browser.js";
import { EXPECTED, fill, MONTH } from "./helpers/centre-fill.js";
import { memoryLogger } from "./helpers/logger.js";
import { connectAs, type RecordingClient } from "./helpers/mqtt-users.js";
import { describeWith } from "./helpers/tools.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";

const DOCS = fileURLToPath(new URL("../docs/", import.meta.url));

describeWith("chromium")("the centre's console pages, in a browser, from a recorded month", () => {
  let broker: RunningBroker;
  let centre: RunningCentre;
  let web: RunningCentreWeb;
  let agents: RecordingClient[] = [];
  let stateDir: string;
  let browser: Browser;
  let op: ConsolePage;
  const logger = memoryLogger();

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), "roomgate-centreconsole-"));
    const users = await matrixUsers({ "agent-s2": { role: "agent", site: "s2" } as BrokerUser });
    broker = await startBroker({
      host: "127.0.0.1", port: 0, logger,
      http: { host: "127.0.0.1", port: 0, websocketPath: "/mqtt", metrics: false, console: false },
      auth: { users },
    });
    // A centre that ran before (migrated, empty): a first start's initdb is test/centre-command.test.ts's.
    await seedCentreRecord(stateDir);
    centre = await startCentre({
      stateDir, database: { type: "pglite" }, retention: centreRetentionSchema.parse({}), logger, clock: systemClock, version: "test",
      broker: { url: broker.url, username: "rec", password: passwordOf("rec"), clientId: "roomgate-centre-console" },
    });
    web = await startCentreWeb({
      port: 0, mqttUrl: `ws://127.0.0.1:${broker.http!.port}/mqtt`,
      logins: mqttLogins({ url: broker.url, users, clock: systemClock, logger }),
      centre, logger, clock: systemClock,
    });
    agents = [await connectAs(broker.url, "agent-s1"), await connectAs(broker.url, "agent-s2", "roomgate-agent-s2")];
    await fill(centre, { s1: agents[0]!, s2: agents[1]! });
    browser = await launch();
    op = await openPage(browser, web.consoleUrl);
    await logIn(op.page, "op-all", passwordOf("op-all"));
  }, 90_000);

  afterAll(async () => {
    await op?.context.close();
    await browser?.close();
    for (const a of agents) await a.endAsync(true);
    await web?.close();
    await centre?.stop();
    await broker?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const go = async (page: Page, hash: string) => {
    await page.evaluate((h) => void (location.hash = h), hash);
  };

  it("shows the live fleet over the broker's WebSocket and offers the history pages", async () => {
    await expect.poll(() => op.page.locator("[data-conn]").getAttribute("data-conn"), { timeout: 15_000 }).toBe("online");
    await op.page.locator('li.tile[data-site="s1"]').waitFor({ timeout: 15_000 });
    await op.page.locator('li.tile[data-site="s2"]').waitFor();
    await op.page.getByRole("link", { name: "History" }).click();
    await op.page.getByRole("heading", { name: "Command audit" }).waitFor();
    // The last 7 days by default (the recorded month is older: nothing, or a table on a machine whose clock says otherwise).
    await op.page.locator('[data-empty="history"], table[data-history="audit"]').waitFor({ timeout: 10_000 });
    expect(await op.page.getByLabel("Since").inputValue()).toBe("7d");
  });

  it("lists the command audit and narrows it with the filters", async () => {
    await go(op.page, `#/history/audit?since=${MONTH}-01`);
    const rows = op.page.locator('table[data-history="audit"] tr[data-row]');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(2);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => `${tr.getAttribute("data-user")} ${tr.getAttribute("data-action")}`))).toEqual(["op-all device.reboot", "op-1 preset.recall"]);
    await op.page.getByLabel("Site").fill("s1");
    await op.page.getByRole("button", { name: "Show" }).click();
    await expect.poll(() => op.page.evaluate(() => location.hash)).toContain("site=s1");
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(1);
    expect(await rows.first().getAttribute("data-user")).toBe("op-1");
  });

  it("shows alarms with who acknowledged and the one still active, and health changes of one device", async () => {
    await go(op.page, `#/history/alarms?since=${MONTH}-01`);
    const acked = op.page.locator('table[data-history="alarms"] tr[data-alarm="cam-health"] td[data-acked]');
    await expect.poll(() => acked.getAttribute("data-acked"), { timeout: 10_000 }).toBe("op-1");
    expect(await acked.textContent()).toContain("after 1.0 h");
    expect(await op.page.locator('tr[data-alarm="cam-temp"] td[data-cleared]').getAttribute("data-cleared")).toBe("no");
    await go(op.page, `#/history/health?site=s1&device=cam&since=${MONTH}-01`);
    const rows = op.page.locator('table[data-history="health"] tr[data-row]');
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(3);
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-status")))).toEqual(["ok", "unreachable", "ok"]);
  });

  it("draws the month's availability bar per site and the alarm timeline to the hand-computed figures", async () => {
    await go(op.page, `#/report?month=${MONTH}`);
    const bar1 = op.page.locator('[data-bar-site="s1"]');
    await bar1.waitFor({ timeout: 10_000 });
    expect(Number(await bar1.getAttribute("data-up"))).toBe(EXPECTED.s1.up);
    expect(Number(await bar1.locator('rect[data-part="up"]').getAttribute("width"))).toBeCloseTo(300 * 0.95, 5);
    expect(Number(await bar1.locator('rect[data-part="down"]').getAttribute("width"))).toBeCloseTo(300 * 0.05, 5);
    expect(await bar1.locator("svg").getAttribute("aria-label")).toBe("s1: up 95.00 %, down 5.00 %, unknown 0.00 %");
    const bar2 = op.page.locator('[data-bar-site="s2"]');
    expect([Number(await bar2.getAttribute("data-up")), Number(await bar2.getAttribute("data-unknown"))]).toEqual([EXPECTED.s2.up, EXPECTED.s2.unknown]);
    expect(await op.page.locator('tr[data-site="s1"]').textContent()).toContain("50.00 %"); // readiness: one pass of two runs
    // The timeline: cam-health spans 3 of the month's 30 days, cam-temp runs from the 20th to the end.
    const timeline = op.page.locator("svg[data-timeline]");
    await timeline.waitFor({ timeout: 10_000 });
    const lane = 900 - 130 - 10;
    expect(Number(await timeline.locator('rect[data-alarm="cam-health"]').getAttribute("width"))).toBeCloseTo(lane * 0.1, 5);
    const temp = timeline.locator('rect[data-alarm="cam-temp"]');
    expect(await temp.getAttribute("data-active")).toBe("yes");
    expect(Number(await temp.getAttribute("width"))).toBeCloseTo(lane * (11 / 30), 5);
    if (process.env.UPDATE_SCREENSHOTS === "1") await op.page.screenshot({ path: path.join(DOCS, "console-report.png"), fullPage: true });
  });

  it("shows a site-limited monitor only its site, and loaded nothing from anywhere but the centre and the broker", async () => {
    const mon = await openPage(browser, `${web.consoleUrl}#/report?month=${MONTH}`);
    try {
      await logIn(mon.page, "mon-1", passwordOf("mon-1"));
      await mon.page.locator('[data-bar-site="s1"]').waitFor({ timeout: 15_000 });
      expect(await mon.page.locator("[data-bar-site]").count()).toBe(1);
      expect(mon.errors).toEqual([]);
    } finally {
      await mon.context.close();
    }
    const origins = new Set(op.requests.map((u) => new URL(u).origin));
    expect([...origins].sort()).toEqual([`ws://127.0.0.1:${broker.http!.port}`, web.url].sort());
    expect(op.errors).toEqual([]);
  });
});
