/**
 * `roomgate centre` with a `syslog` section in its file: the centre file's collectors (TLS files
 * relative to the file, like its other paths), and startCentre starting the forwarder beside the
 * recorder, as the recorder's user in a session of its own, so that an operator's command reaches
 * the SOC's collector as well as the record. The collector here is the pure-JS stand-in, so this
 * runs where rsyslog is absent (test/syslog-rsyslog.e2e.test.ts is the rsyslog story).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { matrixUsers, passwordOf } from "../broker/acl.cases.js";
import { startBroker } from "../broker/server.js";
import { startCentre } from "../centre/centre.js";
import { loadCentreConfig } from "../config/load.js";
import { systemClock } from "../drivers/clock.js";
import { Site } from "./helpers/centre.js";
import { makePki } from "./helpers/certs.js";
import { logged, memoryLogger, type LogRecord } from "./helpers/logger.js";
import { connectAs } from "./helpers/mqtt-users.js";
import { StandInCollector } from "./helpers/syslog-receiver.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";

const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tempDir = (prefix: string) => {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

describe("roomgate centre with a syslog section", () => {
  it("reads the collectors from the centre file, TLS files relative to it", async () => {
    const dir = tempDir("roomgate-centre-file-");
    const file = path.join(dir, "centre.yaml");
    writeFileSync(file, ["syslog:", "  collectors:", "    soc:", "      host: soc.example.lan", "      tls:", "        caFile: pki/soc-ca.pem", ""].join("\n"));
    const c = await loadCentreConfig(file);
    expect(c.syslog?.collectors.soc).toMatchObject({ host: "soc.example.lan", transport: "tls", tls: { caFile: path.join(dir, "pki/soc-ca.pem") } });
    expect(c.syslog).toMatchObject({ facility: "local4", clientId: "roomgate-centre-syslog" });
    writeFileSync(file, ["syslog:", "  collectors:", "    soc:", "      host: soc.example.lan", ""].join("\n"));
    await expect(loadCentreConfig(file)).rejects.toThrow(/syslog\.collectors\.soc\.tls.*caFile/);
    writeFileSync(file, "retention: {audit: 400}\n");
    expect((await loadCentreConfig(file)).syslog).toBeUndefined();
  });

  it("forwards an operator's command to the collector over TLS while the recorder keeps it, one session each", async () => {
    const pki = makePki();
    cleanups.push(() => rmSync(pki.dir, { recursive: true, force: true }));
    const soc = await StandInCollector.start({ tls: { certFile: pki.certFile, keyFile: pki.keyFile } });
    cleanups.push(() => soc.stop());
    const broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), auth: { users: await matrixUsers() } });
    cleanups.push(() => broker.close());
    const stateDir = tempDir("roomgate-centre-syslog-");
    const dir = tempDir("roomgate-centre-cfg-");
    const file = path.join(dir, "centre.yaml");
    writeFileSync(file, ["syslog:", "  hostname: centre-1", "  collectors:", "    soc:", "      host: 127.0.0.1", `      port: ${soc.port}`, "      tls:", `        caFile: ${path.relative(dir, pki.caFile)}`, ""].join("\n"));
    const loaded = await loadCentreConfig(file);
    const logs: LogRecord[] = [];
    // A centre that ran before (migrated, empty): a first start's initdb is test/centre-command.test.ts's.
    await seedCentreRecord(stateDir);
    const centre = await startCentre({
      stateDir, database: { type: "pglite" }, retention: loaded.retention, logger: memoryLogger(logs), clock: systemClock, version: "test",
      broker: { url: broker.url, username: "rec", password: passwordOf("rec") },
      syslog: loaded.syslog,
    });
    cleanups.push(() => centre.stop());
    expect(centre.syslog?.status().mqtt).toBe("connected");

    const agent = await connectAs(broker.url, "agent-s1");
    cleanups.push(() => agent.endAsync(true));
    const m = new Site("s1").command(Date.now(), "op-anna", "cam-main", "preset.recall");
    await agent.publishAsync(m.topic, m.payload, { qos: 1 });
    const [got] = await soc.waitFor(1);
    expect(got).toMatchObject({ hostname: "centre-1", appName: "roomgate", msgId: "command", facility: 20 });
    expect(got!.sd["roomgate@32473"]).toMatchObject({ site: "s1", user: "op-anna", action: "preset.recall", eventId: "1-1" });
    // Two sessions under the one recorder user: the record's and the SOC's.
    const clients = (broker.aedes as unknown as { clients: Record<string, unknown> }).clients;
    expect(clients["roomgate-centre-syslog"]).toBeDefined();
    expect(Object.keys(clients).filter((id) => id.startsWith("roomgate-centre-"))).toHaveLength(2);

    await logged(logs, () => centre.syslog!.status().collectors[0]!.delivered === 1, 5000, "the delivery confirmed");
    // The local API's status (roomgate centre's socket) shows the forwarder's.
    const status = await new Promise<string>((resolve, reject) => {
      const req = http.get({ socketPath: path.join(centre.dir, "centre.sock"), path: "/v1/status" }, (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
    });
    expect(JSON.parse(status)).toMatchObject({ syslog: { mqtt: "connected", collectors: [{ name: "soc", delivered: 1, pending: 0, dropped: 0 }] } });

    await centre.stop();
    expect(centre.syslog?.status().mqtt).toBe("disconnected");
  }, 90_000); // PGlite's first start (WebAssembly, migrations) takes 5 to 25 s on a loaded 2-core machine
});
