/**
 * The technician's pre-session check end to end (issue 10): a real broker, simulated devices (a
 * VISCA camera over IP, a NovaStar LED wall, an X32 mixer, the encryptor on a 9600-baud pty, a
 * conference-bridge stand-in) and the agent. The check runs remotely (`readiness.run` over MQTT, the
 * report retained on `readiness`) and locally (`roomgate check`, the compiled CLI, through the
 * agent). Broken devices and a slow path to the bridge fail the right item with the reason; `--fix` repairs what the prepare
 * scene can, and leaves the encryptor (which nothing may control) failing.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { ReadinessSchema } from "../agent/topics.js";
import { siteConfigSchema } from "../config/site.js";
import { startEnc1Simulator, type Enc1SimHandle } from "../simulators/enc1/index.js";
import { startNovastarSimulator, type NovastarSimHandle } from "../simulators/novastar/index.js";
import { startViscaSimulator, type UdpCameraHandle } from "../simulators/visca/index.js";
import { startX32Simulator } from "../simulators/x32/index.js";
import { startHostSimulator } from "../simulators/host.js";
import { tcpConnect } from "../agent/readiness/hosts.js";
import { systemClock } from "../drivers/clock.js";
import { memoryLogger } from "./helpers/logger.js";
import { slowLink } from "./helpers/net.js";
import { Watcher } from "./helpers/mqtt.js";
import { quickReconnect } from "./helpers/quick-reconnect.js";

const SITE = "district-11";
const T = `roomgate/v1/${SITE}`;
const root = fileURLToPath(new URL("..", import.meta.url));
let dir: string;
let siteFile: string;
let broker: RunningBroker;
let cam: UdpCameraHandle;
let led: NovastarSimHandle;
let x32: Awaited<ReturnType<typeof startX32Simulator>>;
let enc: Enc1SimHandle;
let bridge: Awaited<ReturnType<typeof startHostSimulator>>;
let agent: Agent;
let ops: Watcher;
/** Extra round-trip time of the path to the conference bridge (a slow WAN), ms. */
let bridgeLatencyMs = 0;
let n = 0;

async function command(device: string | undefined, action: string, args: Record<string, unknown>, timeoutMs = 30_000): Promise<any> {
  return ops.command(T, "tech-minh", { id: `c${++n}`, ...(device ? { device } : {}), action, args }, timeoutMs);
}

/** The compiled `roomgate` as a technician runs it on the gateway. */
function roomgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, ROOMGATE_BROKER: broker.url, ROOMGATE_USER: "tech-minh", NO_COLOR: "1" };
    execFile(process.execPath, [path.join(root, "dist/cli/main.js"), ...args], { cwd: root, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const byId = (report: any) => Object.fromEntries(report.checks.map((i: any) => [i.id, i]));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-readiness-"));
  const logger = memoryLogger();
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
  cam = (await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 100, bootMs: 0 })) as UdpCameraHandle;
  led = await startNovastarSimulator({ link: "tcp", host: "127.0.0.1", port: 0, model: "mctrl4k", input: "hdmi" });
  x32 = await startX32Simulator({ host: "127.0.0.1", port: 0 });
  enc = await startEnc1Simulator({ link: "serial", devicePath: path.join(dir, "enc"), baudRate: 9600, heartbeatMs: 200 });
  bridge = await startHostSimulator("127.0.0.1", 0);
  const site = {
    site: SITE,
    broker: { url: broker.url },
    agent: { pollIntervalMs: 60_000 },
    readiness: { deadlineMs: 8000, deviceTimeoutMs: 3000, slowMs: 1000 },
    rooms: {
      hall: {
        profile: {
          devices: {
            cam: { power: "on", position: { pan: 0, tilt: 0, tolerance: 16 } },
            "led-wall": { input: "hdmi", blanked: false, brightness: { min: 20 } },
            mixer: { channels: { "lectern-mic": { muted: false, signal: true } } },
            "enc-1": { state: "SECURE", tunnel: "up", key: "valid" },
          },
          hosts: { bridge: { host: "127.0.0.1", port: bridge.port, maxRttMs: 150 } },
        },
        scenes: {
          prepare: {
            onFailure: "continue",
            steps: [
              { device: "cam", action: "power", args: { on: true } },
              { wait: 300 },
              { device: "cam", action: "home" },
              { device: "led-wall", action: "input.select", args: { input: "hdmi" } },
              { device: "mixer", action: "mute.set", args: { channel: "lectern-mic", on: false } },
              { verify: ["cam", "led-wall", "mixer"] },
            ],
          },
          presentation: {
            steps: [
              { device: "cam", action: "home" },
              { device: "led-wall", action: "input.select", args: { input: "dp" }, timeoutMs: 1500 },
              { device: "mixer", action: "mute.set", args: { channel: "lectern-mic", on: false } },
            ],
          },
        },
      },
    },
    devices: {
      cam: { kind: "camera", protocol: "visca", room: "hall", transport: { type: "udp", host: "127.0.0.1", port: cam.port }, options: { ackTimeoutMs: 1500, inquiryTimeoutMs: 1500 } },
      "led-wall": { kind: "ledwall", protocol: "novastar", room: "hall", transport: { type: "tcp", host: "127.0.0.1", port: led.port }, options: { model: "mctrl4k", timeoutMs: 800 } },
      mixer: { kind: "audio", protocol: "x32", room: "hall", transport: { type: "udp", host: "127.0.0.1", port: x32.port }, options: { channels: { "lectern-mic": { path: "/ch/01" } }, meters: true } },
      "enc-1": { kind: "crypto", protocol: "enc1", room: "hall", transport: { type: "serial", path: path.join(dir, "enc"), baudRate: 9600 }, options: { heartbeatIntervalMs: 200 } },
    },
  };
  siteFile = path.join(dir, "site.yaml");
  writeFileSync(siteFile, stringify(site));
  ops = await Watcher.connect(broker.url, `${T}/#`);
  agent = new Agent({ config: siteConfigSchema.parse(site), logger, version: "0.0.0-test", bootSeq: 3, mqttBackoff: { initialMs: 50, maxMs: 300 }, createTransport: quickReconnect, connect: slowLink(tcpConnect(systemClock), () => bridgeLatencyMs) });
  await agent.start();
  for (const d of ["cam", "led-wall", "mixer"]) await ops.waitFor((m) => m.topic === `${T}/dev/${d}/health` && m.json.status === "ok", 10_000, `${d} ok`);
  await ops.waitFor((m) => m.topic === `${T}/dev/enc-1/state` && m.json.state.secure === true, 10_000, "encryptor SECURE");
}, 40_000);

afterAll(async () => {
  await agent?.stop();
  await ops?.close();
  for (const s of [cam, led, x32, enc, bridge]) await s?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("readiness, seen by a technician and by the centre", () => {
  it("a room as it should be passes, and the report is retained on readiness in the documented schema", async () => {
    const res = await command(undefined, "readiness.run", {});
    expect(res.status).toBe("ok");
    expect(res.data.result).toBe("pass");
    expect(res.data.checks.map((i: any) => i.id)).toEqual([
      "cam.answers", "cam.power", "cam.position", "led-wall.answers", "led-wall.input", "led-wall.brightness", "led-wall.blanked",
      "mixer.answers", "mixer.lectern-mic.muted", "mixer.lectern-mic.signal", "enc-1.answers", "enc-1.state", "enc-1.tunnel", "enc-1.key", "bridge.rtt",
    ]);
    const retained = await ops.waitFor((m) => m.topic === `${T}/readiness` && m.json.id === res.data.id, 5000, "retained report");
    expect(ReadinessSchema.safeParse(retained.json).success).toBe(true);
    expect(retained.json).toEqual(res.data);
  });

  it("reads the devices back: camera off, wrong input, muted mic, encryptor in bypass each fail their item with the reason", async () => {
    expect((await command("cam", "power", { on: false })).status).toBe("ok");
    expect((await command("led-wall", "input.select", { input: "dvi" })).status).toBe("ok");
    // Behind the agent's back, at the desk (no push): only a read-back can see it.
    x32.mixer.set("/ch/01/mix/on", 0, "i");
    const mark = ops.seen.length;
    enc.control("state", ["BYPASS"]);
    // ENC/1 answers a status query with any status line: one already on the 9600-baud wire when the
    // state flipped would still say SECURE. Once the BYPASS line is in, every read-back must say so.
    await ops.waitFor((m) => m.topic === `${T}/dev/enc-1/state` && m.json.state.state === "BYPASS", 5000, "BYPASS line", mark);
    const r = (await command(undefined, "readiness.run", {})).data;
    const i = byId(r);
    expect(r.result).toBe("fail");
    expect(i["cam.power"]).toMatchObject({ result: "fail", code: "power_off", message: "expected on, got standby" });
    expect(i["cam.position"]).toMatchObject({ result: "fail", code: "power_off" });
    expect(i["led-wall.input"]).toMatchObject({ result: "fail", code: "wrong_input", message: "expected hdmi, got dvi", fix: expect.stringContaining("input.select") });
    expect(i["mixer.lectern-mic.muted"]).toMatchObject({ result: "fail", code: "muted", message: "expected unmuted, got muted" });
    expect(i["enc-1.state"]).toMatchObject({ result: "fail", code: "not_secure", message: "expected SECURE, got BYPASS" });
    expect(i["bridge.rtt"].result).toBe("pass");
  });

  it("roomgate check --fix runs the prepare scene, then passes all the scene can repair; the encryptor still fails", async () => {
    const run = await roomgate(["check", "--config", siteFile, "--fix", "--html", path.join(dir, "report.html")]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ ok +prepare #1: cam power/);
    expect(run.stdout).toMatch(/FAIL  enc-1: state SECURE +expected SECURE, got BYPASS \[not_secure\]/);
    expect(run.stdout).not.toMatch(/FAIL +(cam|led-wall|mixer)/);
    expect(cam.camera.power).toBe("on");
    expect(led.controller.input).toBe("hdmi");
    const html = readFileSync(path.join(dir, "report.html"), "utf8");
    expect(html).toContain("expected SECURE, got BYPASS");
    // Self-contained: nothing is loaded from anywhere (air-gapped sites).
    expect(html).not.toMatch(/<(script|link|img)\b|src=|href=|url\(/i);
  });

  it("a slow device warns, an unplugged one fails unreachable and the check still ends within its deadline", async () => {
    enc.control("state", ["SECURE"]);
    await ops.next((m) => m.topic === `${T}/dev/enc-1/state` && m.json.state.secure === true, 10_000, "SECURE again");
    cam.faults.slowMs = 300; // well under the driver's 1500 ms inquiry deadline (a loaded machine must not make it a timeout), four inquiries: over slowMs (1000)
    await led.unplug();
    const t0 = Date.now();
    const r = (await command(undefined, "readiness.run", {})).data;
    expect(Date.now() - t0).toBeLessThan(8000 + 2000);
    const i = byId(r);
    expect(i["cam.answers"]).toMatchObject({ result: "warn", code: "slow" });
    expect(i["led-wall.answers"]).toMatchObject({ result: "fail", code: "unreachable" });
    expect(i["led-wall.input"]).toMatchObject({ result: "skip", code: "unreachable" });
    cam.faults.slowMs = 0;
    await led.replug();
  });

  it("a slow path to the conference bridge fails its RTT item with the time measured over real TCP; an unplugged bridge is unreachable", async () => {
    bridgeLatencyMs = 400;
    const slow = byId((await command(undefined, "readiness.run", {})).data)["bridge.rtt"];
    expect(slow).toMatchObject({ result: "fail", code: "slow_host", fix: expect.stringContaining("network team") });
    expect(slow.message).toMatch(/^RTT 4\d\d(\.\d+)? ms is above 150 ms$/);
    expect(slow.actual.samples).toHaveLength(3);
    bridgeLatencyMs = 0;
    await bridge.unplug();
    const down = byId((await command(undefined, "readiness.run", {})).data)["bridge.rtt"];
    expect(down).toMatchObject({ result: "fail", code: "unreachable", message: expect.stringContaining("ECONNREFUSED") });
    await bridge.replug();
    expect(byId((await command(undefined, "readiness.run", {})).data)["bridge.rtt"].result).toBe("pass");
  });

  it("a second request while a check runs is answered busy with the running check's id", async () => {
    cam.faults.slowMs = 300;
    const first = command(undefined, "readiness.run", {});
    const started = await ops.next((m) => m.topic === `${T}/event` && m.json.type === "readiness.started", 5000, "check started");
    const second = await command(undefined, "readiness.run", {});
    expect(second).toMatchObject({ status: "error", error: { code: "busy", details: { running: started.json.data.check } } });
    expect((await first).status).toBe("ok");
    cam.faults.slowMs = 0;
  });

  it("scene.run reports each step; a failing step stops the scene and the rest are skipped", async () => {
    await led.unplug();
    const mark = ops.seen.length;
    const res = await command(undefined, "scene.run", { scene: "presentation" });
    expect(res.status).toBe("ok");
    expect(res.data).toMatchObject({ scene: "presentation", room: "hall", status: "failed" });
    expect(res.data.steps.map((s: any) => `${s.index} ${s.device} ${s.action} ${s.status}`)).toEqual([
      "0 cam home ok", "1 led-wall input.select error", "2 mixer mute.set skipped",
    ]);
    expect(res.data.steps[1].error.code).toMatch(/^(not_connected|timeout|unreachable)$/);
    const steps = ops.seen.slice(mark).filter((m) => m.topic === `${T}/event` && m.json.type === "scene.step");
    expect(steps.map((m) => m.json.data.step.status)).toEqual(["ok", "error", "skipped"]);
    await led.replug();
    await ops.until(`${T}/dev/led-wall/health`, (m) => m.json.status === "ok", 10_000, "led-wall back");
  });

  it("roomgate check --json prints the report; exit 0 when it passes", async () => {
    const run = await roomgate(["check", "--config", siteFile, "--json"]);
    const report = JSON.parse(run.stdout);
    expect(ReadinessSchema.safeParse(report).success).toBe(true);
    expect({ code: run.code, result: report.result, requestedBy: report.requestedBy }).toEqual({ code: 0, result: "pass", requestedBy: "tech-minh" });
  });
});
