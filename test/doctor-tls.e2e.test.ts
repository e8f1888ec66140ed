/**
 * `roomgate doctor` against a broker over TLS: a trusted certificate near expiry warns, an untrusted
 * one (the site file names the wrong CA) and an expired one fail, each with its fix, and the login is
 * then not attempted. Expiry is judged with the doctor's injected clock, not by waiting.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrixUsers, passwordOf } from "../broker/acl.cases.js";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { checkBroker } from "../cli/doctor-broker.js";
import { parseSiteConfig } from "../config/load.js";
import { makePki, type Pki } from "./helpers/certs.js";
import { memoryLogger } from "./helpers/logger.js";

const DAY = 86_400_000;

describe("roomgate doctor and the broker's TLS certificate", () => {
  let pki: Pki;
  let broker: RunningBroker;
  beforeAll(async () => {
    pki = makePki(10); // the server certificate expires in 10 days
    broker = await startBroker({
      host: "127.0.0.1",
      port: false,
      tls: { host: "127.0.0.1", port: 0, certFile: pki.certFile, keyFile: pki.keyFile, caFile: pki.caFile, clientCerts: "none" },
      logger: memoryLogger(),
      auth: { users: await matrixUsers() },
    });
  }, 30_000);
  afterAll(async () => {
    await broker?.close();
    rmSync(pki.dir, { recursive: true, force: true });
  });

  const site = (caFile: string) => {
    const c = parseSiteConfig(["site: s1", "region: [s1]", "broker:", `  url: mqtts://127.0.0.1:${broker.tls!.port}`, "  username: agent-s1", `  tls: { caFile: ${caFile} }`, "devices: {}", ""].join("\n"), "site.yaml");
    return { ...c, broker: { ...c.broker, password: passwordOf("agent-s1") } };
  };
  const env = (offsetMs = 0) => ({ now: () => Date.now() + offsetMs, procDir: "/proc", timeoutMs: 3000 });

  it("warns that a trusted certificate expires in 10 days, and the agent's login works", async () => {
    const checks = await checkBroker(site(pki.caFile), env());
    const tls = checks.find((c) => c.id === "broker.tls")!;
    expect(tls.status).toBe("warn");
    expect(tls.message).toMatch(/certificate of localhost \(issued by ca\) expires in (9|10) days/);
    expect(tls.fix).toContain("renew the broker's certificate");
    expect(checks.find((c) => c.id === "broker.login")!.status).toBe("pass");
  });

  it("fails a certificate the site file's CA did not sign, naming broker.tls.caFile", async () => {
    const checks = await checkBroker(site(path.join(pki.dir, "rogue.crt")), env());
    const tls = checks.find((c) => c.id === "broker.tls")!;
    expect(tls.status).toBe("fail");
    expect(tls.fix).toContain("broker.tls.caFile must be the CA that signed the broker's certificate");
    expect(checks.find((c) => c.id === "broker.login")!.status).toBe("skip");
  });

  it("fails a certificate that has expired by the gateway's clock", async () => {
    const checks = await checkBroker(site(pki.caFile), env(20 * DAY));
    const tls = checks.find((c) => c.id === "broker.tls")!;
    expect(tls.status).toBe("fail");
    expect(tls.message).toContain("expired on");
  });
});
