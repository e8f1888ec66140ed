/** The simulator's entry points: spec validation, startFromSite, controls and describe(). */
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import type { TransportConfig } from "../../config/site.js";
import type { SimHandle } from "../types.js";
import { OnvifSimSpecError, startFromSite, startOnvifSimulator, type OnvifSimHandle } from "./index.js";
import { post, soapRequest } from "./test-soap.js";

const handles: SimHandle[] = [];
afterEach(async () => {
  await Promise.all(handles.splice(0).map((h) => h.close()));
});

const http = (over: Partial<Extract<TransportConfig, { type: "http" }>> = {}): TransportConfig =>
  ({ type: "http", host: "127.0.0.1", port: 0, path: "/onvif/device_service", tls: false, ...over });

describe("startFromSite", () => {
  it("starts on the transport's host and port with simulator.options", async () => {
    const h = (await startFromSite(http(), { username: "op", password: "pw", serial: "S-1", discovery: { port: 0, multicast: false } })) as OnvifSimHandle;
    handles.push(h);
    expect(h.protocol).toBe("onvif");
    expect(h.url).toBe(`http://127.0.0.1:${h.port}/onvif/device_service`);
    expect(h.describe()).toBe(`onvif http://127.0.0.1:${h.port}/onvif/device_service discovery udp:${h.discoveryPort} unicast-only listening`);
    const info = await post(h.url, soapRequest("tds", "GetDeviceInformation", "", { username: "op", password: "pw" }));
    expect(info.body).toContain("<tds:SerialNumber>S-1</tds:SerialNumber>");
  });

  it.each([
    [http({ path: "/cam" }), {}, /transport.path must be \/onvif\/device_service/],
    [http({ tls: true }), {}, /tls is not supported/],
    [{ type: "udp", host: "127.0.0.1", port: 1 } as TransportConfig, {}, /needs an http transport, got udp/],
    [http(), { speed: -1 }, /simulator.options: .*speed/],
    [http(), { colour: "red" }, /simulator.options: .*colour/],
    [http(), { presets: [{ token: "1", name: "x", pan: 2, tilt: 0, zoom: 0 }] }, /presets/],
  ])("refuses a bad site entry %#", async (transport, options, message) => {
    await expect(startFromSite(transport, options)).rejects.toThrow(message);
  });

  it("a bad spec is a bad_config error naming the field", async () => {
    const err = await startOnvifSimulator({ createdWindowMs: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnvifSimSpecError);
    expect((err as OnvifSimSpecError).code).toBe("bad_config");
    expect((err as Error).message).toMatch(/createdWindowMs/);
  });
});

describe("controls", () => {
  it("answers its verbs, leaves others to the prompt, and refuses bad values", async () => {
    const h = await startOnvifSimulator({ discovery: { enabled: false } });
    handles.push(h);
    expect(h.controlHelp).toContain("ptzfault DEV CODE|off");
    expect(await h.control!("skew", ["-600000"])).toBe("clock skew -600000 ms");
    expect(h.faults.clockSkewMs).toBe(-600000);
    expect(await h.control!("html401", ["on"])).toBe("html401=true");
    expect(await h.control!("overtemp", ["on"])).toBeUndefined();
    expect(() => h.control!("skew", ["soon"])).toThrow('skew: expected a number of ms, got "soon"');
    expect(() => h.control!("auth", ["maybe"])).toThrow('auth: expected on or off, got "maybe"');
    expect(() => h.control!("ptzfault", [])).toThrow(/expected a fault code or off/);
    expect(JSON.parse(JSON.stringify(h.faults))).toEqual({
      silent: false, garbage: false, slowMs: 0, authFail: false, html401: true, ptzFault: null, clockSkewMs: -600000,
    });
    expect(() => (h.faults.slowMs = -1)).toThrow(RangeError);
  });

  it("the serial defaults to one per port, so two simulators never share a discovery endpoint", async () => {
    const a = await startOnvifSimulator({ discovery: { enabled: false } });
    const b = await startOnvifSimulator({ discovery: { enabled: false } });
    handles.push(a, b);
    const serial = async (h: OnvifSimHandle) =>
      /<tds:SerialNumber>([^<]*)</.exec((await post(h.url, soapRequest("tds", "GetDeviceInformation", "", { username: "admin", password: "admin" }))).body)![1];
    expect(await serial(a)).toBe(`SIM${a.port}`);
    expect(await serial(b)).toBe(`SIM${b.port}`);
  });

  it("a discovery port held by another program leaves the camera up without discovery, and says so", async () => {
    const holder = dgram.createSocket("udp4");
    await new Promise<void>((r) => holder.bind(0, "127.0.0.1", () => r()));
    try {
      const h = await startOnvifSimulator({ discovery: { port: holder.address().port, multicast: false } });
      handles.push(h);
      expect(h.discoveryPort).toBe(0);
      expect(h.describe()).toBe(`onvif http://127.0.0.1:${h.port}/onvif/device_service discovery unavailable listening`);
      expect(h.errors.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(["EADDRINUSE"]);
      expect((await post(h.url, soapRequest("tds", "GetSystemDateAndTime"))).status).toBe(200);
    } finally {
      holder.close();
    }
  });
});
