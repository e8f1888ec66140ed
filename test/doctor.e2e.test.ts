/**
 * `roomgate doctor` on a gateway running the demo (a real broker with users, the simulated site and
 * the agent, in their own process): everything passes; then each fault a technician meets on site
 * (an unplugged adapter, a port taken by another program, a wrong password, a skewed clock) fails
 * with its fix. The clock is skewed through the doctor's injected clock, not by waiting.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { startDemoProcess } from "./helpers/demo-process.js";
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { hashPassword } from "../broker/password.js";
import { doctorText, runDoctor, type DoctorReport } from "../cli/doctor.js";
import type { SiteConfig } from "../config/site.js";
import { relocatedSite } from "./helpers/demo-site.js";
import { freePort } from "./helpers/net.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "dist/cli/main.js");
const PASSWORD = "s3cret-agent-pass";

const statusOf = (r: DoctorReport, id: string) => r.checks.find((c) => c.id === id);

describe("roomgate doctor against the demo", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "roomgate-doctor-"));
  const stateDir = path.join(dir, "state");
  let demo: ChildProcess | undefined;
  let config: SiteConfig;
  let httpPort = 0;

  /** A site file for the doctor: the demo's, with `patch` applied, the password in a 0640 file. */
  function siteFile(name: string, password: string, patch: (c: SiteConfig) => SiteConfig = (c) => c): string {
    const pw = path.join(dir, `${name}.pass`);
    writeFileSync(pw, `${password}\n`, { mode: 0o640 });
    const c = patch(config);
    const file = path.join(dir, `${name}.yaml`);
    const { password: _omit, ...broker } = c.broker;
    writeFileSync(file, stringify({ ...c, broker: { ...broker, passwordFile: pw } }));
    return file;
  }

  const doctor = (configFile: string, now = () => Date.now()) =>
    runDoctor({ configFile, stateDir, timeUrl: `http://127.0.0.1:${httpPort}/`, env: { now, timeoutMs: 2000 } });

  beforeAll(async () => {
    const port = await freePort();
    httpPort = await freePort();
    // The example's secrets as a gateway keeps them (0640): the checked-in copies are world-readable.
    const secret = (name: string) => {
      const f = path.join(dir, name);
      copyFileSync(path.join(root, "config/examples/secrets", name), f);
      chmodSync(f, 0o640);
      return f;
    };
    const [camPassword, community, codecPassword] = [secret("cam-lectern.password"), secret("access-switch.community"), secret("codec-meeting.password")];
    config = await relocatedSite(dir, (c) => {
      const d = c.devices;
      const ssh = d["codec-meeting"]!.transport as Extract<SiteConfig["devices"][string]["transport"], { type: "ssh" }>;
      return {
        ...c,
        broker: { ...c.broker, url: `mqtt://127.0.0.1:${port}` },
        devices: {
          ...d,
          "cam-lectern": { ...d["cam-lectern"]!, options: { ...d["cam-lectern"]!.options, passwordFile: camPassword } },
          "access-switch": { ...d["access-switch"]!, options: { ...d["access-switch"]!.options, communityFile: community } },
          "codec-meeting": { ...d["codec-meeting"]!, transport: { ...ssh, passwordFile: codecPassword } },
        },
      };
    });
    const users = path.join(dir, "broker.yaml");
    writeFileSync(users, stringify({ users: { "agent-district-07": { role: "agent", site: "district-07", password: await hashPassword(PASSWORD) } } }));
    const demoSite = siteFile("demo", PASSWORD);
    // --no-centre: the doctor checks the gateway (its devices, the broker, the clock over the broker's
    // HTTP), never the centre, whose first start (PGlite's initdb) would cost seconds of CPU for nothing.
    const started = await startDemoProcess(process.execPath, [cli, "demo", "--config", demoSite, "--users", users, "--port", String(port), "--http-port", String(httpPort), "--no-centre"], {
      env: { ...process.env, ROOMGATE_STATE_DIR: stateDir },
    });
    demo = started.child;
  }, 30_000);

  afterAll(async () => {
    // A clean stop (SIGINT) removes the simulators' pty links; SIGKILL would leave them behind.
    if (demo && demo.exitCode === null) {
      const exited = new Promise((resolve) => demo!.once("exit", resolve));
      demo.kill("SIGINT");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it("passes every check on a healthy gateway", async () => {
    const r = await doctor(siteFile("ok", PASSWORD));
    const text = doctorText(r);
    expect(r.ok, text).toBe(true);
    expect(r.checks.filter((c) => c.status !== "pass"), text).toEqual([]);
    const ids = r.checks.map((c) => c.id);
    for (const id of ["config", "node", "state", "disk", "secrets", "serial:cam-main", "serial:gpio", "device:led-wall", "device:cam-aux", "device:codec-main", "device:codec-meeting", "device:access-switch", "device:wan-mcu", "broker.reach", "broker.login", "clock"]) expect(ids).toContain(id);
    expect(statusOf(r, "secrets")!.message).toBe("4 secret files, none readable by other users");
    // The demo's own ports are the agent's and its simulators': in use as they should be.
    expect(statusOf(r, "serial:cam-main")!.message).toMatch(/in use by roomgate demo \(pid \d+\)/);
    expect(text).toMatch(/^ready: \d+ pass, 0 warn, 0 fail, 0 skipped$/m);
  });

  it("fails an unplugged serial adapter, saying where to find its stable name", async () => {
    const file = siteFile("unplugged", PASSWORD, (c) => ({
      ...c,
      devices: { ...c.devices, "cam-main": { ...c.devices["cam-main"]!, transport: { type: "serial", path: path.join(dir, "no-such-tty"), baudRate: 9600, dataBits: 8, parity: "none", stopBits: 1 } } },
    }));
    const r = await doctor(file);
    expect(r.ok).toBe(false);
    const c = statusOf(r, "serial:cam-main")!;
    expect(c.status).toBe("fail");
    expect(c.message).toContain("no-such-tty is missing (ENOENT)");
    expect(c.fix).toContain("ls -l /dev/serial/by-id/");
    expect(statusOf(r, "serial:gpio")!.status).toBe("pass");
  });

  it("fails a port held by another program, naming it", async () => {
    const port = config.devices.gpio!.transport.type === "serial" ? config.devices.gpio!.transport.path : "";
    const squatter = spawn(process.execPath, ["-e", `require("fs").openSync(${JSON.stringify(port)}, "r+"); console.log("open"); setInterval(() => {}, 1000)`], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve) => squatter.stdout!.once("data", () => resolve()));
      const r = await doctor(siteFile("squatted", PASSWORD));
      const c = statusOf(r, "serial:gpio")!;
      expect(c.status).toBe("fail");
      expect(c.message).toContain(`is held by pid ${squatter.pid}`);
      expect(c.fix).toContain("ModemManager");
    } finally {
      squatter.kill();
    }
  });

  it("fails a wrong broker password with how to set it, and never prints the password", async () => {
    const r = await doctor(siteFile("wrongpw", "not-the-password"));
    const c = statusOf(r, "broker.login")!;
    expect(c.status).toBe("fail");
    expect(c.message).toContain("refuses as agent-district-07: wrong user or password");
    expect(c.fix).toContain("roomgate broker passwd");
    expect(JSON.stringify(r)).not.toContain("not-the-password");
    expect(statusOf(r, "broker.reach")!.status).toBe("pass");
  });

  it("fails a gateway clock two minutes ahead of the broker's, with the NTP fix", async () => {
    const r = await doctor(siteFile("skew", PASSWORD), () => Date.now() + 120_000);
    const c = statusOf(r, "clock")!;
    expect(c.status).toBe("fail");
    expect(c.message).toMatch(/is \+1(19|20)\.\d s \(±0\.\d s\) off the broker's/);
    expect(c.fix).toContain("timedatectl set-ntp true");
  });
});
