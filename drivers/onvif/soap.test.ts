import { afterEach, describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { systemClock } from "../clock.js";
import { DeviceError } from "../types.js";
import { startCannedServer, soapEnvelope, soapFault, type CannedReply, type CannedServer } from "./canned-server.js";
import { interpret, soapCall, type SoapRequest } from "./soap.js";

const servers: CannedServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function server(reply: CannedReply | (() => CannedReply)): Promise<CannedServer> {
  const s = await startCannedServer(typeof reply === "function" ? reply : () => reply);
  servers.push(s);
  return s;
}

const request = (url: string, extra: Partial<SoapRequest> = {}): SoapRequest => ({
  url: new URL(url),
  namespace: "http://www.onvif.org/ver20/ptz/wsdl",
  operation: "GotoPreset",
  body: '<GotoPreset xmlns="http://www.onvif.org/ver20/ptz/wsdl"><ProfileToken>p1</ProfileToken><PresetToken>9</PresetToken></GotoPreset>',
  timeoutMs: 2000,
  clock: systemClock,
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<DeviceError> {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(DeviceError);
  return e as DeviceError;
}

describe("soapCall", () => {
  it("posts a SOAP 1.2 envelope with the action in the Content-Type and returns the body element", async () => {
    const s = await server({ status: 200, body: soapEnvelope("<tptz:GotoPresetResponse/>") });
    const res = await soapCall(request(s.url, { security: "<wsse:Security/>" }));
    expect(res.body.name).toBe("GotoPresetResponse");
    expect(s.requests[0]!.headers["content-type"]).toBe('application/soap+xml; charset=utf-8; action="http://www.onvif.org/ver20/ptz/wsdl/GotoPreset"');
    expect(s.requests[0]!.body).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">' +
        "<s:Header><wsse:Security/></s:Header><s:Body>" + request(s.url).body + "</s:Body></s:Envelope>",
    );
  });

  it("a ter:NoToken fault is invalid_args with the camera's reason and subcodes", async () => {
    const s = await server({ status: 400, body: soapFault(["ter:InvalidArgVal", "ter:NoToken"], "The requested preset token does not exist.") });
    const e = await failure(soapCall(request(s.url)));
    expect(e.code).toBe("invalid_args");
    expect(e.message).toBe("camera refused GotoPreset: The requested preset token does not exist. (ter:InvalidArgVal/ter:NoToken)");
    expect(e.details).toMatchObject({ onvif: "invalid", status: 400, fault: { code: "env:Sender", subcodes: ["ter:InvalidArgVal", "ter:NoToken"] } });
  });

  it("a ter:NotAuthorized fault is auth_failed", async () => {
    const s = await server({ status: 400, body: soapFault(["ter:NotAuthorized"], "Sender not Authorized") });
    const e = await failure(soapCall(request(s.url)));
    expect(e.code).toBe("device_error");
    expect(e.details?.["onvif"]).toBe("auth_failed");
    expect(e.message).toBe("camera refused the credentials for GotoPreset: Sender not Authorized (ter:NotAuthorized)");
  });

  it("ter:MovingPTZ is busy; ter:ActionNotSupported is device_error not_supported", async () => {
    const s = await server({ status: 400, body: soapFault(["ter:ActionNotSupported", "ter:PTZNotSupported"], "no PTZ", "env:Receiver") });
    const e = await failure(soapCall(request(s.url)));
    expect([e.code, e.details?.["onvif"]]).toEqual(["device_error", "not_supported"]);
    s.reply = () => ({ status: 400, body: soapFault(["ter:MovingPTZ"], "moving") });
    const b = await failure(soapCall(request(s.url)));
    expect([b.code, b.details?.["onvif"]]).toEqual(["busy", "busy"]);
  });

  it("an HTML 401 page is auth_failed, with the page's own words", async () => {
    const html = "<!DOCTYPE html><html><head><title>Document Error: Unauthorized</title></head><body><h2>Access Error: 401 -- Unauthorized</h2></body></html>";
    const s = await server({ status: 401, body: html, headers: { "Content-Type": "text/html" } });
    const e = await failure(soapCall(request(s.url)));
    expect(e.details).toMatchObject({ onvif: "auth_failed", status: 401 });
    expect(e.message).toBe("camera refused the credentials for GotoPreset (HTTP 401: Document Error: Unauthorized)");
  });

  it("malformed XML with a 200 is device_error malformed, never a crash", async () => {
    const s = await server({ status: 200, body: "<env:Envelope><env:Body><oops" });
    const e = await failure(soapCall(request(s.url)));
    expect(e.code).toBe("device_error");
    expect(e.details?.["onvif"]).toBe("malformed");
    expect(e.message).toMatch(/^camera sent an unreadable answer to GotoPreset: /);
  });

  it("a 500 HTML page is http_error", async () => {
    const s = await server({ status: 500, body: "<html><body><h1>Internal error</h1></body></html>" });
    const e = await failure(soapCall(request(s.url)));
    expect(e.details).toMatchObject({ onvif: "http_error", status: 500 });
    expect(e.message).toBe("camera answered GotoPreset with HTTP 500: Internal error");
  });

  it("a silent camera: timeout by the deadline on the injected clock", async () => {
    const s = await server("silent");
    const clock = fakeClock();
    const p = failure(soapCall(request(s.url, { clock, timeoutMs: 1500 })));
    // Wait until the request reached the server (real I/O), then move time.
    await waitFor(() => s.requests.length === 1);
    await clock.tickAsync(1499);
    await clock.tickAsync(1);
    const e = await p;
    expect(e.code).toBe("timeout");
    expect(e.message).toBe("camera did not answer GotoPreset within 1500 ms");
  });

  it("a camera that trickles bytes forever still ends at the deadline (the package's idle timer never fires)", async () => {
    const s = await server("drip");
    const t0 = Date.now();
    const e = await failure(soapCall(request(s.url, { timeoutMs: 400 })));
    expect(e.code).toBe("timeout");
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("abort cancels the request", async () => {
    const s = await server("silent");
    const ac = new AbortController();
    const p = failure(soapCall(request(s.url, { signal: ac.signal })));
    await waitFor(() => s.requests.length === 1);
    ac.abort();
    expect((await p).code).toBe("cancelled");
  });

  it("connection refused is not_connected with the errno", async () => {
    const s = await server({ status: 200, body: "" });
    const url = s.url;
    await s.close();
    servers.length = 0;
    const e = await failure(soapCall(request(url)));
    expect(e.code).toBe("not_connected");
    expect(e.details).toMatchObject({ onvif: "connect_failed", errno: "ECONNREFUSED" });
  });
});

describe("interpret (pure)", () => {
  it("a SOAP 1.1 style fault is read too", () => {
    const xml = '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>bad preset</faultstring></s:Fault></s:Body></s:Envelope>';
    expect(() => interpret("GotoPreset", 500, xml)).toThrow("camera refused GotoPreset: bad preset (s:Client)");
  });

  it("an empty Body is malformed; a non-Envelope root is malformed", () => {
    expect(() => interpret("GetStatus", 200, soapEnvelope(""))).toThrow("camera sent an unreadable answer to GetStatus: empty SOAP Body");
    expect(() => interpret("GetStatus", 200, "<html/>")).toThrow("expected a SOAP Envelope, got <html>");
  });

  it("an entity bomb is refused, not expanded", () => {
    const bomb = '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]><Envelope><Body><X>&b;</X></Body></Envelope>';
    expect(() => interpret("GetStatus", 200, bomb)).toThrow(DeviceError);
  });
});

/** Polls a condition on real I/O, bounded (no fixed sleeps). */
async function waitFor(cond: () => boolean, ms = 3000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error("condition not met in time");
    await new Promise((r) => setImmediate(r));
  }
}
