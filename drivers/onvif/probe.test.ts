import { describe, expect, it } from "vitest";
import { buildProbe, parseProbeReply, readScopes } from "./probe.js";
import { parseXml, textAt } from "./xml.js";

const MATCHES = (relatesTo: string, xaddrs = "http://192.168.1.20/onvif/device_service http://[fe80::1]/onvif/device_service") =>
  Buffer.from(
    '<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" ' +
      'xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" ' +
      'xmlns:dn="http://www.onvif.org/ver10/network/wsdl"><SOAP-ENV:Header>' +
      "<wsa:MessageID>urn:uuid:1111</wsa:MessageID><wsa:RelatesTo>" + relatesTo + "</wsa:RelatesTo>" +
      "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsa:Action></SOAP-ENV:Header>" +
      "<SOAP-ENV:Body><d:ProbeMatches><d:ProbeMatch><wsa:EndpointReference><wsa:Address>urn:uuid:cam-1</wsa:Address></wsa:EndpointReference>" +
      "<d:Types>dn:NetworkVideoTransmitter</d:Types>" +
      "<d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/type/ptz onvif://www.onvif.org/name/Hall%20Cam onvif://www.onvif.org/hardware/PTZ-1</d:Scopes>" +
      "<d:XAddrs>" + xaddrs + "</d:XAddrs><d:MetadataVersion>3</d:MetadataVersion></d:ProbeMatch></d:ProbeMatches></SOAP-ENV:Body></SOAP-ENV:Envelope>",
  );

describe("WS-Discovery messages", () => {
  it("the Probe asks for dn:NetworkVideoTransmitter with our MessageID, per WS-Discovery 2005/04", () => {
    const root = parseXml(buildProbe("urn:uuid:abc").toString("utf8"));
    expect(textAt(root, "Header", "MessageID")).toBe("urn:uuid:abc");
    expect(textAt(root, "Header", "Action")).toBe("http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe");
    expect(textAt(root, "Header", "To")).toBe("urn:schemas-xmlsoap-org:ws:2005:04:discovery");
    expect(textAt(root, "Body", "Probe", "Types")).toBe("dn:NetworkVideoTransmitter");
    expect(buildProbe("urn:uuid:abc").toString()).toContain('xmlns:dn="http://www.onvif.org/ver10/network/wsdl"');
  });

  it("reads ProbeMatches: endpoint, XAddrs, scopes, types, metadata version, RelatesTo", () => {
    const r = parseProbeReply(MATCHES("urn:uuid:abc"));
    expect(r).toEqual({
      kind: "matches",
      relatesTo: "urn:uuid:abc",
      matches: [{
        endpoint: "urn:uuid:cam-1",
        types: ["dn:NetworkVideoTransmitter"],
        scopes: [
          "onvif://www.onvif.org/type/video_encoder", "onvif://www.onvif.org/type/ptz",
          "onvif://www.onvif.org/name/Hall%20Cam", "onvif://www.onvif.org/hardware/PTZ-1",
        ],
        xaddrs: ["http://192.168.1.20/onvif/device_service", "http://[fe80::1]/onvif/device_service"],
        metadataVersion: 3,
      }],
    });
  });

  it("not XML, a ProbeMatch without XAddrs, or an empty ProbeMatches are malformed; a Probe is 'other'", () => {
    expect(parseProbeReply(Buffer.from("\x00\x01garbage")).kind).toBe("malformed");
    expect(parseProbeReply(MATCHES("x", "")).kind).toBe("malformed");
    expect(parseProbeReply(Buffer.from('<e:Envelope xmlns:e="u"><e:Body><ProbeMatches/></e:Body></e:Envelope>')).kind).toBe("malformed");
    expect(parseProbeReply(buildProbe("urn:uuid:z"))).toEqual({ kind: "other", action: "http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe" });
  });

  it("scopes give name, hardware and PTZ", () => {
    expect(readScopes(["onvif://www.onvif.org/type/ptz", "onvif://www.onvif.org/name/Hall%20Cam", "onvif://www.onvif.org/hardware/PTZ-1", "onvif://www.onvif.org/location/bad%"]))
      .toEqual({ ptz: true, name: "Hall Cam", hardware: "PTZ-1", location: "bad%" });
    expect(readScopes([]).ptz).toBe(false);
  });
});
