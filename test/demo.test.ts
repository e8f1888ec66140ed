/**
 * What the README promises a new user: `roomgate demo` comes up with its operator console, a command
 * sent over MQTT moves a simulated camera and is answered, and Ctrl-C stops it cleanly. Only the
 * README's own `mosquitto_pub` line needs a program beyond Node (mosquitto-clients); the rest speaks
 * MQTT with MQTT.js.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoProcess, type DemoProcess } from "./helpers/demo-process.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";
import { Watcher } from "./helpers/mqtt.js";
import { freePort } from "./helpers/net.js";
import { itWith, toolPath } from "./helpers/tools.js";
import { within } from "./helpers/within.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "dist/cli/main.js");
const T = "roomgate/v1/district-07";
const README_PORT = 1883;

/** A shell command as one line: continuation backslashes joined, runs of blanks made one space. */
const oneLine = (text: string) => text.replace(/\\\n/g, " ").replace(/[ \t]+/g, " ").trim();

/** The README's `mosquitto_pub` command (with its continuation line). */
function readmeMosquittoPub(): string {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const m = /^mosquitto_pub .*\\\n.*$/m.exec(readme);
  if (!m) throw new Error("README.md has no two-line mosquitto_pub command");
  return oneLine(m[0]);
}

/** The README's `roomgate ctl` lines for these devices (its "Try it" block), as printed there. */
function readmeCtlLines(devices: readonly string[]): string[] {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  return [...readme.matchAll(/^npx roomgate ctl district-07 (\S+) .*$/gm)].filter((m) => devices.includes(m[1]!)).map((m) => m[0].trim());
}

/** Splits a command line the way sh would for these words: plain or in single quotes. */
const words = (line: string) => [...line.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!);

describe("roomgate demo", () => {
  const stateDir = mkdtempSync(path.join(tmpdir(), "roomgate-demo-"));
  let demo: DemoProcess;
  let port: number;
  let w: Watcher;
  /** What the demo prints after its "how to use me" text (the centre's pages once it is up). */
  let later = "";

  beforeAll(async () => {
    port = await freePort();
    // Its centre opens a record that already exists (the tests' migrated template): a first start's
    // initdb is seconds of CPU that test/centre-command.test.ts proves on the same code path.
    await seedCentreRecord(stateDir);
    demo = await startDemoProcess(process.execPath, [cli, "demo", "--free-ports", "--state-dir", stateDir, "--port", String(port)], {
      cwd: root,
      env: { ...process.env, ROOMGATE_STATE_DIR: stateDir },
    });
    demo.child.stdout!.on("data", (d: Buffer) => (later += d.toString()));
    w = await Watcher.connect(`mqtt://127.0.0.1:${port}`, `${T}/#`);
  }, 40_000);

  afterAll(async () => {
    await w?.close();
    if (demo && demo.child.exitCode === null) demo.child.kill("SIGKILL");
    rmSync(stateDir, { recursive: true, force: true });
  });

  it("comes up with every device of the example site ok: the room's gear, both codecs, the switch and the WAN link", async () => {
    const meta = await w.waitFor((m) => m.topic === `${T}/agent/meta`, 15_000, "meta");
    const devices = Object.keys(meta.json.devices);
    expect(devices).toEqual(expect.arrayContaining(["cam-main", "cam-aux", "cam-lectern", "led-wall", "side-displays", "dsp", "mixer", "enc-1", "gpio", "codec-main", "codec-meeting", "access-switch", "wan-mcu"]));
    expect(devices).toHaveLength(13);
    const status = new Map<string, string>();
    await w.waitFor((m) => {
      const d = /^roomgate\/v1\/district-07\/dev\/([^/]+)\/health$/.exec(m.topic)?.[1];
      if (d !== undefined && m.json) status.set(d, m.json.status);
      return devices.every((id) => status.get(id) === "ok");
    }, 20_000, "every device ok");
    // And no device alarm on the way up: a start raises nothing a monitoring script must look at.
    expect(w.seen.filter((m) => m.topic.startsWith(`${T}/alarm/`) && m.raw !== "").map((m) => m.topic)).toEqual([]);
  });

  it("comes up with its console, and prints the README's mosquitto_pub line for its port", async () => {
    expect(oneLine(demo.out)).toContain(readmeMosquittoPub().replace(`-p ${README_PORT} `, `-p ${port} `));
    // The codec and network lines of the README's "Try it" are the demo's, for this demo's broker.
    const b = `--broker mqtt://127.0.0.1:${port}`;
    const lines = readmeCtlLines(["codec-main", "access-switch"]);
    expect(lines).toEqual([
      "npx roomgate ctl district-07 codec-main call.dial --arg number=8001@mcu.province.gov",
      "npx roomgate ctl district-07 codec-main mic.mute --arg on=true",
      "npx roomgate ctl district-07 codec-main call.hangup",
      "npx roomgate ctl district-07 access-switch port.powercycle --arg port=cam-aux --arg offMs=3000",
    ]);
    for (const line of lines) expect(demo.out).toContain(`${line} ${b}`);
    // And how to read what the centre (in the demo too) recorded.
    expect(demo.out).toContain(`npx roomgate history audit --site district-07 --state-dir ${stateDir}`);
    expect(demo.out).toContain(`npx roomgate history verify --state-dir ${stateDir}`);
    // The operator console is on the demo's HTTP listener, and says how to log in.
    const consoleUrl = /Operator console: (http:\/\/127\.0\.0\.1:\d+\/console\/)/.exec(demo.out)?.[1];
    expect(consoleUrl, demo.out).toBeDefined();
    expect(demo.out).toContain("any user name (e.g. operator) logs in");
    const page = await fetch(consoleUrl!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>roomgate console</title>");
  });

  it("answers a command sent over MQTT and moves the camera", async () => {
    const mark = w.seen.length;
    await w.publish(`${T}/cmd/operator`, { id: "mqtt-1", device: "cam-main", action: "position", args: { pan: 700, tilt: 150 } });
    const res = await w.waitFor((m) => m.topic === `${T}/res/operator` && m.json.id === "mqtt-1", 10_000, "response", mark);
    expect(res.json.status).toBe("ok");
    const state = await w.waitFor((m) => m.topic === `${T}/dev/cam-main/state` && m.json.state.pan === 700, 10_000, "camera moved", mark);
    expect(state.json.state.tilt).toBe(150);
  });

  it("obeys the README's codec and switch lines: the MCU answers the call, the room is muted, the call ends, the camera's port cycles", async () => {
    const run = (line: string) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        const [, , , ...args] = words(line); // npx roomgate ctl ...
        execFile(process.execPath, [cli, "ctl", ...args, "--broker", `mqtt://127.0.0.1:${port}`], { cwd: root, timeout: 30_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, out: `${stdout}${stderr}` }));
      });
    const obey = async (line: string) => {
      const r = await run(line);
      expect(r.code, `${line}\n${r.out}`).toBe(0);
      expect(r.out, line).toMatch(/^ok/);
    };
    const mark = w.seen.length;
    const lines = readmeCtlLines(["codec-main", "access-switch"]);
    const of = (device: string) => lines.filter((l) => words(l)[4] === device); // npx roomgate ctl SITE DEVICE ...
    expect([of("codec-main").length, of("access-switch").length]).toEqual([3, 1]);
    // The switch's line beside the codec's three (those in their order): they share no device, and
    // the port's cycle is mostly its 3 s off and the camera's next poll.
    await Promise.all([
      (async () => {
        for (const line of of("codec-main")) await obey(line);
      })(),
      ...of("access-switch").map(obey),
    ]);
    const codec = w.seen.slice(mark).filter((m) => m.topic === `${T}/dev/codec-main/state`).map((m) => m.json.state);
    expect(codec.some((s) => s.calls.some((c: { remote: string; state: string }) => c.remote === "8001@mcu.province.gov" && c.state === "connected"))).toBe(true);
    expect(codec.at(-1)).toMatchObject({ calls: [], mic: { muted: true } });
    // The camera on the cycled port went dark and came back.
    const dark = await w.waitFor((m) => m.topic === `${T}/dev/cam-aux/health` && m.json?.status === "unreachable", 20_000, "cam-aux unreachable", mark);
    await w.waitFor((m) => m.topic === `${T}/dev/cam-aux/health` && m.json?.status === "ok", 20_000, "cam-aux ok again", w.seen.indexOf(dark));
  }, 60_000);

  itWith("mosquitto-clients")("obeys the README's mosquitto_pub line, sent to its port", async () => {
    const [, ...args] = words(readmeMosquittoPub().replace(`-p ${README_PORT} `, `-p ${port} `));
    const mark = w.seen.length;
    await new Promise<void>((resolve, reject) => execFile(toolPath("mosquitto-clients"), args, (e) => (e ? reject(e) : resolve())));
    const res = await w.waitFor((m) => m.topic === `${T}/res/operator` && m.json.id === "c1", 10_000, "response to the README's command", mark);
    expect(res.json.status).toBe("ok");
  });

  it("serves the centre's History and Availability pages on a free port, printed once the centre is up", async () => {
    expect(demo.out).toContain("Its History and Availability pages: at the address printed below once it is up.");
    const printed = /its History and Availability pages: (http:\/\/127\.0\.0\.1:\d+\/console\/)#\/history\/audit\n/;
    // PGlite opening the centre's record in the centre's thread: a second or more on a loaded machine.
    await within(
      new Promise<void>((resolve) => {
        const check = () => printed.test(demo.out + later) && resolve();
        demo.child.stdout!.on("data", check);
        check();
      }),
      120_000,
      "the centre's pages printed",
    );
    const consoleUrl = printed.exec(demo.out + later)![1]!;
    expect(new URL(consoleUrl).port).not.toBe("8090");
    const page = await fetch(consoleUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>roomgate console</title>");
    // The centre's console has the history pages (the broker's does not): any user name on the open demo.
    const who = await fetch(`${consoleUrl}whoami`, { headers: { authorization: `Basic ${Buffer.from("operator:any").toString("base64")}` } });
    expect(((await who.json()) as { history: boolean }).history).toBe(true);
  }, 150_000);

  it("stops cleanly on SIGINT, saying offline", async () => {
    const mark = w.seen.length;
    const exited = new Promise<number | null>((resolve) => demo.child.once("exit", (code) => resolve(code)));
    demo.child.kill("SIGINT");
    const offline = await w.waitFor((m) => m.topic === `${T}/agent/state` && m.json.state === "offline", 10_000, "offline", mark);
    expect(offline.json.bootSeq).toBe(1);
    expect(await exited).toBe(0);
  });
});
