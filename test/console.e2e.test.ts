/**
 * The operator console in a real browser (chromium through playwright-core) against the real demo:
 * its broker with users and scrypt passwords, its agent and simulators (cli/demo-run.ts), plus a
 * second site's agent so the fleet has two regions. Everything asserted is what an operator or a
 * monitor sees on the page, what the simulators then do, and what crosses MQTT. No sleeps: every
 * wait is on a page condition or an MQTT message. Screenshots of the four views go to docs/.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { hashPassword } from "../broker/password.js";
import { startDemo, type RunningDemo } from "../cli/demo-run.js";
import { siteConfigSchema } from "../config/site.js";
import { startSiteSimulators, type SiteSimulators } from "../simulators/site.js";
import { CHROMIUM, launch, logIn, openPage, recordStatuses, answered, statuses, type ConsolePage } from "./helpers/browser.js";
import { relocatedSite } from "./helpers/demo-site.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";
import { freePort } from "./helpers/net.js";

const DOCS = fileURLToPath(new URL("../docs/", import.meta.url));
const S7 = "district-07";
const S11 = "district-11";
const T7 = `roomgate/v1/${S7}`;
const OPERATOR = { user: "op-anna", password: randomBytes(12).toString("base64url") };
const MONITOR = { user: "noc-monitor", password: randomBytes(12).toString("base64url") };

if (CHROMIUM === undefined) console.warn("console e2e SKIPPED: no chromium on this machine (apt-get install chromium); CI installs it");
const suite = CHROMIUM ? describe : describe.skip;

const logger = memoryLogger();
let dir: string;
let demo: RunningDemo;
let site11: { sims: SiteSimulators; agent: Agent } | undefined;
let browser: Browser;
let mqtt: Watcher;
let op: ConsolePage;

/** Sends a command over TCP as the anonymous setup client (full access on the demo broker). */
async function setup(device: string, action: string, args: Record<string, unknown>): Promise<void> {
  const id = `setup-${randomBytes(4).toString("hex")}`;
  await mqtt.publish(`${T7}/cmd/setup`, { id, device, action, args });
  const res = await mqtt.waitFor((m) => m.topic === `${T7}/res/setup` && m.json?.id === id, 15_000, `answer to ${action}`);
  expect(res.json.status, JSON.stringify(res.json)).toBe("ok");
}

async function where(device: string): Promise<string> {
  return demo.sims.control(`where ${device}`);
}

const card = (page: Page, device: string) => page.locator(`article[data-device="${device}"]`);
const fact = (page: Page, device: string, field: string) => card(page, device).locator(`dd[data-field="${field}"]`).first();

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(DOCS, `console-${name}.png`) });
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-console-"));
  const users = {
    [OPERATOR.user]: { role: "operator" as const, sites: [S7, S11], password: await hashPassword(OPERATOR.password) },
    [MONITOR.user]: { role: "monitor" as const, sites: "*" as const, password: await hashPassword(MONITOR.password) },
  };
  const config = await relocatedSite(dir, (c) => ({ ...c, agent: { ...c.agent, pollIntervalMs: 1000 } }));
  demo = await startDemo({ config, logger, port: 0, httpPort: 0, users, stateDir: dir, bootSeq: 1, agent: { mqttBackoff: { initialMs: 50, maxMs: 300 } } });
  // A second site in another region, with its own agent: the fleet view groups by region.
  const cam = await freePort();
  const led = await freePort();
  const config11 = siteConfigSchema.parse({
    site: S11,
    name: "District 11 hall",
    region: ["highlands", S11],
    broker: { url: demo.broker.url },
    agent: { pollIntervalMs: 1000 },
    rooms: { hall: { name: "Hall" } },
    devices: {
      "cam-1": { kind: "camera", protocol: "visca", room: "hall", name: "Hall camera", transport: { type: "udp", host: "127.0.0.1", port: cam }, options: {}, simulator: { enabled: true, options: {} } },
      "led-1": { kind: "ledwall", protocol: "novastar", room: "hall", name: "Hall LED wall", transport: { type: "tcp", host: "127.0.0.1", port: led }, options: { model: "mctrl4k" }, simulator: { enabled: true, options: { model: "mctrl4k" } } },
    },
  });
  const sims11 = await startSiteSimulators(config11, logger);
  const agent11 = new Agent({ config: config11, logger, version: "0.1.0", bootSeq: 3, mqttBackoff: { initialMs: 50, maxMs: 300 } });
  site11 = { sims: sims11, agent: agent11 };
  await agent11.start();
  mqtt = await Watcher.connect(demo.broker.url, ["roomgate/v1/+/cmd/+", "roomgate/v1/+/res/+", "roomgate/v1/+/event", `${T7}/dev/+/health`]);
  browser = await launch();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await mqtt?.close();
  await site11?.agent.stop();
  await site11?.sims.close();
  await demo?.close();
  rmSync(dir, { recursive: true, force: true });
});

suite("the operator console, in a browser, against the demo", () => {
  it("refuses a wrong password and keeps the login form", async () => {
    const p = await openPage(browser, demo.consoleUrl!);
    try {
      const before = demo.broker.auth!.denials.connect.bad_credentials;
      await logIn(p.page, OPERATOR.user, "not-the-password");
      await expect.poll(() => p.page.locator("[data-login-error]").textContent(), { timeout: 10_000 }).toContain("wrong user name or password");
      expect(demo.broker.auth!.denials.connect.bad_credentials).toBe(before + 1);
      expect(await p.page.getByLabel("Password").inputValue()).toBe("");
      expect(await p.page.locator("header.top").count()).toBe(0);
    } finally {
      await p.context.close();
    }
  });

  it("logs an operator in and shows the fleet grouped by region, each site with its worst health and alarms", async () => {
    op = await openPage(browser, demo.consoleUrl!);
    const page = op.page;
    await logIn(page, OPERATOR.user, OPERATOR.password);
    await page.locator('[data-conn="online"]').waitFor();
    await page.locator('.who[data-role="operator"]').waitFor();
    expect(await page.locator(".who").textContent()).toContain("op-anna · operator");
    const tile7 = page.locator(`li[data-site="${S7}"]`);
    const tile11 = page.locator(`li[data-site="${S11}"]`);
    // Every device of the demo ok (the displays boot in 3 s): the tile turns ok.
    await tile7.and(page.locator(".l-ok")).waitFor({ timeout: 20_000 });
    await tile11.and(page.locator(".l-ok")).waitFor({ timeout: 20_000 });
    expect(await page.locator("section.region h2").allTextContents()).toEqual([expect.stringContaining("highlands"), expect.stringContaining("province")]);
    expect(await tile7.textContent()).toContain("9 devices");
    expect(await tile7.locator("[data-alarms]").getAttribute("data-alarms")).toBe("0");
    await shot(page, "fleet");
  });

  it("opens a site and recalls a camera preset: pending first, done when the camera arrived, and the simulator moved", async () => {
    const page = op.page;
    await setup("cam-main", "position", { pan: 1200, tilt: -300 });
    await setup("cam-main", "preset.set", { preset: 3 });
    await setup("cam-main", "home", {});
    expect(await where("cam-main")).toContain("pan=0 tilt=0");
    await page.locator(`li[data-site="${S7}"] a`).click();
    await card(page, "cam-main").waitFor();
    await expect.poll(() => fact(page, "cam-main", "pan").textContent(), { timeout: 10_000 }).toBe("0");
    await recordStatuses(page);
    const key = `${S7}/cam-main/preset`;
    expect(await answered(page, key, () => card(page, "cam-main").getByRole("button", { name: "Preset 3", exact: true }).click())).toBe("ok");
    expect(await statuses(page, key)).toEqual(["pending", "ok"]);
    expect(await page.locator(`[data-key="${key}"]`).textContent()).toContain("preset.recall (preset 3): done");
    expect(await where("cam-main")).toContain("pan=1200 tilt=-300");
    await expect.poll(() => fact(page, "cam-main", "pan").textContent(), { timeout: 10_000 }).toBe("1200");
    // The agent took the user from the topic the broker verified: the audit names op-anna.
    const audit = await mqtt.waitFor((m) => m.topic === `${T7}/event` && m.json?.type === "command" && m.json.data?.action === "preset.recall" && m.json.data?.user === OPERATOR.user);
    expect(audit.json.data.status).toBe("ok");
  });

  it("nudges a camera (move, then stop once it answered) and switches the LED wall, a display and a microphone", { timeout: 60_000 }, async () => {
    const page = op.page;
    const ptz = `${S7}/cam-main/ptz`;
    const mark = mqtt.seen.length;
    await card(page, "cam-main").getByRole("button", { name: /^Nudge right/ }).click();
    const stop = await mqtt.waitFor((m) => m.topic === `${T7}/cmd/${OPERATOR.user}` && m.json?.action === "stop", 10_000, "stop after the nudge", mark);
    expect(stop.json.device).toBe("cam-main");
    await expect.poll(async () => (await page.locator(`[data-key="${ptz}"]`).getAttribute("data-status")) ?? "", { timeout: 10_000 }).toBe("ok");
    expect(await page.locator(`[data-key="${ptz}"]`).textContent()).toContain("stop: done");
    expect(await where("cam-main")).not.toContain("pan=1200 ");

    const led = card(page, "led-wall");
    await led.getByLabel("Input").selectOption("dp");
    expect(await answered(page, `${S7}/led-wall/video`, () => led.getByRole("button", { name: "Switch" }).click())).toBe("ok");
    await expect.poll(() => fact(page, "led-wall", "input").textContent(), { timeout: 10_000 }).toBe("dp");
    expect(await answered(page, `${S7}/led-wall/video`, () => led.getByRole("button", { name: "Blank", exact: true }).click())).toBe("ok");
    await expect.poll(() => fact(page, "led-wall", "blanked").textContent(), { timeout: 10_000 }).toBe("yes");
    await led.getByRole("button", { name: "Show picture" }).click();
    await expect.poll(() => fact(page, "led-wall", "blanked").textContent(), { timeout: 10_000 }).toBe("no");

    const left = card(page, "side-displays").locator('section[aria-label="Display left"]');
    expect(await answered(page, `${S7}/side-displays/left`, () => left.getByRole("button", { name: "Blank left" }).click())).toBe("ok");
    await expect.poll(() => left.locator('dd[data-field="blanked"]').textContent(), { timeout: 10_000 }).toBe("yes");

    const mic = card(page, "mixer").locator('tr[data-channel="lectern-mic"]');
    expect(await answered(page, `${S7}/mixer/lectern-mic`, () => mic.getByRole("button", { name: "Mute lectern-mic" }).click())).toBe("ok");
    await mic.locator('button[aria-label="Mute lectern-mic"][aria-pressed="true"]').waitFor({ timeout: 10_000 });
    await shot(page, "site");
  });

  it("shows an error with its reason when the device refuses", async () => {
    const page = op.page;
    expect(await demo.sims.control("error cam-main not_executable")).toContain("errorReply=not_executable");
    try {
      expect(await answered(page, `${S7}/cam-main/preset`, () => card(page, "cam-main").getByRole("button", { name: "Preset 2", exact: true }).click())).toBe("error");
      expect(await page.locator(`[data-key="${S7}/cam-main/preset"]`).textContent()).toMatch(/preset\.recall \(preset 2\): error — device_error: /);
    } finally {
      await demo.sims.control("error cam-main off");
    }
  });

  it("shows an alarm the moment a simulator raises one, and the operator acknowledges it", async () => {
    const page = op.page;
    expect(await demo.sims.control("alarm enc-1 TEMP raise MAJ")).toContain("enc-1");
    await page.getByRole("link", { name: /^Alarms \(1\)$/ }).waitFor({ timeout: 10_000 });
    await page.getByRole("link", { name: /^Alarms/ }).click();
    const row = page.locator(`tr[data-site="${S7}"][data-alarm^="enc-1"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("major");
    await shot(page, "alarms");
    await row.getByRole("button", { name: "Acknowledge" }).click();
    await row.locator(`[data-acked="${OPERATOR.user}"]`).waitFor({ timeout: 10_000 });
    const acked = await mqtt.waitFor((m) => m.topic === `${T7}/event` && m.json?.type === "alarm.acked");
    expect(acked.json.data.user).toBe(OPERATOR.user);
  });
});
