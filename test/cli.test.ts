/**
 * The `roomgate` command as a technician runs it: the compiled CLI (dist/, built by `npm test`),
 * its exit codes and what it prints. A compiled run is a Node start and the command's imports (about
 * 0.5 s of CPU each), so what is about the binary runs it (exit codes, the modules help loads, the
 * environment, ctl against a broker); what a command decides from its arguments and files alone runs
 * in-process through the same dispatcher (cli/dispatch.ts) that dist/cli/main.js calls.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { matrixUsers, passwordOf } from "../broker/acl.cases.js";
import { startBroker } from "../broker/server.js";
import type { RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { roomgateInProcess } from "./helpers/cli-inprocess.js";
import { siteConfigSchema } from "../config/site.js";
import { startViscaSimulator } from "../simulators/visca/index.js";
import type { UdpCameraHandle } from "../simulators/visca/index.js";
import { memoryLogger } from "./helpers/logger.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "dist/cli/main.js");
const example = path.join(root, "config/examples/district-room.yaml");

interface Run { code: number; stdout: string; stderr: string }

function roomgate(args: string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: root, timeout: timeoutMs, env: { ...process.env, ROOMGATE_BROKER: "" } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `roomgate ...argv` in-process (test/helpers/cli-inprocess.ts). */
const roomgateHere = roomgateInProcess;

let dir: string;
beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("roomgate config", () => {
  it("validates the example site file", async () => {
    const r = await roomgate(["config", "validate", example]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ok (site district-07, 13 devices)");
  });

  it("refuses an invalid site file with exit 2, naming the file, the path and what was expected", async () => {
    const bad = path.join(dir, "bad.yaml");
    writeFileSync(bad, readFileSync(example, "utf8").replace("baudRate: 9600", "baudRate: 9601"));
    const r = await roomgateHere(["config", "validate", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: devices.cam-main.transport.baudRate: expected one of`);
    expect(r.stderr).toContain("9601");
    // The agent refuses it the same way, before touching any device or broker.
    const a = await roomgateHere(["agent", "--config", bad, "--state-dir", dir]);
    expect(a.code).toBe(2);
    expect(a.stderr).toContain("devices.cam-main.transport.baudRate");
  });

  it("refuses a device whose protocol has no driver, or whose driver options are wrong", async () => {
    const bad = path.join(dir, "bad-device.yaml");
    writeFileSync(bad, readFileSync(example, "utf8").replace("protocol: visca", "protocol: pelco-d").replace("options: { address: 1 }", "options: { address: 9 }"));
    const r = await roomgateHere(["config", "validate", bad]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${bad}: devices.cam-main.protocol: unknown protocol "pelco-d"; known: visca`);
    const o = path.join(dir, "bad-options.yaml");
    writeFileSync(o, readFileSync(example, "utf8").replace("options: { address: 1 }", "options: { address: 9 }"));
    const r2 = await roomgateHere(["config", "validate", o]);
    expect(r2.code).toBe(2);
    expect(r2.stderr).toContain(`${o}: devices.cam-main.options.address:`);
    expect(r2.stderr).toContain("got 9");
  });

  it("prints the JSON Schema of the site file for editors", async () => {
    const r = await roomgateHere(["config", "schema"]);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.properties.devices).toBeDefined();
    expect(schema.properties.site).toBeDefined();
  });
});

describe("roomgate usage", () => {
  it("exits 2 with the usage for an unknown command or a missing flag", async () => {
    const u = await roomgate(["frobnicate"]);
    expect(u.code).toBe(2);
    expect(u.stderr).toContain('unknown command "frobnicate"');
    expect(u.stderr).toContain("usage: roomgate");
    const m = await roomgate(["agent"]);
    expect(m.code).toBe(2);
    expect(m.stderr).toBe("roomgate agent: needs --config FILE (roomgate agent --help)\n");
  });

  it("names the options check takes when given one it does not, and points at its help", async () => {
    const r = await roomgateHere(["check", "--fix", "--frobnicate"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      "roomgate check: unknown option '--frobnicate'. check takes: --config, --fix, --json, --html, --rooms, --deadline, --broker, --user, --password-file, --ca (roomgate check --help)\n",
    );
  });

  it("says which option lacks its value and how many arguments were expected", async () => {
    const v = await roomgateHere(["check", "--deadline"]);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain("roomgate check: --deadline needs a value: --deadline MS");
    const p = await roomgateHere(["ctl", "district-07", "cam-main"]);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('roomgate ctl: missing ACTION (expected SITE DEVICE ACTION, got "district-07" "cam-main")');
  });
});

describe("roomgate <command> --help", () => {
  it("check --help: usage, options with defaults, exit codes and examples, without reading a site file", async () => {
    const r = await roomgateHere(["check", "--config", path.join(dir, "absent.yaml"), "--fix", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("usage: roomgate check [options]");
    expect(r.stdout).toMatch(/--deadline MS +the check finishes within this, at least 1000 \(default: the site file's\s+readiness\.deadlineMs, else 20000\)/);
    expect(r.stdout).toMatch(/--user U +log in to the broker as this user \(default: \$ROOMGATE_USER, else operator\)/);
    expect(r.stdout).toContain("  3  no answer from the agent (is it running and connected?)");
    expect(r.stdout).toContain("  roomgate check --fix --html report.html\n");
  });

  it("fleet check -h: how to pick the sites", async () => {
    const r = await roomgateHere(["fleet", "check", "-h"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: roomgate fleet check (--sites a,b | --all) [options]");
    expect(r.stdout).toMatch(/--all +check every site with a retained agent state on the broker/);
    expect(r.stdout).toContain("roomgate fleet check --all");
  });

  it("broker passwd --help: neither asks for a password nor writes the broker file", async () => {
    const file = path.join(dir, "untouched-broker.yaml");
    const r = await roomgateHere(["broker", "passwd", "--config", file, "op-1", "--role", "operator", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("usage: roomgate broker passwd --config FILE [options] USER");
    expect(r.stdout).toContain("The password is read from stdin");
    expect(r.stdout).toMatch(/--role ROLE +agent, operator, monitor, admin or recorder/);
    expect(existsSync(file)).toBe(false);
  });

  it("help doctor prints what doctor --help prints; roomgate --help lists every command", async () => {
    const viaHelp = await roomgateHere(["help", "doctor"]);
    const viaFlag = await roomgateHere(["doctor", "--help"]);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toContain("usage: roomgate doctor [options]");
    expect(viaHelp.stdout).toContain("  1  a check failed: each says its fix");
    expect(viaHelp.stdout).toBe(viaFlag.stdout);
    const top = await roomgateHere(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/\n  fleet check +ask many sites for a readiness check at once/);
    expect(top.stdout).toMatch(/\n  broker passwd +add or change a broker user/);
  });

  it("loads no driver, broker or MQTT module to print help", async () => {
    // A module loader hook (in its own thread) appends every module Node loads to a file.
    const hook = path.join(dir, "trace-hook.mjs");
    writeFileSync(hook, 'import { appendFileSync } from "node:fs";\nexport async function load(url, context, next) {\n  appendFileSync(process.env.ROOMGATE_MODULE_TRACE, `${url}\\n`);\n  return next(url, context);\n}\n');
    const register = path.join(dir, "trace-register.mjs");
    writeFileSync(register, 'import { register } from "node:module";\nregister("./trace-hook.mjs", import.meta.url);\n');
    const traced = async (args: string[]): Promise<string[]> => {
      const trace = path.join(dir, `trace-${args.join("-")}.txt`);
      await new Promise<void>((resolve) => {
        execFile(process.execPath, ["--import", register, cli, ...args], { cwd: root, timeout: 15_000, env: { ...process.env, ROOMGATE_MODULE_TRACE: trace } }, () => resolve());
      });
      return readFileSync(trace, "utf8").trim().split("\n");
    };
    // Six processes that wait on nothing but themselves: at once.
    const helps = [["check", "--help"], ["broker", "--help"], ["sim", "-h"], ["help", "discover"], ["--help"]];
    const [ctlTrace, ...helpTraces] = await Promise.all([traced(["ctl", "s1"]), ...helps.map(traced)]);
    helpTraces.forEach((loaded, i) => {
      expect(loaded.filter((url) => url.includes("node_modules") || /\/dist\/(agent|broker|drivers|simulators|config)\//.test(url)), helps[i]!.join(" ")).toEqual([]);
    });
    // The trace does see them when a command runs (a usage error after its module loaded).
    expect(ctlTrace!.some((url) => url.includes("node_modules/mqtt/"))).toBe(true);
  });
});

describe("roomgate ctl", () => {
  let broker: RunningBroker;
  let cam: UdpCameraHandle;
  let agent: Agent;
  beforeAll(async () => {
    broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger() });
    cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0 });
    const config = siteConfigSchema.parse({
      site: "district-09",
      region: ["province", "district-09"],
      broker: { url: broker.url },
      devices: { "cam-1": { kind: "camera", protocol: "visca", transport: { type: "udp", host: "127.0.0.1", port: cam.port } } },
    });
    agent = new Agent({ config, logger: memoryLogger(), version: "0.0.0-test", bootSeq: 1 });
    await agent.start();
  });
  afterAll(async () => {
    await agent?.stop();
    await cam?.close();
    await broker?.close();
  });

  it("sends a command with typed --arg values and prints the response", async () => {
    const r = await roomgate(["ctl", "district-09", "cam-1", "position", "--arg", "pan=300", "--arg", "tilt=-50", "--broker", broker.url, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "ok" });
    expect(cam.camera.position()).toMatchObject({ pan: 300, tilt: -50 });
  });

  it("exits 1 and prints the coded error for a rejected command", async () => {
    const r = await roomgate(["ctl", "district-09", "cam-1", "zoom", "--arg", "direction=sideways", "--broker", broker.url]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("rejected: invalid_args");
  });

  it("exits 3 when no agent answers in time", async () => {
    const r = await roomgate(["ctl", "nowhere", "cam-1", "home", "--broker", broker.url, "--timeout", "300"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no response from site nowhere");
  });
});

describe("roomgate ctl against a broker with users", () => {
  let broker: RunningBroker;
  let cam: UdpCameraHandle;
  let agent: Agent;
  beforeAll(async () => {
    broker = await startBroker({ host: "127.0.0.1", port: 0, logger: memoryLogger(), auth: { users: await matrixUsers() } });
    cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0 });
    const config = siteConfigSchema.parse({
      site: "s1",
      region: ["s1"],
      broker: { url: broker.url, username: "agent-s1", password: passwordOf("agent-s1") },
      devices: { cam: { kind: "camera", protocol: "visca", transport: { type: "udp", host: "127.0.0.1", port: cam.port } } },
    });
    agent = new Agent({ config, logger: memoryLogger(), version: "0.0.0-test", bootSeq: 1 });
    await agent.start();
    writeFileSync(path.join(dir, "op-1.pw"), `${passwordOf("op-1")}\n`);
    writeFileSync(path.join(dir, "wrong.pw"), "not-the-password\n");
  });
  afterAll(async () => {
    await agent?.stop();
    await cam?.close();
    await broker?.close();
  });

  it("logs in with --user and --password-file, and the command is served", async () => {
    const r = await roomgate(["ctl", "s1", "cam", "position", "--arg", "pan=120", "--arg", "tilt=0", "--broker", broker.url, "--user", "op-1", "--password-file", path.join(dir, "op-1.pw"), "--json"]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "ok" });
    expect(cam.camera.position()).toMatchObject({ pan: 120 });
  });

  it("takes the login from the environment too", async () => {
    const r = await new Promise<Run>((resolve) => {
      const env = { ...process.env, ROOMGATE_BROKER: broker.url, ROOMGATE_USER: "op-1", ROOMGATE_PASSWORD_FILE: path.join(dir, "op-1.pw") };
      execFile(process.execPath, [cli, "ctl", "s1", "cam", "home", "--json"], { cwd: root, timeout: 15_000, env }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }),
      );
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "ok" });
  });

  it("says plainly that a wrong password was refused, without printing it", async () => {
    const r = await roomgate(["ctl", "s1", "cam", "home", "--broker", broker.url, "--user", "op-1", "--password-file", path.join(dir, "wrong.pw")]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("refused: wrong user or password");
    expect(r.stderr + r.stdout).not.toContain("not-the-password");
  });

  it("names a password file it cannot read", async () => {
    const r = await roomgate(["ctl", "s1", "cam", "home", "--broker", broker.url, "--user", "op-1", "--password-file", path.join(dir, "absent.pw")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("absent.pw: cannot read it (ENOENT)");
  });
});
