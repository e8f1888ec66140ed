/**
 * The centre's web pages as a user's browser and a Prometheus scraper meet them, over HTTP: a real
 * broker with users and ACLs, agents publishing a month (test/helpers/centre-fill.ts) that a real
 * recorder commits to PGlite, and startCentreWeb beside them with logins the broker itself checks.
 * What the page is told (where the broker's WebSocket is), who may read which site's history, the
 * figures of the month's report, and /metrics of the record and the fleet.
 */
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrixUsers, passwordOf } from "../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { startCentre, type RunningCentre } from "../centre/centre.js";
import { mqttLogins } from "../centre/web/logins.js";
import { startCentreWeb, type RunningCentreWeb } from "../centre/web/server.js";
import type { BrokerUser } from "../config/broker.js";
import { centreRetentionSchema } from "../config/centre.js";
import { systemClock } from "../drivers/clock.js";
import { EXPECTED, fill, MONTH } from "./helpers/centre-fill.js";
import { memoryLogger } from "./helpers/logger.js";
import { connectAs, type RecordingClient } from "./helpers/mqtt-users.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";

function get(url: string, user?: string, password = user ? passwordOf(user) : ""): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; json: any }> {
  const headers: Record<string, string> = user ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` } : {};
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined; // not every answer is JSON (/metrics, the page)
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    }).on("error", reject);
  });
}

describe("the centre's web pages beside the roomgate broker", () => {
  let broker: RunningBroker;
  let centre: RunningCentre;
  let web: RunningCentreWeb;
  let agents: RecordingClient[] = [];
  let stateDir: string;
  let users: Record<string, BrokerUser>;
  let published = 0;
  const logger = memoryLogger();
  const api = (p: string) => `${web.url}/console/api/${p}`;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(tmpdir(), "roomgate-centreweb-"));
    users = await matrixUsers({ "agent-s2": { role: "agent", site: "s2" } as BrokerUser });
    broker = await startBroker({
      host: "127.0.0.1", port: 0, logger,
      http: { host: "127.0.0.1", port: 0, websocketPath: "/mqtt", metrics: false, console: false },
      auth: { users },
    });
    // A centre that ran before (migrated, empty): a first start's initdb is test/centre-command.test.ts's.
    await seedCentreRecord(stateDir);
    centre = await startCentre({
      stateDir, database: { type: "pglite" }, retention: centreRetentionSchema.parse({}), logger, clock: systemClock, version: "test",
      broker: { url: broker.url, username: "rec", password: passwordOf("rec"), clientId: "roomgate-centre-web" },
    });
    web = await startCentreWeb({
      port: 0, mqttUrl: `ws://127.0.0.1:${broker.http!.port}/mqtt`,
      logins: mqttLogins({ url: broker.url, users, clock: systemClock, logger }),
      centre, logger, clock: systemClock,
    });
    agents = [await connectAs(broker.url, "agent-s1"), await connectAs(broker.url, "agent-s2", "roomgate-agent-s2")];
    published = await fill(centre, { s1: agents[0]!, s2: agents[1]! });
  }, 60_000);

  afterAll(async () => {
    for (const a of agents) await a.endAsync(true);
    await web?.close();
    await centre?.stop();
    await broker?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("serves the console with the broker's WebSocket address, which its CSP alone lets the page reach", async () => {
    expect((await get(`${web.url}/`)).headers.location).toBe("/console/");
    const page = await get(`${web.url}/console/`);
    expect(page.status).toBe(200);
    expect(page.text).toContain(`<meta name="roomgate-mqtt-url" content="ws://127.0.0.1:${broker.http!.port}/mqtt" />`);
    expect(page.headers["content-security-policy"]).toContain(`connect-src 'self' ws://127.0.0.1:${broker.http!.port};`);
    expect((await get(`${web.url}/console/console.js`)).status).toBe(200);
  });

  it("logs users in with the broker's own check: their role and sites, history on; a wrong password is the broker's refusal", async () => {
    expect((await get(`${web.url}/console/whoami`, "op-1")).json).toEqual({ user: "op-1", role: "operator", sites: ["s1"], history: true });
    const before = broker.auth!.denials.connect.bad_credentials;
    const wrong = await get(`${web.url}/console/whoami`, "op-1", "not-the-password");
    expect(wrong.status).toBe(401);
    expect(wrong.json.error.code).toBe("bad_credentials");
    expect(broker.auth!.denials.connect.bad_credentials).toBe(before + 1);
    expect((await get(`${web.url}/console/whoami`)).status).toBe(401);
    expect(JSON.stringify(logger.records)).not.toContain("not-the-password");
  });

  it("answers the audit history: who did what, each user only on their sites", async () => {
    const all = await get(api(`history/audit?since=${MONTH}-01`), "root");
    expect(all.status).toBe(200);
    expect(all.json.map((r: { site: string; user: string; action: string }) => `${r.site} ${r.user} ${r.action}`)).toEqual(["s2 op-all device.reboot", "s1 op-1 preset.recall"]);
    const own = await get(api(`history/audit?since=${MONTH}-01`), "op-1");
    expect(own.json.map((r: { site: string }) => r.site)).toEqual(["s1"]);
    const other = await get(api("history/audit?site=s2"), "op-1");
    expect(other.status).toBe(403);
    expect(other.json.error.message).toBe("op-1 may not see site s2");
    expect((await get(api("history/audit?since=last-tuesday"), "root")).status).toBe(400);
    // An agent's name logs in only with its own client id: the broker refuses the centre's check.
    expect((await get(api("history/audit"), "agent-s1")).status).toBe(401);
    expect((await get(api("history/audit"), "op-1", "wrong")).status).toBe(401);
  });

  it("answers alarms with who acknowledged and when cleared, and health changes filtered by device", async () => {
    const alarms = (await get(api(`history/alarms?since=${MONTH}-01`), "op-all")).json;
    expect(alarms).toMatchObject([
      { site: "s1", alarm: "cam-health", ackedBy: "op-1", ackMs: 3_600_000, clearMs: 3 * 86_400_000 },
      { site: "s2", alarm: "cam-temp", severity: "minor", clearedAt: null },
    ]);
    const health = (await get(api(`history/health?site=s1&device=cam&since=${MONTH}-01`), "mon-1")).json;
    expect(health.map((h: { status: string }) => h.status)).toEqual(["ok", "unreachable", "ok"]);
  });

  it("reports the month's availability as computed by hand, cut to the user's sites", async () => {
    const r = (await get(api(`report/availability?month=${MONTH}`), "root")).json;
    const s1 = r.sites.find((s: { site: string }) => s.site === "s1");
    const s2 = r.sites.find((s: { site: string }) => s.site === "s2");
    expect(s1).toMatchObject({ up: EXPECTED.s1.up, down: EXPECTED.s1.down, unknown: EXPECTED.s1.unknown, readiness: { runs: 2, passRate: EXPECTED.s1.passRate }, alarms: { raised: 1, acked: 1, cleared: 1 } });
    expect(s2).toMatchObject({ up: EXPECTED.s2.up, down: EXPECTED.s2.down, unknown: EXPECTED.s2.unknown });
    const mine = (await get(api(`report/availability?month=${MONTH}`), "op-1")).json;
    expect(mine.sites.map((s: { site: string }) => s.site)).toEqual(["s1"]);
    expect(mine.total).toEqual({ devices: 2, up: 95, down: 5, unknown: 0 });
    expect((await get(api("report/availability?month=2026-13"), "root")).status).toBe(400);
  });

  it("gives a monitor /metrics of the record and of the fleet from it; an operator is refused", async () => {
    const m = await get(`${web.url}/metrics`, "mon-1");
    expect(m.status).toBe(200);
    expect(m.text).toContain('roomgate_fleet_agents{state="online"} 1');
    expect(m.text).toContain('roomgate_fleet_agents{state="offline"} 1');
    expect(m.text).toContain('roomgate_fleet_devices{status="ok"} 3');
    expect(m.text).toContain('roomgate_fleet_alarms_active{severity="minor"} 1');
    expect(m.text).toContain('roomgate_fleet_alarms_active{severity="major"} 0');
    expect(m.text).toContain('roomgate_centre_status{status="ok"} 1');
    const recorded = Number(/^roomgate_centre_messages_recorded_total (\d+)$/m.exec(m.text)?.[1]);
    expect(recorded).toBeGreaterThanOrEqual(published);
    expect((await get(`${web.url}/metrics`, "op-1")).status).toBe(401);
  });
});
