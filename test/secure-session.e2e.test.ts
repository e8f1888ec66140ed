/**
 * The secure-session interlock end to end (issue 6): the encryptor on a 9600-baud pty, an LED wall,
 * a camera and a mixer, all simulated; the agent and a real broker. A session is refused while the
 * encryptor is not SECURE; once started, the simulator flips to BYPASS and the critical alarm appears
 * on MQTT and every fail-safe step runs on the simulated devices. The agent never wrote anything to
 * the encryptor but queries and acks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { siteConfigSchema } from "../config/site.js";
import { startEnc1Simulator, type Enc1SimHandle } from "../simulators/enc1/index.js";
import { startNovastarSimulator, type NovastarSimHandle } from "../simulators/novastar/index.js";
import { startViscaSimulator, type UdpCameraHandle } from "../simulators/visca/index.js";
import { startX32Simulator } from "../simulators/x32/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";

const SITE = "province-hall";
const T = `roomgate/v1/${SITE}`;
let dir: string;
let broker: RunningBroker;
let enc: Enc1SimHandle;
let led: NovastarSimHandle;
let cam: UdpCameraHandle;
let x32: Awaited<ReturnType<typeof startX32Simulator>>;
let agent: Agent;
let ops: Watcher;

async function command(device: string | undefined, action: string, args: Record<string, unknown>, id: string): Promise<any> {
  return ops.command(T, "op-anna", { id, ...(device ? { device } : {}), action, args });
}

const encState = (word: string, from = 0) =>
  ops.waitFor((m) => m.topic === `${T}/dev/enc-1/state` && m.json.state.state === word, 10_000, `encryptor ${word}`, from);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-secure-"));
  const logger = memoryLogger();
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
  enc = await startEnc1Simulator({ link: "serial", devicePath: path.join(dir, "enc"), baudRate: 9600, heartbeatMs: 200, state: "TUNNEL_DOWN" });
  led = await startNovastarSimulator({ link: "tcp", host: "127.0.0.1", port: 0, model: "mctrl4k" });
  cam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 100, bootMs: 0 });
  x32 = await startX32Simulator({ host: "127.0.0.1", port: 0 });
  const config = siteConfigSchema.parse({
    site: SITE,
    broker: { url: broker.url },
    agent: { pollIntervalMs: 500 },
    rooms: {
      hall: {
        secure: {
          encryptor: "enc-1",
          failsafe: [
            { device: "program", action: "mute.set", args: { channel: "program", on: true } },
            { device: "led-wall", action: "blank.set", args: { on: true } },
            { device: "cam", action: "home", args: {} },
          ],
        },
      },
    },
    devices: {
      "enc-1": {
        kind: "crypto", protocol: "enc1", room: "hall",
        transport: { type: "serial", path: path.join(dir, "enc"), baudRate: 9600 },
        options: { heartbeatIntervalMs: 200 },
      },
      "led-wall": { kind: "ledwall", protocol: "novastar", room: "hall", transport: { type: "tcp", host: "127.0.0.1", port: led.port }, options: { model: "mctrl4k" } },
      cam: { kind: "camera", protocol: "visca", room: "hall", transport: { type: "udp", host: "127.0.0.1", port: cam.port }, options: { ackTimeoutMs: 400, inquiryTimeoutMs: 400 } },
      program: { kind: "audio", protocol: "x32", room: "hall", transport: { type: "udp", host: "127.0.0.1", port: x32.port }, options: { channels: { program: { path: "/main/st" } } } },
    },
  });
  ops = await Watcher.connect(broker.url, `${T}/#`);
  agent = new Agent({ config, logger, version: "0.0.0-test", bootSeq: 4, mqttBackoff: { initialMs: 50, maxMs: 300 } });
  await agent.start();
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await ops?.close();
  for (const s of [enc, led, cam, x32]) await s?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("secure session interlock, through MQTT", () => {
  it("refuses to start a classified session while the encryptor is not SECURE, saying why", async () => {
    await encState("TUNNEL_DOWN");
    const r = await command(undefined, "session.start", { classified: true }, "s-refused");
    expect(r).toMatchObject({ status: "error", error: { code: "busy" } });
    expect(r.error.message).toContain("TUNNEL_DOWN");
  });

  it("SECURE -> session runs; BYPASS -> critical not_secure alarm on MQTT and every fail-safe step done", async () => {
    for (const d of ["led-wall", "cam", "program"]) {
      await ops.waitFor((m) => m.topic === `${T}/dev/${d}/health` && m.json.status === "ok", 10_000, `${d} ok`);
    }
    await command("cam", "position", { pan: 400, tilt: 80 }, "cam-away");
    enc.control("state", ["SECURE"]);
    enc.control("tunnel", ["up"]);
    await ops.waitFor((m) => m.topic === `${T}/dev/enc-1/state` && m.json.state.secure === true, 10_000, "encryptor secure");
    expect(await command(undefined, "session.start", { classified: true }, "s-start")).toMatchObject({ status: "ok", data: { room: "hall" } });

    const mark = ops.seen.length;
    enc.control("state", ["BYPASS"]);
    const alarm = await ops.waitFor((m) => m.topic === `${T}/alarm/hall-not-secure` && m.raw !== "", 5000, "not_secure alarm", mark);
    expect(alarm.json).toMatchObject({ severity: "critical", code: "not_secure", device: "enc-1" });
    expect(alarm.json.message).toContain("BYPASS");
    const report = await ops.waitFor((m) => m.topic === `${T}/event` && m.json.type === "session.failsafe", 10_000, "fail-safe report", mark);
    expect(report.json.data.failed).toBe(0);
    expect(report.json.data.steps.map((s: any) => `${s.device} ${s.action} ${s.status}`)).toEqual([
      "program mute.set ok", "led-wall blank.set ok", "cam home ok",
    ]);
    expect(x32.mixer.get("/main/st/mix/on")).toMatchObject({ value: 0 });
    expect(led.controller.blackout).toBe(true);
    expect(cam.camera.position()).toMatchObject({ pan: 0, tilt: 0 });

    // SECURE again: nothing is re-enabled and the alarm stays until an operator resumes.
    enc.control("state", ["SECURE"]);
    await ops.waitFor((m) => m.topic === `${T}/dev/enc-1/state` && m.json.state.secure === true, 10_000, "secure again", mark);
    expect(led.controller.blackout).toBe(true);
    const acked = await command(undefined, "alarm.ack", { alarm: "hall-not-secure" }, "ack");
    expect(acked.data.ack.user).toBe("op-anna");
    expect(await command(undefined, "session.resume", {}, "resume")).toMatchObject({ status: "ok" });
    await ops.waitFor((m) => m.topic === `${T}/alarm/hall-not-secure` && m.raw === "", 5000, "alarm cleared", mark);
    await command(undefined, "session.end", {}, "end");
  });

  it("the agent wrote nothing to the encryptor but queries and acks", () => {
    const lines = enc.device.receivedLines();
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) expect(l).toMatch(/^\$(Q,(ST|ID)|ACK,\d+)\*[0-9A-F]{2}\r?\n$/);
  });
});
