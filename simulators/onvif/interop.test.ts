/**
 * An independent ONVIF client against the simulator: the `onvif` npm package (agsh) connects
 * (GetSystemDateAndTime, GetServices, GetProfiles, GetVideoSources), reads device information,
 * lists and recalls presets and drives PTZ, and its WS-Discovery probe finds the simulator.
 */
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import onvif, { type Cam as CallbackCam } from "onvif";
import { Cam } from "onvif/promises/index.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { startOnvifSimulator, type OnvifSimHandle, type OnvifSimSpec } from "./index.js";

const sims: OnvifSimHandle[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function sim(spec: OnvifSimSpec = {}): Promise<OnvifSimHandle> {
  const s = await startOnvifSimulator({ discovery: { port: 0, multicast: false }, ...spec });
  sims.push(s);
  return s;
}

function client(s: OnvifSimHandle, password = "admin"): Cam {
  return new Cam({ hostname: "127.0.0.1", port: s.port, username: "admin", password, timeout: 5000 });
}

/** The promise wrapper is a Proxy that passes property reads through to the callback Cam. */
function state(cam: Cam): CallbackCam {
  return cam as unknown as CallbackCam;
}

describe("the onvif npm package against the simulator", () => {
  it("connects, reads device information and media, and recalls a preset the camera then reaches", async () => {
    const clock = fakeClock();
    // The camera's clock is 10 minutes ahead of the fake clock, and that is 2023: the package must
    // learn the offset from GetSystemDateAndTime to make Created acceptable.
    const s = await sim({ clock, clockSkewMs: 600_000, serial: "SN-42", model: "PTZ-9" });
    const cam = client(s);
    await cam.connect();

    const info = await cam.getDeviceInformation();
    expect(info).toEqual({ manufacturer: "Roomgate", model: "PTZ-9", firmwareVersion: "1.0.0", serialNumber: "SN-42", hardwareId: "SIM-PTZ-1" });
    expect(state(cam).profiles?.map((p) => p.$.token)).toEqual(["profile_1", "profile_2"]);
    expect(state(cam).activeSource?.profileToken).toBe("profile_1");
    expect(state(cam).activeSource?.ptz).toEqual({ name: "PTZConfig", token: "ptz_config_1" });
    const stream = await cam.getStreamUri();
    expect(stream.uri).toBe("rtsp://127.0.0.1:554/profile_1");

    const presets = await cam.getPresets();
    expect(Object.keys(presets)).toEqual(["Wide", "Lectern", "Audience"]);
    await cam.gotoPreset({ preset: "2" });
    expect(s.camera.moving()).toBe(true);
    await clock.tickAsync(1000); // 0.5 u/s: half way to pan 0.5, tilt done at 0.4 s, zoom at 0.8 s
    expect(s.camera.position()).toEqual({ pan: 0.5, tilt: -0.2, zoom: 0.4 });
    const status = await cam.getStatus();
    expect(status.position).toEqual({ x: 0.5, y: -0.2, zoom: 0.4 });
    expect(status.moveStatus).toEqual({ panTilt: "IDLE", zoom: "IDLE" });
    expect(s.stats.authFailures).toBe(0);
    expect(s.stats.replays).toBe(0);
  });

  it("stores, renames and removes presets and drives continuous moves", async () => {
    const clock = fakeClock();
    const s = await sim({ clock });
    const cam = client(s);
    await cam.connect();
    await cam.absoluteMove({ x: -0.5, y: 0.25, zoom: 0.5 });
    await clock.tickAsync(2000);
    const reply = await cam.setPreset({ presetName: "Door" });
    expect(reply[0].setPresetResponse[0].presetToken[0]).toBe("4");
    expect(s.camera.presets().at(-1)).toEqual({ token: "4", name: "Door" });
    await cam.setPreset({ presetName: "Front door", presetToken: "4" });
    expect(s.camera.presets().at(-1)).toEqual({ token: "4", name: "Front door" });
    await cam.removePreset({ presetToken: "4" });
    expect(s.camera.presets().map((p) => p.token)).toEqual(["1", "2", "3"]);

    await cam.continuousMove({ x: 1, y: 0, zoom: 0, timeout: 1000 });
    await clock.tickAsync(400);
    expect(s.camera.position().pan).toBeCloseTo(-0.3, 6);
    await clock.tickAsync(1000); // the 1 s timeout stops it at -0.5 + 0.5
    expect(s.camera.position().pan).toBeCloseTo(0, 6);
    expect(s.camera.moving()).toBe(false);

    await expect(cam.gotoPreset({ preset: "99" })).rejects.toThrow(/ONVIF SOAP Fault: The requested preset token 99 does not exist/);
  });

  it("with a wrong password, connect() still resolves (GetServices is PRE_AUTH) but the first authenticated call fails", async () => {
    const s = await sim();
    const cam = client(s, "wrong");
    const warnings: string[] = [];
    state(cam).on("warning", (w: string) => warnings.push(w));
    await cam.connect();
    expect(warnings).toEqual(["ONVIF SOAP Fault: Sender not Authorized: digest does not match"]);
    await expect(cam.getDeviceInformation()).rejects.toThrow("ONVIF SOAP Fault: Sender not Authorized: digest does not match");
    expect(s.stats.authFailures).toBeGreaterThanOrEqual(3);
  });

  it("html401: the package sees HTTP 401 with no Digest challenge and reports it as such", async () => {
    const s = await sim({ html401: true, preAuth: "datetime-only" });
    await expect(client(s, "wrong").connect()).rejects.toThrow("Digest authentication headers not found 401");
  });

  it("with preAuth datetime-only, a wrong password makes connect() itself fail", async () => {
    const s = await sim({ preAuth: "datetime-only" });
    await expect(client(s, "wrong").connect()).rejects.toThrow("ONVIF SOAP Fault: Sender not Authorized: digest does not match");
  });

  it("Discovery.probe() on UDP 3702 finds the simulator (skipped when 3702 is held exclusively or multicast is unavailable)", async (ctx) => {
    // A running `roomgate demo` shares 3702 (its ONVIF simulator binds it reusable, as camera stacks
    // do): both then answer the probe, and the one under test is told apart by its port.
    if (!(await portShareable(3702))) ctx.skip(); // something holds 3702 exclusively on this host
    const s = await startOnvifSimulator({ serial: "DISC-1", discovery: { port: 3702, multicast: true } });
    sims.push(s);
    if (!s.describe().includes("multicast")) ctx.skip(); // no multicast route: covered by discovery.test.ts over unicast
    const found = new Promise<{ cam: CallbackCam; xml: string }>((resolve, reject) => {
      const onDevice = (cam: CallbackCam, _rinfo: unknown, xml: string) => {
        if (String(cam.port) === String(s.port)) resolve({ cam, xml });
      };
      // The package emits "error" for any reply it cannot parse (another device on the LAN): an
      // EventEmitter without an "error" listener would throw.
      const onError = () => undefined;
      onvif.Discovery.on("device", onDevice);
      onvif.Discovery.on("error", onError);
      onvif.Discovery.probe({ timeout: 3000 }, (err: unknown) => {
        onvif.Discovery.removeListener("device", onDevice);
        onvif.Discovery.removeListener("error", onError);
        reject(new Error(`no ProbeMatch from the simulator within 3 s (${String(err)})`));
      });
    });
    const { cam, xml } = await found;
    expect(cam.hostname).toBe("127.0.0.1");
    expect(cam.path).toBe("/onvif/device_service");
    expect(xml).toMatch(/<wsa:Address>urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}<\/wsa:Address>/);
    // The package found it by multicast; it can now talk to it.
    const info = await new Promise((resolve, reject) => {
      cam.username = "admin";
      cam.password = "admin";
      cam.connect((err) => (err ? reject(err) : cam.getDeviceInformation((e, d) => (e ? reject(e) : resolve(d)))));
    });
    expect(info).toMatchObject({ serialNumber: "DISC-1" });
  });
});

function portShareable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: "udp4", reuseAddr: true });
    s.once("error", () => resolve(false));
    s.bind(port, "0.0.0.0", () => s.close(() => resolve(true)));
  });
}
