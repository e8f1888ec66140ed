/**
 * The operator's and the monitoring script's story, end to end: the real broker, the real agent,
 * and VISCA camera simulators on a pseudo-terminal (9600 baud) and on UDP (VISCA over IP).
 * Everything asserted here is what a subscriber sees on MQTT.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker } from "../broker/server.js";
import type { RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { siteConfigSchema } from "../config/site.js";
import { startViscaSimulator } from "../simulators/visca/index.js";
import type { SerialCameraHandle, UdpCameraHandle } from "../simulators/visca/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";

const SITE = "district-07";
const T = `roomgate/v1/${SITE}`;
const logger = memoryLogger();

let dir: string;
let broker: RunningBroker;
let serialCam: SerialCameraHandle;
let udpCam: UdpCameraHandle;
let agent: Agent;
let ops: Watcher;
let seq = 0;

/** Sends a command as operator `op-anna` and resolves with the agent's response. */
async function command(body: Record<string, unknown> | string, user = "op-anna"): Promise<any> {
  const id = typeof body === "string" ? undefined : (body.id as string | undefined) ?? `cmd-${++seq}`;
  const payload = typeof body === "string" ? body : { ...body, id };
  const mark = ops.seen.length;
  await ops.publish(`${T}/cmd/${user}`, payload);
  const res = await ops.waitFor(
    (m) => m.topic === `${T}/res/${user}` && (id === undefined || m.json.id === id),
    10_000,
    `response to ${JSON.stringify(payload)}`,
    mark,
  );
  return res.json;
}

function health(device: string, status: string, fromIndex = 0, timeoutMs = 10_000) {
  return ops.waitFor((m) => m.topic === `${T}/dev/${device}/health` && m.json.status === status, timeoutMs, `${device} ${status}`, fromIndex);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-e2e-"));
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
  serialCam = await startViscaSimulator({ link: "serial", devicePath: path.join(dir, "cam-main"), baudRate: 9600, recallMs: 200, bootMs: 100 });
  udpCam = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 200, bootMs: 100 });
  const timeouts = { ackTimeoutMs: 400, inquiryTimeoutMs: 400, completionTimeoutMs: 3000, connectTimeoutMs: 1000 };
  const config = siteConfigSchema.parse({
    site: SITE,
    name: "District 7 conference room",
    region: ["province", SITE],
    broker: { url: broker.url, username: "agent-district-07", password: "s3cret-agent-pass" },
    agent: { pollIntervalMs: 250, commandTimeoutMs: 5000, logLevel: "info" },
    devices: {
      "cam-main": {
        kind: "camera", protocol: "visca", name: "Main camera",
        transport: { type: "serial", path: path.join(dir, "cam-main"), baudRate: 9600 },
        options: { address: 1, ...timeouts },
      },
      "cam-aux": {
        kind: "camera", protocol: "visca",
        transport: { type: "udp", host: "127.0.0.1", port: udpCam.port },
        options: timeouts,
      },
    },
  });
  ops = await Watcher.connect(broker.url, `${T}/#`);
  agent = new Agent({ config, logger, version: "0.0.0-test", bootSeq: 41, mqttBackoff: { initialMs: 50, maxMs: 300 } });
  await agent.start();
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await ops?.close();
  await serialCam?.close();
  await udpCam?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("a simulated district room, seen from MQTT", () => {
  it("announces itself: birth, meta with every action's schema, and both cameras ok", async () => {
    const birth = await ops.waitFor((m) => m.topic === `${T}/agent/state`);
    expect(birth.retain).toBe(false); // live delivery; retained flag shows for late subscribers
    expect(birth.json).toMatchObject({ state: "online", bootSeq: 41, version: "0.0.0-test" });
    const meta = (await ops.waitFor((m) => m.topic === `${T}/agent/meta`)).json;
    expect(Object.keys(meta.devices).sort()).toEqual(["cam-aux", "cam-main"]);
    expect(meta.devices["cam-main"].transport).toContain("9600");
    expect(meta.devices["cam-main"].actions["preset.recall"].args.properties.preset).toBeDefined();
    expect(meta.devices["cam-main"].stateFields).toContain("pan");
    await health("cam-main", "ok");
    await health("cam-aux", "ok");
  });

  it("never puts the broker password into a payload or a log line", () => {
    expect(ops.seen.some((m) => m.raw.includes("s3cret-agent-pass"))).toBe(false);
    expect(JSON.stringify(logger.records)).not.toContain("s3cret-agent-pass");
  });

  it("moves the serial camera to a stored preset and answers the operator", async () => {
    const set = await command({ device: "cam-main", action: "position", args: { pan: 1200, tilt: -300 } });
    expect(set.status).toBe("ok");
    expect(await command({ device: "cam-main", action: "preset.set", args: { preset: 4 } })).toMatchObject({ status: "ok" });
    expect(await command({ device: "cam-main", action: "home" })).toMatchObject({ status: "ok" });
    expect(serialCam.camera.position().pan).toBe(0);
    const recall = await command({ device: "cam-main", action: "preset.recall", args: { preset: 4 } });
    expect(recall.status).toBe("ok");
    expect(serialCam.camera.position().pan).toBe(1200);
    expect(serialCam.camera.position().tilt).toBe(-300);
    const state = await ops.waitFor((m) => m.topic === `${T}/dev/cam-main/state` && m.json.state.pan === 1200 && m.json.state.lastPreset === 4);
    expect(state.json.state).toMatchObject({ power: "on", tilt: -300 });
  });

  it("drives the VISCA-over-IP camera the same way", async () => {
    const res = await command({ device: "cam-aux", action: "zoom.position", args: { position: 8000 } });
    expect(res.status).toBe("ok");
    expect(udpCam.camera.position().zoom).toBe(8000);
    await ops.waitFor((m) => m.topic === `${T}/dev/cam-aux/state` && m.json.state.zoom === 8000);
  });

  it("audits every command on the event topic with who asked and how it ended", async () => {
    const res = await command({ device: "cam-aux", action: "stop" }, "op-binh");
    const audit = await ops.waitFor((m) => m.topic === `${T}/event` && m.json.type === "command" && m.json.data.id === res.id);
    expect(audit.json.data).toMatchObject({ user: "op-binh", device: "cam-aux", action: "stop", status: "ok" });
    expect(typeof audit.json.data.durationMs).toBe("number");
  });

  it("rejects malformed JSON and bad args, and runs nothing", async () => {
    const before = serialCam.camera.position().pan;
    const bad = await command("{ this is not json");
    expect(bad).toMatchObject({ status: "rejected", error: { code: "invalid_args" } });
    const args = await command({ device: "cam-main", action: "preset.recall", args: { preset: "four" } });
    expect(args.status).toBe("rejected");
    expect(args.error.details.issues[0].path).toEqual(["preset"]);
    expect(serialCam.camera.position().pan).toBe(before);
  });

  it("answers unknown devices, unknown actions and expired commands with their codes", async () => {
    expect((await command({ device: "cam-ghost", action: "home" })).error.code).toBe("unknown_device");
    expect((await command({ device: "cam-main", action: "self-destruct" })).error.code).toBe("unknown_action");
    const expired = await command({ device: "cam-main", action: "home", expiresAt: Date.now() - 1000 });
    expect(expired).toMatchObject({ status: "expired", error: { code: "expired" } });
  });

  it("reports a camera error as device_error (standby camera answers 6s 41)", async () => {
    udpCam.faults.errorReply = "not_executable";
    try {
      const res = await command({ device: "cam-aux", action: "home" });
      expect(res).toMatchObject({ status: "error", error: { code: "device_error" } });
    } finally {
      udpCam.faults.errorReply = null;
    }
  });

  it("marks the serial camera unreachable when its cable is pulled, and ok when it is back", async () => {
    const mark = ops.seen.length;
    await serialCam.unplug();
    const down = await health("cam-main", "unreachable", mark);
    expect(down.json.code).toBeDefined();
    // The other camera is untouched.
    expect(agent.health("cam-aux")?.status).toBe("ok");
    const res = await command({ device: "cam-main", action: "home" });
    expect(["error", "timeout"]).toContain(res.status);
    const mark2 = ops.seen.length;
    await serialCam.replug();
    const up = await health("cam-main", "ok", mark2, 15_000);
    expect(up.json.since).toBeGreaterThan(down.json.since);
    expect((await command({ device: "cam-main", action: "home" })).status).toBe("ok");
  }, 40_000);

  it("marks the IP camera unreachable when it goes silent, and ok when it answers again", async () => {
    const mark = ops.seen.length;
    udpCam.faults.silent = true;
    await health("cam-aux", "unreachable", mark);
    const timedOut = await command({ device: "cam-aux", action: "home" });
    expect(timedOut.status).toBe("timeout");
    const mark2 = ops.seen.length;
    udpCam.faults.silent = false;
    await health("cam-aux", "ok", mark2);
  }, 30_000);

  it("republishes retained state after a broker restart, for a monitoring script that connects afterwards", async () => {
    const port = broker.port;
    await ops.close();
    await broker.close();
    broker = await startBroker({ host: "127.0.0.1", port, logger });
    const late = await Watcher.connect(broker.url, `${T}/#`);
    try {
      const birth = await late.waitFor((m) => m.topic === `${T}/agent/state` && m.json.state === "online", 10_000, "birth");
      expect(birth.json.bootSeq).toBe(41);
      await late.waitFor((m) => m.topic === `${T}/agent/meta`);
      await late.waitFor((m) => m.topic === `${T}/dev/cam-main/health` && m.json.status === "ok");
      await late.waitFor((m) => m.topic === `${T}/dev/cam-aux/state`);
      // And it takes commands again.
      ops = late;
      expect((await command({ device: "cam-aux", action: "home" })).status).toBe("ok");
    } finally {
      ops = late;
    }
  }, 30_000);
});
