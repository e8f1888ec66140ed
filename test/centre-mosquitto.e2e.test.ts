/**
 * The centre beside Mosquitto, the broker a province may already run: Debian's mosquitto started
 * with the policy `roomgate broker acl --mosquitto` generates (the recorder's rules included), the
 * recorder keeping its record from it into PGlite, the console's logins checked by Mosquitto's own
 * password file, and the console's MQTT through the centre's relay to Mosquitto's MQTT listener
 * (Debian 12's package is built without WebSocket support, so its own websockets listener cannot
 * serve the page; centre/web/relay.ts). Mosquitto's ACLs still decide what each user reads.
 */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import mqtt from "mqtt";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { matrixUsers, passwordOf } from "../broker/acl.cases.js";
import { mosquittoPolicy } from "../broker/mosquitto-policy.js";
import { startCentre, type RunningCentre } from "../centre/centre.js";
import { mqttLogins } from "../centre/web/logins.js";
import { startCentreWeb, type RunningCentreWeb } from "../centre/web/server.js";
import type { BrokerUser } from "../config/broker.js";
import { centreRetentionSchema } from "../config/centre.js";
import { systemClock } from "../drivers/clock.js";
import { launch, logIn, openPage } from "./helpers/browser.js";
import { fill, MONTH } from "./helpers/centre-fill.js";
import { memoryLogger } from "./helpers/logger.js";
import { startMosquittoWithPolicy, type Mosquitto } from "./helpers/mosquitto.js";
import { connectAs, type RecordingClient } from "./helpers/mqtt-users.js";
import { describeWith, itWith } from "./helpers/tools.js";
import { within } from "./helpers/within.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";

async function getJson(url: string, user: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { headers: { authorization: `Basic ${Buffer.from(`${user}:${passwordOf(user)}`).toString("base64")}` } });
  return { status: res.status, json: await res.json() };
}

/** Connects like the page does: MQTT 3.1.1 over the centre's /mqtt, as `user`. */
function pageClient(url: string, user: string, password = passwordOf(user)): Promise<{ client: mqtt.MqttClient; got: Map<string, string> } | { refused: number }> {
  return within(
    new Promise((resolve) => {
      const client = mqtt.connect(url, { protocolVersion: 4, username: user, password, clientId: `roomgate-console-${user}-${Date.now()}`, clean: true, reconnectPeriod: 0 });
      const got = new Map<string, string>();
      client.on("message", (t, p) => got.set(t, p.toString()));
      client.once("connect", () => resolve({ client, got }));
      client.once("error", (err: Error & { code?: number }) => {
        client.end(true);
        resolve({ refused: Number(err.code) });
      });
    }),
    10_000,
    `${user} connecting through the relay`,
  );
}

describeWith("mosquitto")("the centre beside Mosquitto with the generated policy", () => {
  let mosq: Mosquitto;
  let centre: RunningCentre;
  let web: RunningCentreWeb;
  let agents: RecordingClient[] = [];
  let stateDir: string;
  let users: Record<string, BrokerUser>;
  const logger = memoryLogger();

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), "roomgate-centremosq-"));
    users = await matrixUsers({ "agent-s2": { role: "agent", site: "s2" } as BrokerUser });
    mosq = await startMosquittoWithPolicy({ users });
    // A centre that ran before (migrated, empty): a first start's initdb is test/centre-command.test.ts's.
    await seedCentreRecord(stateDir);
    centre = await startCentre({
      stateDir, database: { type: "pglite" }, retention: centreRetentionSchema.parse({}), logger, clock: systemClock, version: "test",
      broker: { url: mosq.url, username: "rec", password: passwordOf("rec"), clientId: "roomgate-centre-mosq" },
    });
    web = await startCentreWeb({ port: 0, relay: { broker: mosq.url }, logins: mqttLogins({ url: mosq.url, users, clock: systemClock, logger }), centre, logger, clock: systemClock });
    agents = [await connectAs(mosq.url, "agent-s1"), await connectAs(mosq.url, "agent-s2", "roomgate-agent-s2")];
    await fill(centre, { s1: agents[0]!, s2: agents[1]! });
  }, 90_000);

  afterAll(async () => {
    for (const a of agents) await a.endAsync(true);
    await web?.close();
    await centre?.stop();
    await mosq?.dispose();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("gives the recorder its rules in the generated policy: read every site's recorded topics, write only its own health", () => {
    const acl = mosquittoPolicy({ users }, { passwd: "/p", acl: "/a" }).acl;
    const block = acl.slice(acl.indexOf("user rec\n")).split("\n\n")[0]!;
    expect(block).toContain("topic write roomgate/centre/rec/health");
    expect(block).toContain("topic read roomgate/v1/+/event");
    expect(block).not.toMatch(/topic (write|readwrite) roomgate\/v1/);
  });

  it("records what the agents publish through Mosquitto, and says so on its health topic", async () => {
    const audit = await getJson(`${web.url}/console/api/history/audit?since=${MONTH}-01`, "op-all");
    expect(audit.json.map((r: { site: string; user: string }) => `${r.site} ${r.user}`)).toEqual(["s2 op-all", "s1 op-1"]);
    const report = await getJson(`${web.url}/console/api/report/availability?month=${MONTH}`, "root");
    expect(report.json.sites.map((s: { site: string; up: number }) => `${s.site} ${s.up}`)).toEqual(["s1 95", "s2 50"]);
    const mon = await connectAs(mosq.url, "mon-1");
    try {
      await mon.subscribeAsync("roomgate/centre/+/health", { qos: 1 });
      await within(new Promise<void>((resolve) => {
        const check = () => mon.got.some((p) => JSON.parse(p).status === "ok") && resolve();
        mon.on("message", check);
        check();
      }), 10_000, "the centre's retained health");
    } finally {
      await mon.endAsync(true);
    }
  });

  it("relays the console's MQTT to Mosquitto, which checks the password and applies its ACL", async () => {
    const wsUrl = `${web.url.replace(/^http/, "ws")}/mqtt`;
    expect(await pageClient(wsUrl, "op-1", "wrong")).toEqual({ refused: 5 });
    const op = await pageClient(wsUrl, "op-1");
    if (!("client" in op)) throw new Error(`op-1 refused through the relay (${op.refused})`);
    try {
      await op.client.subscribeAsync(["roomgate/v1/s1/agent/state", "roomgate/v1/s2/agent/state"], { qos: 1 });
      await within(new Promise<void>((resolve) => {
        const check = () => op.got.has("roomgate/v1/s1/agent/state") && resolve();
        op.client.on("message", check);
        check();
      }), 10_000, "s1's retained agent state through the relay");
      expect(JSON.parse(op.got.get("roomgate/v1/s1/agent/state")!).state).toBe("online");
      // Mosquitto grants the subscription and filters at delivery: op-1 never gets s2 (a round trip later).
      await op.client.subscribeAsync("roomgate/v1/s1/readiness", { qos: 1 });
      expect(op.got.has("roomgate/v1/s2/agent/state")).toBe(false);
    } finally {
      await op.client.endAsync(true);
    }
    // Another origin's page is refused at the upgrade.
    const upgrade = (origin: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.request(`${web.url}/mqtt`, { headers: { connection: "Upgrade", upgrade: "websocket", origin, "sec-websocket-version": "13", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-protocol": "mqtt" } });
        req.on("upgrade", (res, socket) => {
          socket.destroy();
          resolve(String(res.statusCode));
        });
        req.on("response", (res) => {
          res.resume();
          resolve(String(res.statusCode));
        });
        req.on("error", reject);
        req.end();
      });
    expect(await upgrade("http://evil.example")).toBe("403");
    expect(await upgrade("null")).toBe("403");
    expect(await upgrade(web.url)).toBe("101");
  });

  itWith("chromium")("shows the live fleet and the history pages in a browser, MQTT through the relay", async () => {
    let browser: Browser | undefined;
    try {
      browser = await launch();
      const p = await openPage(browser, web.consoleUrl);
      await logIn(p.page, "op-all", passwordOf("op-all"));
      await p.page.locator('li.tile[data-site="s1"]').waitFor({ timeout: 15_000 });
      await p.page.evaluate((m) => void (location.hash = `#/history/alarms?since=${m}-01`), MONTH);
      await p.page.locator('tr[data-alarm="cam-health"] td[data-acked="op-1"]').waitFor({ timeout: 10_000 });
      expect(new Set(p.requests.map((u) => new URL(u).host))).toEqual(new Set([new URL(web.url).host]));
      expect(p.errors).toEqual([]);
    } finally {
      await browser?.close();
    }
  });
});
