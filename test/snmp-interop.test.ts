/**
 * Independent checks of the switch driver and simulator against Debian's net-snmp (issue 22 point 7):
 * the driver reads IF-MIB from a real `snmpd` started here on a free port with a generated config
 * (v2c and v3 authPriv SHA/AES), and `snmpwalk`/`snmpget`/`snmpset` read and set the simulator.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSnmpSwitchSimulator, type SnmpSwitchSimHandle } from "../simulators/snmp-switch/index.js";
import { SnmpSwitchDriver } from "../drivers/snmp-switch/driver.js";
import { systemClock } from "../drivers/clock.js";
import { createTransport } from "../drivers/transport/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { freePort } from "./helpers/net.js";
import { describeWith, toolPath } from "./helpers/tools.js";

const run = promisify(execFile);
const COMMUNITY = "interop-community";
const AUTH = "interop-auth-key";
const PRIV = "interop-priv-key";

describeWith("snmpd")("the driver against Debian's snmpd", () => {
  let dir: string;
  let snmpd: ChildProcess | undefined;
  let port: number;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "roomgate-snmpd-"));
    port = await freePort();
    const conf = path.join(dir, "snmpd.conf");
    writeFileSync(
      conf,
      [
        `agentAddress udp:127.0.0.1:${port}`,
        `rocommunity ${COMMUNITY} 127.0.0.1`,
        `createUser rg SHA "${AUTH}" AES "${PRIV}"`,
        "rouser rg authpriv",
        "",
      ].join("\n"),
      { mode: 0o600 },
    );
    writeFileSync(path.join(dir, "community"), COMMUNITY);
    writeFileSync(path.join(dir, "auth"), AUTH);
    writeFileSync(path.join(dir, "priv"), PRIV);
    // -C: this config only; SNMP_PERSISTENT_DIR: its engine id and users stay in the scratch folder.
    const child = spawn(toolPath("snmpd"), ["-f", "-Lo", "-C", "-c", conf, "-I", "-smux"], {
      env: { ...process.env, SNMP_PERSISTENT_DIR: dir, MIBS: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    snmpd = child;
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`snmpd did not start within 10 s: ${out}`)), 10_000);
      const onData = (b: Buffer) => {
        out += b.toString();
        if (/NET-SNMP version/.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`snmpd exited with ${code}: ${out}`));
      });
    });
  }, 20_000);

  afterAll(async () => {
    if (snmpd && snmpd.exitCode === null) {
      const exited = new Promise((resolve) => snmpd!.once("exit", resolve));
      snmpd.kill("SIGTERM");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  for (const version of ["2c", "3"] as const) {
    it(`reads the loopback interface's IF-MIB row over SNMPv${version}`, async () => {
      const logger = memoryLogger();
      const driver = new SnmpSwitchDriver();
      const transport = await createTransport({ type: "udp", host: "127.0.0.1", port }, { clock: systemClock, logger });
      const secrets = version === "2c" ? { communityFile: path.join(dir, "community") } : { version: "3", user: "rg", authKeyFile: path.join(dir, "auth"), privKeyFile: path.join(dir, "priv") };
      await driver.start({ deviceId: "snmpd", transport, logger, clock: systemClock, signal: new AbortController().signal, options: { ...secrets, ports: { lo: 1 }, timeoutMs: 2000 } });
      try {
        expect(driver.health.status).toBe("ok");
        const s = await driver.poll();
        expect(s.sysDescr).toMatch(/Linux/);
        expect(s.ports.lo).toMatchObject({ ifIndex: 1, ifName: "lo", admin: "up", oper: "up", hcCounters: true, poe: null, neighbour: null });
        expect(s.pse).toBeNull();
        expect(s.badValues).toBe(0);
      } finally {
        await driver.stop();
      }
    });
  }
});

describeWith("snmp")("Debian's snmpwalk, snmpget and snmpset against the simulator", () => {
  let sim: SnmpSwitchSimHandle;
  const target = () => `127.0.0.1:${sim.port}`;
  const v2c = () => ["-v2c", "-c", COMMUNITY, "-On", "-t", "2", "-r", "0", target()];

  beforeAll(async () => {
    sim = await startSnmpSwitchSimulator({
      communities: [COMMUNITY],
      users: [{ name: "rg", authKey: AUTH, privKey: PRIV }],
      ports: { codec: { ifIndex: 7, neighbour: "codec-1" }, uplink: { ifIndex: 24, poe: false } },
      detectMs: 20,
      bootMs: 20,
    });
  });
  afterAll(() => sim?.close());

  it("snmpwalk reads IF-MIB's ifTable (v2c) and ifXTable (v3 authPriv SHA/AES)", async () => {
    const { stdout } = await run(toolPath("snmp", "snmpwalk"), [...v2c(), "1.3.6.1.2.1.2.2.1"]);
    expect(stdout).toMatch(/^\.1\.3\.6\.1\.2\.1\.2\.2\.1\.2\.7 = STRING: "codec"$/m);
    expect(stdout).toMatch(/^\.1\.3\.6\.1\.2\.1\.2\.2\.1\.8\.24 = INTEGER: 1$/m);
    const v3 = await run(toolPath("snmp", "snmpwalk"), ["-v3", "-l", "authPriv", "-u", "rg", "-a", "SHA", "-A", AUTH, "-x", "AES", "-X", PRIV, "-On", target(), "1.3.6.1.2.1.31.1.1.1"]);
    expect(v3.stdout).toMatch(/^\.1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.7 = Counter64: \d+$/m);
    expect(v3.stdout).toMatch(/^\.1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.15\.7 = Gauge32: 1000$/m);
  });

  it("snmpget reads the PoE row; snmpset pethPsePortAdminEnable=false(2) turns the simulated port's power off", async () => {
    const { stdout } = await run(toolPath("snmp", "snmpget"), [...v2c(), "1.3.6.1.2.1.105.1.1.1.3.1.7", "1.3.6.1.2.1.105.1.1.1.6.1.7"]);
    expect(stdout).toBe(".1.3.6.1.2.1.105.1.1.1.3.1.7 = INTEGER: 1\n.1.3.6.1.2.1.105.1.1.1.6.1.7 = INTEGER: 3\n");
    const off = new Promise<void>((resolve) => {
      const stop = sim.onPortPower((i, powered) => {
        if (i === 7 && !powered) (stop(), resolve());
      });
    });
    const set = await run(toolPath("snmp", "snmpset"), [...v2c(), "1.3.6.1.2.1.105.1.1.1.3.1.7", "i", "2"]);
    expect(set.stdout).toBe(".1.3.6.1.2.1.105.1.1.1.3.1.7 = INTEGER: 2\n");
    await off;
    expect(sim.model.byIndex(7)!.poe).toMatchObject({ enable: false, detection: 1 });
    const after = await run(toolPath("snmp", "snmpget"), [...v2c(), "1.3.6.1.2.1.105.1.1.1.6.1.7", "1.3.6.1.2.1.2.2.1.8.7"]);
    expect(after.stdout).toBe(".1.3.6.1.2.1.105.1.1.1.6.1.7 = INTEGER: 1\n.1.3.6.1.2.1.2.2.1.8.7 = INTEGER: 2\n");
  });

  it("a value out of range is refused as the agent would (wrongValue), and nothing changes", async () => {
    const err = await run(toolPath("snmp", "snmpset"), [...v2c(), "1.3.6.1.2.1.105.1.1.1.3.1.7", "i", "9"]).then(() => null, (e: { stderr: string }) => e);
    expect(err?.stderr).toMatch(/wrongValue/);
  });
});
