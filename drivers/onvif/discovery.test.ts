/**
 * WS-Discovery over loopback: unicast probes to the simulator's ephemeral discovery port, and to a
 * hand-made responder that sends garbage, duplicates and replies to someone else's probe.
 * The collection window runs on a fake clock; real UDP I/O is awaited through `onCamera`.
 */
import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { startOnvifSimulator } from "../../simulators/onvif/index.js";
import { discover, formatDeviceEntry, type DiscoveredCamera, type DiscoverOptions } from "./discovery.js";
import { parseXml, textAt } from "./xml.js";

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Runs discover, waits for `expected` cameras (bounded, on real I/O), then ends the window on the fake clock. */
async function discoverUntil(expected: number, opts: DiscoverOptions) {
  const clock = fakeClock(Date.now());
  let seen = 0;
  let notify: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => {
    notify = () => {
      if (++seen >= expected) resolve();
    };
  });
  const result = discover({ windowMs: 3000, ...opts, clock, onCamera: () => notify() });
  await Promise.race([enough, new Promise((_, reject) => setTimeout(() => reject(new Error(`only ${seen} camera(s) seen`)), 5000))]);
  await clock.tickAsync(3000);
  return result;
}

describe("discover", () => {
  it("finds the simulator over loopback, enriched with device information and PTZ, and prints its entry", async () => {
    const sim = await startOnvifSimulator({ manufacturer: "ACME", model: "PTZ 9", firmware: "2.10", serial: "0042", name: "Hall Cam", discovery: { port: 0, multicast: false, address: "127.0.0.1" } });
    cleanups.push(() => sim.close());
    const r = await discoverUntil(1, { multicast: false, unicast: [`127.0.0.1:${sim.discoveryPort}`], username: "admin", password: "admin" });
    expect(r.errors).toEqual([]);
    expect(r.malformed).toBe(0);
    expect(r.cameras).toHaveLength(1);
    const c = r.cameras[0]!;
    expect(c).toMatchObject({
      host: "127.0.0.1", port: sim.port, path: "/onvif/device_service", tls: false, url: sim.url,
      name: "Hall Cam", ptz: true, manufacturer: "ACME", model: "PTZ 9", firmware: "2.10", serial: "0042",
      from: `127.0.0.1:${sim.discoveryPort}`,
    });
    expect(c.endpoint).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(c.types).toContain("dn:NetworkVideoTransmitter");
    expect(formatDeviceEntry(c)).toContain(`cam-ptz-9:\n  kind: camera\n  protocol: onvif\n  name: Hall Cam\n  transport:\n    type: http\n    host: 127.0.0.1\n    port: ${sim.port}\n`);
    expect(sim.stats.probeMatches).toBe(1);
  });

  it("a wrong password leaves the camera listed, with the refusal in errors", async () => {
    const sim = await startOnvifSimulator({ discovery: { port: 0, multicast: false, address: "127.0.0.1" } });
    cleanups.push(() => sim.close());
    const r = await discoverUntil(1, { multicast: false, unicast: [`127.0.0.1:${sim.discoveryPort}`], username: "admin", password: "nope" });
    expect(r.cameras).toHaveLength(1);
    expect(r.cameras[0]!.manufacturer).toBeNull();
    expect(r.errors).toEqual([{ source: sim.url, code: "auth_failed", message: expect.stringMatching(/^camera refused the credentials for GetDeviceInformation/) }]);
  });

  it("skips and counts malformed replies, dedupes by endpoint, ignores replies to other probes", async () => {
    const responder = dgram.createSocket("udp4");
    cleanups.push(() => new Promise<void>((resolve) => responder.close(() => resolve())));
    responder.on("message", (msg, rinfo) => {
      const id = textAt(parseXml(msg.toString()), "Header", "MessageID")!;
      const send = (b: string) => responder.send(Buffer.from(b), rinfo.port, rinfo.address);
      send("<not-xml");
      send(matches("urn:uuid:someone-else", "urn:uuid:cam-a", "http://127.0.0.1:8001/onvif/device_service"));
      send(matches(id, "urn:uuid:cam-a", "http://127.0.0.1:8001/onvif/device_service"));
      send(matches(id, "urn:uuid:cam-a", "http://127.0.0.1:8001/onvif/device_service http://10.9.9.9/onvif/device_service"));
      send(matches(id, "urn:uuid:cam-b", "http://10.1.1.1/onvif/device_service"));
    });
    await new Promise<void>((resolve) => responder.bind(0, "127.0.0.1", resolve));
    const port = (responder.address() as AddressInfo).port;
    const r = await discoverUntil(2, { multicast: false, unicast: [`127.0.0.1:${port}`] });
    expect(r.malformed).toBe(1);
    expect(r.ignored).toBe(1);
    expect(r.cameras.map((c: DiscoveredCamera) => [c.endpoint, c.host, c.port, c.ptz])).toEqual([
      ["urn:uuid:cam-a", "127.0.0.1", 8001, true],
      ["urn:uuid:cam-b", "10.1.1.1", 80, true],
    ]);
    expect(r.cameras[0]!.xaddrs).toEqual(["http://127.0.0.1:8001/onvif/device_service", "http://10.9.9.9/onvif/device_service"]);
  });

  it("an interface that does not exist is an error in the result; the window still ends", async () => {
    const clock = fakeClock(Date.now());
    const p = discover({ interface: "nope0", windowMs: 500, clock, networkInterfaces: () => ({ lo: [] }) });
    await clock.tickAsync(500);
    const r = await p;
    expect(r).toEqual({ cameras: [], malformed: 0, ignored: 0, errors: [{ source: "nope0", code: "no_interface", message: 'no IPv4 interface named or addressed "nope0"' }] });
  });
});

function matches(relatesTo: string, endpoint: string, xaddrs: string): string {
  return (
    '<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" ' +
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"><e:Header><a:RelatesTo>' + relatesTo + "</a:RelatesTo></e:Header>" +
    "<e:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>" + endpoint + "</a:Address></a:EndpointReference>" +
    "<d:Types>dn:NetworkVideoTransmitter</d:Types><d:Scopes>onvif://www.onvif.org/type/ptz</d:Scopes>" +
    "<d:XAddrs>" + xaddrs + "</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></e:Body></e:Envelope>"
  );
}
