/** WS-Discovery over loopback UDP (ephemeral port, unicast), plus the matching rules. */
import dgram from "node:dgram";
import { afterEach, describe, expect, it, vi } from "vitest";
import { startOnvifSimulator, type OnvifSimHandle, type OnvifSimSpec } from "./index.js";
import { matchesScopes, matchesTypes, readProbe, WSD_GROUP } from "./discovery.js";
import { NS } from "./soap.js";
import { child, parseXml } from "./xml.js";

const sims: OnvifSimHandle[] = [];
const sockets: dgram.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function sim(spec: OnvifSimSpec = {}): Promise<OnvifSimHandle> {
  const s = await startOnvifSimulator({ serial: "SN-7", name: "Room 101 cam", location: "building-a/room-101", discovery: { port: 0, multicast: false }, ...spec });
  sims.push(s);
  return s;
}

function probe(id: string, types = "dn:NetworkVideoTransmitter", scopes = ""): string {
  return `<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="${NS.env}" xmlns:a="${NS.wsa}" xmlns:dn="${NS.dn}" xmlns:tds="${NS.tds}">` +
    `<s:Header><a:MessageID>${id}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>` +
    `<a:Action>${NS.wsd}/Probe</a:Action></s:Header><s:Body><d:Probe xmlns:d="${NS.wsd}"><d:Types>${types}</d:Types>` +
    `<d:Scopes>${scopes}</d:Scopes></d:Probe></s:Body></s:Envelope>`;
}

/** A client socket that collects replies; `next()` waits (bounded) for one. */
async function prober(): Promise<{ send(msg: string, port: number, host?: string): void; next(): Promise<string> }> {
  const sock = dgram.createSocket("udp4");
  sockets.push(sock);
  const queue: string[] = [];
  const waiters: Array<(m: string) => void> = [];
  sock.on("message", (m) => {
    const w = waiters.shift();
    if (w) w(m.toString("utf8"));
    else queue.push(m.toString("utf8"));
  });
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  return {
    send: (msg, port, host = "127.0.0.1") => sock.send(msg, port, host),
    next: () => {
      const q = queue.shift();
      if (q !== undefined) return Promise.resolve(q);
      return new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("no discovery reply within 3 s")), 3000);
        waiters.push((m) => {
          clearTimeout(t);
          resolve(m);
        });
      });
    },
  };
}

describe("WS-Discovery responder over loopback", () => {
  it("answers a unicast Probe with a ProbeMatch to the sender: RelatesTo, types, scopes, XAddrs, MetadataVersion", async () => {
    const s = await sim();
    const p = await prober();
    p.send(probe("urn:uuid:11111111-2222-3333-4444-555555555555"), s.discoveryPort);
    const xml = await p.next();
    const root = parseXml(xml);
    const header = child(root, "Header", NS.env)!;
    expect(child(header, "RelatesTo", NS.wsa)!.text).toBe("urn:uuid:11111111-2222-3333-4444-555555555555");
    expect(child(header, "Action", NS.wsa)!.text).toBe(`${NS.wsd}/ProbeMatches`);
    const match = child(child(child(root, "Body", NS.env), "ProbeMatches", NS.wsd), "ProbeMatch", NS.wsd)!;
    expect(child(child(match, "EndpointReference", NS.wsa), "Address", NS.wsa)!.text).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(child(match, "Types")!.text).toBe("dn:NetworkVideoTransmitter tds:Device");
    expect(child(match, "Scopes")!.text.split(" ")).toEqual([
      "onvif://www.onvif.org/type/video_encoder",
      "onvif://www.onvif.org/type/ptz",
      "onvif://www.onvif.org/Profile/Streaming",
      "onvif://www.onvif.org/hardware/SIM-PTZ-1",
      "onvif://www.onvif.org/name/Room%20101%20cam",
      "onvif://www.onvif.org/location/building-a%2Froom-101",
    ]);
    expect(child(match, "XAddrs")!.text).toBe(`http://127.0.0.1:${s.port}/onvif/device_service`);
    expect(child(match, "MetadataVersion")!.text).toBe("1");
    expect(s.stats).toMatchObject({ discoveryMessages: 1, probeMatches: 1, malformedProbes: 0 });
  });

  it("the endpoint address is stable for a serial number across restarts", async () => {
    const address = async () => {
      const s = await sim({ serial: "FIXED" });
      const p = await prober();
      p.send(probe("urn:uuid:a"), s.discoveryPort);
      const a = /<wsa:Address>([^<]*)</.exec(await p.next())![1];
      await s.close();
      return a;
    };
    expect(await address()).toBe(await address());
  });

  it("ignores and counts malformed probes, stays silent for other types, and answers the next good probe", async () => {
    const s = await sim();
    const p = await prober();
    p.send("<not xml", s.discoveryPort);
    p.send(probe(""), s.discoveryPort); // no MessageID
    p.send(probe("urn:uuid:printer", "dn:NetworkVideoDisplay"), s.discoveryPort);
    p.send(probe("urn:uuid:scoped-out", "", "onvif://www.onvif.org/location/building-b"), s.discoveryPort);
    p.send(probe("urn:uuid:good", "tds:Device", "onvif://www.onvif.org/location/building-a%2Froom-101 onvif://www.onvif.org/type"), s.discoveryPort);
    // Datagrams on loopback arrive in order: the first reply must be to the last probe.
    expect(await p.next()).toContain("<wsa:RelatesTo>urn:uuid:good</wsa:RelatesTo>");
    expect(s.stats).toMatchObject({ discoveryMessages: 5, probeMatches: 1, malformedProbes: 2 });
    expect(s.errors).toEqual([]);
  });

  it("follows the common faults: silent answers nothing, garbage sends broken XML, ptz false drops type/ptz", async () => {
    const s = await sim({ ptz: false });
    const p = await prober();
    s.faults.silent = true;
    p.send(probe("urn:uuid:one"), s.discoveryPort);
    await vi.waitFor(() => expect(s.stats.discoveryMessages).toBe(1), { timeout: 2000, interval: 5 });
    s.faults.silent = false;
    s.faults.garbage = true;
    p.send(probe("urn:uuid:two"), s.discoveryPort);
    const junk = await p.next();
    expect(junk).toContain("\u0000<<garbage");
    expect(() => parseXml(junk)).toThrow();
    s.faults.garbage = false;
    p.send(probe("urn:uuid:three"), s.discoveryPort);
    const ok = await p.next();
    expect(ok).toContain("<wsa:RelatesTo>urn:uuid:three</wsa:RelatesTo>");
    expect(ok).not.toContain("type/ptz");
  });

  it("unplug closes the discovery socket too; replug reopens it on the same port", async () => {
    const s = await sim();
    const port = s.discoveryPort;
    await s.unplug();
    await s.replug();
    expect(s.discoveryPort).toBe(port);
    const p = await prober();
    p.send(probe("urn:uuid:back"), port);
    expect(await p.next()).toContain("urn:uuid:back");
  });

  it("with multicast on, answers a probe sent to 239.255.255.250 (skipped when the host has no multicast route)", async (ctx) => {
    const s = await sim({ discovery: { port: 0, multicast: true } });
    if (!s.describe().includes(" multicast")) ctx.skip();
    const sock = dgram.createSocket("udp4");
    sockets.push(sock);
    const reply = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error("no reply to the multicast probe within 3 s")), 3000);
      sock.on("message", (m) => {
        clearTimeout(t);
        resolve(m.toString("utf8"));
      });
    });
    await new Promise<void>((r) => sock.bind(0, () => r()));
    sock.send(probe("urn:uuid:mc"), s.discoveryPort, WSD_GROUP);
    expect(await reply).toContain("<wsa:RelatesTo>urn:uuid:mc</wsa:RelatesTo>");
  });
});

describe("probe matching", () => {
  const probeEl = (types: string, scopes: string, matchBy?: string) =>
    readProbe(probe("urn:uuid:x", types, scopes).replace("<d:Scopes>", matchBy ? `<d:Scopes MatchBy="${matchBy}">` : "<d:Scopes>"))!.probe;
  const device = ["onvif://www.onvif.org/location/building/floor1", "onvif://www.onvif.org/name/Cam"];

  it("types: empty matches; dn:NetworkVideoTransmitter and tds:Device match; other types do not", () => {
    expect(matchesTypes(probeEl("", ""))).toBe(true);
    expect(matchesTypes(probeEl("dn:NetworkVideoTransmitter tds:Device", ""))).toBe(true);
    expect(matchesTypes(probeEl("dn:NetworkVideoDisplay", ""))).toBe(false);
    expect(matchesTypes(probeEl("tds:NetworkVideoTransmitter", ""))).toBe(false); // right name, wrong namespace
  });

  it("scopes: rfc3986 segment prefixes match, partial segments do not (Core spec example), strcmp0 is exact", () => {
    expect(matchesScopes(probeEl("", "onvif://www.onvif.org"), device)).toBe(true);
    expect(matchesScopes(probeEl("", "onvif://www.onvif.org/location/building"), device)).toBe(true);
    expect(matchesScopes(probeEl("", "onvif://WWW.ONVIF.ORG/name/Cam"), device)).toBe(true);
    expect(matchesScopes(probeEl("", "onvif://www.onvif.org/location/build"), device)).toBe(false);
    expect(matchesScopes(probeEl("", "onvif://www.onvif.org/name/Cam onvif://www.onvif.org/name/Other"), device)).toBe(false);
    expect(matchesScopes(probeEl("", "onvif://www.onvif.org/name/Cam", `${NS.wsd}/strcmp0`), device)).toBe(true);
    expect(matchesScopes(probeEl("", "onvif://www.onvif.org/name", `${NS.wsd}/strcmp0`), device)).toBe(false);
    expect(matchesScopes(probeEl("", "onvif://www.onvif.org/name", "urn:unknown-rule"), device)).toBe(false);
  });

  it("a message that is not a Probe is not a probe, and a Probe action without a body is malformed", () => {
    expect(readProbe(`<s:Envelope xmlns:s="${NS.env}"><s:Body><x/></s:Body></s:Envelope>`)).toBeUndefined();
    expect(() => readProbe(`<s:Envelope xmlns:s="${NS.env}" xmlns:a="${NS.wsa}"><s:Header><a:Action>${NS.wsd}/Probe</a:Action></s:Header><s:Body/></s:Envelope>`))
      .toThrow("Probe action without a Probe body");
  });
});
