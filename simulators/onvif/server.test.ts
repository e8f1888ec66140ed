/**
 * The simulator's HTTP SOAP endpoint over real TCP on 127.0.0.1, with an injected fake clock for
 * the camera's time and the slow fault.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { startOnvifSimulator, type OnvifSimHandle, type OnvifSimSpec } from "./index.js";
import { faultCodes, post, soapRequest, type Credentials } from "./test-soap.js";
import { parseXml } from "./xml.js";

const T0 = 1_700_000_000_000; // 2023-11-14T22:13:20Z, the fake clock's start
const sims: OnvifSimHandle[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
});

async function sim(spec: OnvifSimSpec = {}): Promise<{ s: OnvifSimHandle; clock: FakeClock; creds: (createdMs?: number) => Credentials }> {
  const clock = fakeClock(T0);
  const s = await startOnvifSimulator({ clock, discovery: { enabled: false }, ...spec });
  sims.push(s);
  const creds = (createdMs = clock.now() + s.faults.clockSkewMs) => ({ username: "admin", password: "admin", created: new Date(createdMs).toISOString() });
  return { s, clock, creds };
}

const SOAP = "application/soap+xml; charset=utf-8";

describe("device service and authentication", () => {
  it("GetSystemDateAndTime answers without credentials, in UTC from the skewed camera clock", async () => {
    const { s } = await sim({ clockSkewMs: -600_000 });
    const r = await post(s.url, soapRequest("tds", "GetSystemDateAndTime"));
    expect(r.status).toBe(200);
    expect(r.type).toBe(SOAP);
    expect(r.body).toContain(
      "<tt:UTCDateTime><tt:Time><tt:Hour>22</tt:Hour><tt:Minute>3</tt:Minute><tt:Second>20</tt:Second></tt:Time>" +
        "<tt:Date><tt:Year>2023</tt:Year><tt:Month>11</tt:Month><tt:Day>14</tt:Day></tt:Date></tt:UTCDateTime>",
    );
  });

  it("without a WS-Security header: HTTP 400 + env:Sender ter:NotAuthorized (UsernameToken-only camera)", async () => {
    const { s } = await sim();
    const r = await post(s.url, soapRequest("tds", "GetDeviceInformation"));
    expect(r.status).toBe(400);
    expect(r.type).toBe(SOAP);
    expect(r.body).toContain(
      "<env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>ter:NotAuthorized</env:Value></env:Subcode></env:Code>" +
        '<env:Reason><env:Text xml:lang="en">Sender not Authorized: no WS-Security header</env:Text></env:Reason></env:Fault>',
    );
    expect(s.stats).toMatchObject({ requests: 1, authFailures: 1, replays: 0 });
  });

  it("accepts a digest dated by the camera's clock even 10 minutes off the real one, and rejects its replay", async () => {
    const { s, creds } = await sim({ clockSkewMs: 600_000, serial: "SN1" });
    const body = soapRequest("tds", "GetDeviceInformation", "", creds());
    const ok = await post(s.url, body);
    expect(ok.status).toBe(200);
    expect(ok.body).toContain("<tds:Manufacturer>Roomgate</tds:Manufacturer><tds:Model>SimCam PTZ-1</tds:Model>" +
      "<tds:FirmwareVersion>1.0.0</tds:FirmwareVersion><tds:SerialNumber>SN1</tds:SerialNumber><tds:HardwareId>SIM-PTZ-1</tds:HardwareId>");
    const again = await post(s.url, body);
    expect(again.status).toBe(400);
    expect(again.body).toContain("Sender not Authorized: nonce already used");
    expect(s.stats).toMatchObject({ requests: 2, authFailures: 1, replays: 1 });
  });

  it.each([[-600_000], [600_000]])("rejects Created %i ms from the camera's time (window 5 min)", async (off) => {
    const { s, clock, creds } = await sim();
    const r = await post(s.url, soapRequest("tds", "GetScopes", "", creds(clock.now() + off)));
    expect(r.status).toBe(400);
    expect(faultCodes(r.body)).toBe("env:Sender ter:NotAuthorized");
    expect(r.body).toContain(`Created is ${off / 1000} s off the camera clock (window 300 s)`);
  });

  it("a wider createdWindowMs accepts what the default refuses", async () => {
    const { s, clock, creds } = await sim({ createdWindowMs: 900_000 });
    expect((await post(s.url, soapRequest("tds", "GetScopes", "", creds(clock.now() + 600_000)))).status).toBe(200);
  });

  it("html401: auth failures come back as an HTML 401 page; GetSystemDateAndTime still answers", async () => {
    const { s } = await sim({ html401: true });
    const r = await post(s.url, soapRequest("trt", "GetProfiles", "", { username: "admin", password: "bad" }));
    expect(r.status).toBe(401);
    expect(r.type).toBe("text/html; charset=utf-8");
    expect(r.headers["www-authenticate"]).toBe('Basic realm="onvif-sim"');
    expect(r.body).toContain("<h2>Access Error: 401 -- Unauthorized</h2>");
    expect((await post(s.url, soapRequest("tds", "GetSystemDateAndTime"))).status).toBe(200);
    await s.control!("html401", ["off"]);
    expect((await post(s.url, soapRequest("trt", "GetProfiles"))).status).toBe(400);
  });

  it("`auth on` refuses even good credentials; PRE_AUTH operations keep answering", async () => {
    const { s, creds } = await sim();
    expect(await s.control!("auth", ["on"])).toBe("auth failures forced: every credential is refused");
    const r = await post(s.url, soapRequest("tds", "GetDeviceInformation", "", creds()));
    expect(faultCodes(r.body)).toBe("env:Sender ter:NotAuthorized");
    expect((await post(s.url, soapRequest("tds", "GetServices", "<IncludeCapability>false</IncludeCapability>"))).status).toBe(200);
    await s.control!("auth", ["off"]);
    expect((await post(s.url, soapRequest("tds", "GetDeviceInformation", "", creds()))).status).toBe(200);
  });

  it("GetServices and GetCapabilities give XAddrs on the address the client used; no PTZ when ptz is false", async () => {
    const { s } = await sim({ ptz: false });
    const svc = await post(s.url, soapRequest("tds", "GetServices", "<IncludeCapability>true</IncludeCapability>"));
    const xaddrs = [...svc.body.matchAll(/<tds:XAddr>([^<]*)</g)].map((m) => m[1]);
    expect(xaddrs).toEqual([`http://127.0.0.1:${s.port}/onvif/device_service`, `http://127.0.0.1:${s.port}/onvif/media_service`]);
    // libonvif sends Host without the port: the XAddrs must still carry the port it reached.
    const noPort = await post(s.url, soapRequest("tds", "GetServices", "<IncludeCapability>false</IncludeCapability>"), { host: "camera.local" });
    expect(noPort.body).toContain(`<tds:XAddr>http://camera.local:${s.port}/onvif/media_service</tds:XAddr>`);
    const caps = await post(s.url, soapRequest("tds", "GetCapabilities", "<Category>All</Category>"));
    expect(caps.body).not.toContain("<tt:PTZ>");
    const ptzOnly = await post(s.url, soapRequest("tds", "GetCapabilities", "<Category>PTZ</Category>"));
    expect(faultCodes(ptzOnly.body)).toBe("env:Receiver ter:ActionNotSupported ter:NoSuchService");
  });
});

describe("faults a client must handle", () => {
  it("malformed XML: 400 env:Sender ter:WellFormed; a SOAP 1.1 envelope: env:VersionMismatch (500)", async () => {
    const { s } = await sim();
    const bad = await post(s.url, "<s:Envelope><oops");
    expect(bad.status).toBe(400);
    expect(faultCodes(bad.body)).toBe("env:Sender ter:WellFormed");
    const v11 = await post(s.url, `<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body/></e:Envelope>`, { contentType: "text/xml" });
    expect(v11.status).toBe(500);
    expect(faultCodes(v11.body)).toBe("env:VersionMismatch");
  });

  it("an unknown operation: 500 env:Receiver ter:ActionNotSupported", async () => {
    const { s } = await sim();
    const r = await post(s.url, soapRequest("tds", "SystemReboot"));
    expect(r.status).toBe(500);
    expect(faultCodes(r.body)).toBe("env:Receiver ter:ActionNotSupported");
  });

  it("bad profile: ter:InvalidArgVal/ter:NoProfile; bad preset: ter:InvalidArgVal/ter:NoToken", async () => {
    const { s, creds } = await sim();
    const p = await post(s.url, soapRequest("trt", "GetStreamUri", "<ProfileToken>nope</ProfileToken>", creds()));
    expect([p.status, faultCodes(p.body)]).toEqual([400, "env:Sender ter:InvalidArgVal ter:NoProfile"]);
    const t = await post(s.url, soapRequest("tptz", "GotoPreset", "<ProfileToken>profile_1</ProfileToken><PresetToken>9</PresetToken>", creds()));
    expect([t.status, faultCodes(t.body)]).toEqual([400, "env:Sender ter:InvalidArgVal ter:NoToken"]);
  });

  it("ptz false: PTZ requests are ter:ActionNotSupported/ter:PTZNotSupported and profiles carry no PTZConfiguration", async () => {
    const { s, creds } = await sim({ ptz: false });
    const r = await post(s.url, soapRequest("tptz", "GetStatus", "<ProfileToken>profile_1</ProfileToken>", creds()));
    expect([r.status, faultCodes(r.body)]).toEqual([500, "env:Receiver ter:ActionNotSupported ter:PTZNotSupported"]);
    const profiles = await post(s.url, soapRequest("trt", "GetProfiles", "", creds()));
    expect(profiles.body).not.toContain("PTZConfiguration");
  });

  it("`ptzfault MovingPTZ` answers motion with env:Receiver ter:Action ter:MovingPTZ until `ptzfault off`", async () => {
    const { s, creds } = await sim();
    await s.control!("ptzfault", ["MovingPTZ"]);
    const goto = () => post(s.url, soapRequest("tptz", "GotoPreset", "<ProfileToken>profile_1</ProfileToken><PresetToken>2</PresetToken>", creds()));
    const r = await goto();
    expect([r.status, faultCodes(r.body)]).toEqual([500, "env:Receiver ter:Action ter:MovingPTZ"]);
    expect(() => s.control!("ptzfault", ["Bogus"])).toThrow(/unknown PTZ fault "Bogus"/);
    await s.control!("ptzfault", ["off"]);
    expect((await goto()).status).toBe(200);
  });

  it("ContinuousMove validates velocity and Timeout", async () => {
    const { s, creds } = await sim();
    const move = (inner: string) =>
      post(s.url, soapRequest("tptz", "ContinuousMove", `<ProfileToken>profile_1</ProfileToken>${inner}`, creds()));
    const fast = await move(`<Velocity><tt:PanTilt x="1.5" y="0"/></Velocity>`);
    expect(faultCodes(fast.body)).toBe("env:Sender ter:InvalidArgVal ter:InvalidVelocity");
    const badT = await move(`<Velocity><tt:Zoom x="0.5"/></Velocity><Timeout>5 seconds</Timeout>`);
    expect(faultCodes(badT.body)).toBe("env:Sender ter:InvalidArgs");
    const noY = await move(`<Velocity><tt:PanTilt x="0.5"/></Velocity>`);
    expect(faultCodes(noY.body)).toBe("env:Sender ter:InvalidArgs");
    const space = await move(`<Velocity><tt:Zoom x="0.5" space="http://example.com/degrees"/></Velocity>`);
    expect(faultCodes(space.body)).toBe("env:Sender ter:InvalidArgVal ter:SpaceNotSupported");
  });

  it("ContinuousMove + GetStatus over HTTP follow the clock; UtcTime is the camera's", async () => {
    const { s, clock, creds } = await sim({ clockSkewMs: 60_000 });
    await post(s.url, soapRequest("tptz", "ContinuousMove", `<ProfileToken>profile_1</ProfileToken><Velocity><tt:PanTilt x="-1" y="0.5"/></Velocity><Timeout>PT0.5S</Timeout>`, creds()));
    await clock.tickAsync(250);
    const st = await post(s.url, soapRequest("tptz", "GetStatus", "<ProfileToken>profile_1</ProfileToken>", creds()));
    expect(st.body).toContain('<tt:Position><tt:PanTilt x="-0.125" y="0.0625" space="http://www.onvif.org/ver10/tptz/PanTiltSpaces/PositionGenericSpace"/>');
    expect(st.body).toContain("<tt:MoveStatus><tt:PanTilt>MOVING</tt:PanTilt><tt:Zoom>IDLE</tt:Zoom></tt:MoveStatus><tt:UtcTime>2023-11-14T22:14:20Z</tt:UtcTime>");
    await clock.tickAsync(500);
    expect(s.camera.position()).toEqual({ pan: -0.25, tilt: 0.125, zoom: 0 });
    expect(s.camera.moving()).toBe(false);
  });

  it("garbage: 200 with XML no parser accepts", async () => {
    const { s } = await sim();
    s.faults.garbage = true;
    const r = await post(s.url, soapRequest("tds", "GetSystemDateAndTime"));
    expect(r.status).toBe(200);
    expect(() => parseXml(r.body)).toThrow();
  });

  it("slowMs delays the reply on the camera's clock", async () => {
    const { s, clock } = await sim();
    s.faults.slowMs = 2000;
    let done = false;
    const reply = post(s.url, soapRequest("tds", "GetSystemDateAndTime")).finally(() => (done = true));
    await vi.waitFor(() => expect(s.stats.requests).toBe(1), { timeout: 2000, interval: 5 });
    await clock.tickAsync(1999);
    expect(done).toBe(false);
    await clock.tickAsync(1);
    expect((await reply).status).toBe(200);
  });

  it("silent: the request is read and never answered; close drops the connection", async () => {
    const { s } = await sim();
    s.faults.silent = true;
    const reply = post(s.url, soapRequest("tds", "GetSystemDateAndTime"));
    await vi.waitFor(() => expect(s.stats.requests).toBe(1), { timeout: 2000, interval: 5 });
    await s.close();
    await expect(reply).rejects.toThrow(/socket hang up|ECONNRESET/);
  });

  it("unplug closes the port (connection refused); replug answers again on the same port", async () => {
    const { s } = await sim();
    const port = s.port;
    await s.unplug();
    expect(s.describe()).toMatch(/unplugged$/);
    await expect(post(s.url, soapRequest("tds", "GetSystemDateAndTime"))).rejects.toThrow(/ECONNREFUSED/);
    await s.replug();
    expect(s.port).toBe(port);
    expect((await post(s.url, soapRequest("tds", "GetSystemDateAndTime"))).status).toBe(200);
  });

  it("HTTP errors: unknown path 404, GET 400, PUT 405, JSON 415", async () => {
    const { s } = await sim();
    const base = s.url.replace("/onvif/device_service", "");
    expect((await post(`${base}/nope`, "")).status).toBe(404);
    expect((await post(s.url, "", { method: "GET" })).status).toBe(400);
    const put = await post(s.url, "", { method: "PUT" });
    expect([put.status, put.headers.allow]).toEqual([405, "POST"]);
    expect((await post(s.url, "{}", { contentType: "application/json" })).status).toBe(415);
    expect(s.errors).toEqual([]);
  });
});
