/**
 * ONVIF through the agent (issue 3): the same `preset.recall` and `home` commands move an ONVIF
 * camera (HTTP SOAP simulator with WS-Security) and a VISCA camera; the ONVIF camera's retained
 * state follows; the agent's `discover` action and `roomgate discover` find the simulator.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker, type RunningBroker } from "../broker/server.js";
import { Agent } from "../agent/agent.js";
import { siteConfigSchema } from "../config/site.js";
import { startOnvifSimulator, type OnvifSimHandle } from "../simulators/onvif/index.js";
import { startViscaSimulator, type UdpCameraHandle } from "../simulators/visca/index.js";
import { memoryLogger } from "./helpers/logger.js";
import { Watcher } from "./helpers/mqtt.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const SITE = "district-09";
const T = `roomgate/v1/${SITE}`;
let dir: string;
let broker: RunningBroker;
let onvif: OnvifSimHandle;
let visca: UdpCameraHandle;
let agent: Agent;
let ops: Watcher;
const logger = memoryLogger();

async function command(device: string | undefined, action: string, args: Record<string, unknown>, id: string): Promise<any> {
  return ops.command(T, "op-lan", { id, ...(device === undefined ? {} : { device }), action, args }, 12_000);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-onvif-"));
  writeFileSync(path.join(dir, "cam.password"), "Mật-khẩu 7\n");
  broker = await startBroker({ host: "127.0.0.1", port: 0, logger });
  // The camera's clock is 7 minutes ahead: beyond its own 5-minute window unless the agent shifts Created.
  onvif = await startOnvifSimulator({ port: 0, username: "operator", password: "Mật-khẩu 7", clockSkewMs: 7 * 60_000, discovery: { port: 0, multicast: false }, speed: 2 });
  visca = await startViscaSimulator({ link: "udp", host: "127.0.0.1", port: 0, recallMs: 200, bootMs: 0 });
  const config = siteConfigSchema.parse({
    site: SITE,
    broker: { url: broker.url },
    agent: { pollIntervalMs: 300 },
    devices: {
      "cam-onvif": {
        kind: "camera", protocol: "onvif",
        transport: { type: "http", host: "127.0.0.1", port: onvif.port },
        options: { username: "operator", passwordFile: path.join(dir, "cam.password"), timeoutMs: 1500 },
      },
      "cam-visca": {
        kind: "camera", protocol: "visca",
        transport: { type: "udp", host: "127.0.0.1", port: visca.port },
        options: { ackTimeoutMs: 400, inquiryTimeoutMs: 400 },
      },
    },
  });
  ops = await Watcher.connect(broker.url, `${T}/#`);
  agent = new Agent({ config, logger, version: "0.0.0-test", bootSeq: 2, mqttBackoff: { initialMs: 50, maxMs: 300 } });
  await agent.start();
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await ops?.close();
  await onvif?.close();
  await visca?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("an ONVIF camera beside a VISCA camera, seen from MQTT", () => {
  it("both answer the same preset.recall and home commands, and the ONVIF camera's retained state follows", async () => {
    const ok = await ops.waitFor((m) => m.topic === `${T}/dev/cam-onvif/health` && m.json.status === "ok", 12_000, "cam-onvif ok");
    expect(ok.json.message).toMatch(/\+4[12]\d\.\d s/); // the 7-minute skew, reported
    await ops.waitFor((m) => m.topic === `${T}/dev/cam-visca/health` && m.json.status === "ok", 12_000, "cam-visca ok");
    for (const device of ["cam-onvif", "cam-visca"]) {
      expect(await command(device, "preset.set", { preset: 2 }, `${device}-set`)).toMatchObject({ status: "ok" });
      expect(await command(device, "preset.recall", { preset: 2 }, `${device}-recall`)).toMatchObject({ status: "ok" });
      expect(await command(device, "home", {}, `${device}-home`)).toMatchObject({ status: "ok" });
    }
    const r = await command("cam-onvif", "preset.recall", { preset: 3 }, "onvif-3");
    expect(r).toMatchObject({ status: "ok", data: { arrived: true } });
    expect(onvif.camera.position()).toMatchObject({ pan: -0.6, tilt: 0.1 });
    const st = await ops.waitFor(
      (m) => m.topic === `${T}/dev/cam-onvif/state` && m.json.state.pan === -0.6 && m.json.state.moveStatus === "idle",
      12_000,
      "cam-onvif state at preset 3",
    );
    expect(st.json.state.streamUri).toMatch(/^rtsp:\/\//);
    expect(JSON.stringify(st.json)).not.toContain("Mật-khẩu");
    const bad = await command("cam-onvif", "preset.recall", { preset: "no-such-preset" }, "onvif-bad");
    expect(bad.status).toBe("error");
    expect(["invalid_args", "device_error"]).toContain(bad.error.code);
  });

  it("the agent-level discover action finds the simulator and hands back a device entry", async () => {
    const r = await command(undefined, "discover", { multicast: false, unicast: [`127.0.0.1:${onvif.discoveryPort}`], windowMs: 500 }, "disc-1");
    expect(r.status).toBe("ok");
    expect(r.data.cameras).toHaveLength(1);
    expect(r.data.cameras[0]).toMatchObject({ host: "127.0.0.1", port: onvif.port, ptz: true });
    expect(r.data.cameras[0].entry).toContain("protocol: onvif");
  });

  it("`roomgate discover` prints the camera and a ready-to-paste entry", async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [path.join(root, "dist/cli/main.js"), "discover", "--no-multicast", "--unicast", `127.0.0.1:${onvif.discoveryPort}`, "--window", "500"],
        { cwd: root, timeout: 15_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))),
    );
    expect(out).toContain("1 camera(s) found");
    expect(out).toContain(`127.0.0.1:${onvif.port}`);
    expect(out).toMatch(/type: http\n\s+host: 127\.0\.0\.1\n\s+port: \d+\n\s+path: \/onvif\/device_service/);
  });
});
