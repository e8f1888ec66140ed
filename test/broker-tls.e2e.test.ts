/**
 * MQTT over TLS on the broker: the same users and ACLs as plain TCP, a client that does not trust the
 * broker's CA refuses it, and client certificates (optional or required) whose CN must be the MQTT
 * username. Certificates are made for the run in-process, no openssl needed (test/helpers/certs.ts).
 */
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Agent } from "../agent/agent.js";
import { matrixUsers, passwordOf, S, S2 } from "../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { loadSiteConfig } from "../config/load.js";
import { startViscaSimulator, type UdpCameraHandle } from "../simulators/visca/index.js";
import { makePki, type Pki } from "./helpers/certs.js";
import { memoryLogger } from "./helpers/logger.js";
import { arrival, connectAs, connectOutcome, subscribeCode } from "./helpers/mqtt-users.js";

let pki: Pki;
beforeAll(() => {
  pki = makePki(10);
});
afterAll(() => {
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

/** mqtt.js client options of a fresh client certificate. */
const certOf = (cn: string, rogue = false) => {
  const { cert, key } = pki.client(cn, { rogue });
  return { cert, key };
};

async function tlsBroker(clientCerts: "none" | "optional" | "required", log = memoryLogger()): Promise<RunningBroker> {
  return startBroker({
    host: "127.0.0.1",
    port: false,
    tls: { host: "127.0.0.1", port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, clientCerts },
    logger: log,
    auth: { users: await matrixUsers() },
  });
}

describe("MQTT over TLS, client certificates optional", () => {
  const log = memoryLogger();
  let broker: RunningBroker;
  let url: string;
  beforeAll(async () => {
    broker = await tlsBroker("optional", log);
    url = `mqtts://127.0.0.1:${broker.tls!.port}`;
  });
  afterAll(() => broker?.close());

  it("has no plain TCP listener when port is false, and says where TLS listens", () => {
    expect(broker.url).toBe(url);
  });

  it("warns at start that its certificate expires within 30 days", () => {
    const warn = log.records.find((r) => r.msg === "the broker's TLS certificate expires soon");
    expect(warn?.obj).toMatchObject({ certFile: pki.certFile, days: 9 });
  });

  it("lets an operator in with its password and applies the same ACLs as over TCP", async () => {
    const op = await connectAs(url, "op-1", undefined, { ca: pki.ca });
    const root = await connectAs(url, "root", undefined, { ca: pki.ca });
    try {
      expect(await subscribeCode(op, `${S}/alarm/+`)).toBe(1);
      expect(await subscribeCode(op, `${S2}/alarm/+`)).toBe(128);
      await root.publishAsync(`${S}/alarm/door`, "tls-alarm", { qos: 1 });
      await arrival(op, "tls-alarm");
    } finally {
      await op.endAsync(true);
      await root.endAsync(true);
    }
  });

  it("is refused by a client that does not trust the broker's CA", async () => {
    expect(await connectOutcome(url, { username: "op-1", password: passwordOf("op-1") })).toMatch(/^error: .*self[- ]signed|unable to (get|verify)/);
  });

  it("refuses a wrong password over TLS as over TCP (CONNACK 5)", async () => {
    expect(await connectOutcome(url, { ca: pki.ca, username: "op-1", password: "wrong" })).toBe(5);
  });

  it("accepts a client certificate whose CN is the username", async () => {
    expect(await connectOutcome(url, { ca: pki.ca, ...certOf("op-1"), username: "op-1", password: passwordOf("op-1") })).toBe("connected");
  });

  it("refuses a certificate issued to another user, with a log line naming both", async () => {
    expect(await connectOutcome(url, { ca: pki.ca, ...certOf("op-1"), username: "mon-1", password: passwordOf("mon-1") })).toBe(5);
    expect(log.records.find((r) => (r.obj as { reason?: string }).reason === "certificate")?.obj).toMatchObject({ user: "mon-1", certCN: "op-1" });
    expect(broker.auth!.denials.connect.certificate).toBe(1);
  });

  it("refuses a certificate from another CA even with the right password", async () => {
    expect(await connectOutcome(url, { ca: pki.ca, ...certOf("op-1", true), username: "op-1", password: passwordOf("op-1") })).not.toBe("connected");
    expect(log.records.some((r) => r.msg === "TLS client certificate refused")).toBe(true);
  });
});

describe("MQTT over TLS, client certificates required", () => {
  let broker: RunningBroker;
  let url: string;
  beforeAll(async () => {
    broker = await tlsBroker("required");
    url = `mqtts://127.0.0.1:${broker.tls!.port}`;
  });
  afterAll(() => broker?.close());

  it("refuses a client without a certificate even with the right password", async () => {
    expect(await connectOutcome(url, { ca: pki.ca, username: "op-1", password: passwordOf("op-1") })).not.toBe("connected");
  });

  it("lets in a client with its certificate and password", async () => {
    expect(await connectOutcome(url, { ca: pki.ca, ...certOf("mon-1"), username: "mon-1", password: passwordOf("mon-1") })).toBe("connected");
  });
});

describe("the agent over TLS with its client certificate", () => {
  let broker: RunningBroker;
  let cam: UdpCameraHandle;
  let agent: Agent | undefined;
  beforeAll(async () => {
    broker = await tlsBroker("required");
    cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 100 });
  });
  afterAll(async () => {
    await agent?.stop();
    await cam?.close();
    await broker?.close();
  });

  it("connects with the CA, certificate and key of its site file (relative paths) and is born", async () => {
    const mine = pki.client("agent-s1");
    writeFileSync(path.join(pki.dir, "agent.pw"), `${passwordOf("agent-s1")}\n`);
    const siteFile = path.join(pki.dir, "site.yaml");
    writeFileSync(
      siteFile,
      [
        "site: s1",
        "region: [s1]",
        "broker:",
        `  url: mqtts://127.0.0.1:${broker.tls!.port}`,
        "  username: agent-s1",
        "  passwordFile: agent.pw",
        "  tls:",
        "    caFile: ca.crt",
        `    certFile: ${path.basename(mine.certFile)}`,
        `    keyFile: ${path.basename(mine.keyFile)}`,
        "devices:",
        "  cam:",
        "    kind: camera",
        "    protocol: visca",
        `    transport: { type: udp, host: 127.0.0.1, port: ${cam.port} }`,
        "",
      ].join("\n"),
    );
    const config = await loadSiteConfig(siteFile);
    expect(config.broker.tls?.caFile).toBe(pki.caFile);
    const root = await connectAs(broker.url, "root", undefined, { ca: pki.ca, ...certOf("root") });
    try {
      await root.subscribeAsync(`${S}/agent/state`, { qos: 1 });
      const logs = memoryLogger();
      agent = new Agent({ config, logger: logs, version: "0.0.0-test", bootSeq: 9, mqttBackoff: { initialMs: 50, maxMs: 300 } });
      await agent.start();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no birth over TLS; got ${root.got.join(", ")}`)), 8000);
        const check = () => {
          if (!root.got.some((p) => p.includes('"online"') && p.includes('"bootSeq":9'))) return;
          clearTimeout(timer);
          resolve();
        };
        root.on("message", check);
        check();
      });
      expect(JSON.stringify(logs.records)).not.toContain(passwordOf("agent-s1"));
      expect(JSON.stringify(logs.records)).not.toContain("PRIVATE KEY");
    } finally {
      await root.endAsync(true);
    }
  });

  it("refuses a site file whose TLS file cannot be read, naming the key", async () => {
    const siteFile = path.join(pki.dir, "site-bad.yaml");
    writeFileSync(siteFile, ["site: s1", "region: [s1]", "broker:", "  url: mqtts://127.0.0.1:8883", "  tls: { caFile: missing-ca.crt }", "devices: {}", ""].join("\n"));
    const err = await loadSiteConfig(siteFile).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toMatch(/broker\.tls\.caFile: cannot read .*missing-ca\.crt \(ENOENT\)/);
  });
});

describe("a TLS listener with bad files", () => {
  it("refuses to start naming the missing file", async () => {
    const err = await startBroker({
      host: "127.0.0.1",
      port: false,
      tls: { host: "127.0.0.1", port: 0, certFile: "/nonexistent/broker.crt", keyFile: pki.keyFile, clientCerts: "none" },
      logger: memoryLogger(),
    }).then(() => undefined, (e: unknown) => e as Error & { code?: string });
    expect(err?.code).toBe("bad_config");
    expect(err?.message).toContain("/nonexistent/broker.crt");
  });

  it("refuses client certificates without a CA to check them", async () => {
    const err = await startBroker({
      host: "127.0.0.1",
      port: false,
      tls: { host: "127.0.0.1", port: 0, certFile: pki.certFile, keyFile: pki.keyFile, clientCerts: "required" },
      logger: memoryLogger(),
    }).then(() => undefined, (e: unknown) => e as Error);
    expect(err?.message).toContain("caFile");
  });
});
