import { describe, expect, it } from "vitest";
import { moveVelocity, matchPreset, zoomVelocity } from "./actions.js";
import { soapEnvelope } from "./canned-server.js";
import {
  duration, num, readCapabilities, readDeviceInformation, readMediaUri, readPresets, readProfiles, readSetPreset, readStatus,
  readSystemDateAndTime, requests, sanitizeUri,
} from "./messages.js";
import { interpret } from "./soap.js";

const body = (xml: string) => interpret("Test", 200, soapEnvelope(xml)).body;

describe("request bodies", () => {
  it("ContinuousMove carries the velocity in the generic space and the timeout as xs:duration", () => {
    expect(requests.continuousMove("prof&1", { pan: -0.5, tilt: 0.25 }, 1500).body).toBe(
      '<ContinuousMove xmlns="http://www.onvif.org/ver20/ptz/wsdl" xmlns:tt="http://www.onvif.org/ver10/schema">' +
        "<ProfileToken>prof&amp;1</ProfileToken><Velocity><tt:PanTilt x=\"-0.5\" y=\"0.25\"/></Velocity><Timeout>PT1.5S</Timeout></ContinuousMove>",
    );
  });

  it("GotoPreset, SetPreset, RemovePreset, Stop and GetStreamUri say what ONVIF expects", () => {
    expect(requests.gotoPreset("p", "3").body).toContain("<ProfileToken>p</ProfileToken><PresetToken>3</PresetToken></GotoPreset>");
    expect(requests.setPreset("p", "<Door>", undefined).body).toContain("<PresetName>&lt;Door&gt;</PresetName></SetPreset>");
    expect(requests.setPreset("p", undefined, "7").body).toContain("<ProfileToken>p</ProfileToken><PresetToken>7</PresetToken></SetPreset>");
    expect(requests.removePreset("p", "7").operation).toBe("RemovePreset");
    expect(requests.stop("p", false, true).body).toContain("<PanTilt>false</PanTilt><Zoom>true</Zoom>");
    expect(requests.absoluteMove("p", { zoom: 0.5 }).body).toContain('<Position><tt:Zoom x="0.5"/></Position>');
    expect(requests.streamUri("p").body).toContain(
      "<StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></StreamSetup><ProfileToken>p</ProfileToken>",
    );
    expect(requests.streamUri("p").service).toBe("media");
    expect(requests.systemDateAndTime().service).toBe("device");
  });

  it("numbers never use exponent notation", () => {
    expect(num(1e-7)).toBe("0");
    expect(num(-0.3333333333)).toBe("-0.333333");
    expect(duration(5000)).toBe("PT5S");
  });
});

describe("response readers", () => {
  it("GetSystemDateAndTime: the UTC time", () => {
    const b = body(
      "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>Manual</tt:DateTimeType>" +
        "<tt:UTCDateTime><tt:Time><tt:Hour>7</tt:Hour><tt:Minute>50</tt:Minute><tt:Second>45</tt:Second></tt:Time>" +
        "<tt:Date><tt:Year>2010</tt:Year><tt:Month>9</tt:Month><tt:Day>16</tt:Day></tt:Date></tt:UTCDateTime>" +
        "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>",
    );
    expect(readSystemDateAndTime(b)).toEqual({ ms: Date.UTC(2010, 8, 16, 7, 50, 45), source: "utc" });
  });

  it("GetSystemDateAndTime without a time is malformed", () => {
    const b = body("<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime/></tds:GetSystemDateAndTimeResponse>");
    expect(() => readSystemDateAndTime(b)).toThrow("camera sent an unreadable answer to GetSystemDateAndTime: no UTCDateTime in the answer");
  });

  it("GetDeviceInformation keeps firmware and serial as text (no number coercion)", () => {
    const b = body(
      "<tds:GetDeviceInformationResponse><tds:Manufacturer>ACME</tds:Manufacturer><tds:Model>PTZ-1</tds:Model>" +
        "<tds:FirmwareVersion>1.10</tds:FirmwareVersion><tds:SerialNumber>00123</tds:SerialNumber><tds:HardwareId>HW 7</tds:HardwareId>" +
        "</tds:GetDeviceInformationResponse>",
    );
    expect(readDeviceInformation(b)).toEqual({ manufacturer: "ACME", model: "PTZ-1", firmware: "1.10", serial: "00123", hardwareId: "HW 7" });
  });

  it("GetCapabilities: Media and PTZ XAddrs", () => {
    const b = body(
      "<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Device><tt:XAddr>http://10.0.0.5/onvif/device_service</tt:XAddr></tt:Device>" +
        "<tt:Media><tt:XAddr>http://10.0.0.5/onvif/media_service</tt:XAddr></tt:Media>" +
        "<tt:PTZ><tt:XAddr>http://10.0.0.5/onvif/ptz_service</tt:XAddr></tt:PTZ></tds:Capabilities></tds:GetCapabilitiesResponse>",
    );
    expect(readCapabilities(b)).toEqual({ media: "http://10.0.0.5/onvif/media_service", ptz: "http://10.0.0.5/onvif/ptz_service" });
  });

  it("GetProfiles: tokens, names and whether PTZ is configured", () => {
    const b = body(
      '<trt:GetProfilesResponse><trt:Profiles token="main" fixed="true"><tt:Name>Main</tt:Name><tt:PTZConfiguration token="ptz0"/></trt:Profiles>' +
        '<trt:Profiles token="sub"><tt:Name>Sub</tt:Name></trt:Profiles></trt:GetProfilesResponse>',
    );
    expect(readProfiles(b)).toEqual([{ token: "main", name: "Main", ptz: true }, { token: "sub", name: "Sub", ptz: false }]);
  });

  it("GetPresets: token, name and position", () => {
    const b = body(
      '<tptz:GetPresetsResponse><tptz:Preset token="1"><tt:Name>Podium</tt:Name><tt:PTZPosition><tt:PanTilt x="0.5" y="-0.25"/><tt:Zoom x="0.1"/></tt:PTZPosition></tptz:Preset>' +
        '<tptz:Preset token="2"><tt:Name>Door</tt:Name></tptz:Preset></tptz:GetPresetsResponse>',
    );
    expect(readPresets(b)).toEqual([
      { token: "1", name: "Podium", position: { pan: 0.5, tilt: -0.25, zoom: 0.1 } },
      { token: "2", name: "Door", position: null },
    ]);
  });

  it("GetStatus: position and move status (MOVING wins over IDLE)", () => {
    const b = body(
      '<tptz:GetStatusResponse><tptz:PTZStatus><tt:Position><tt:PanTilt x="0.1" y="0.2"/><tt:Zoom x="0.3"/></tt:Position>' +
        "<tt:MoveStatus><tt:PanTilt>IDLE</tt:PanTilt><tt:Zoom>MOVING</tt:Zoom></tt:MoveStatus><tt:UtcTime>2024-01-01T00:00:00Z</tt:UtcTime>" +
        "</tptz:PTZStatus></tptz:GetStatusResponse>",
    );
    expect(readStatus(b)).toEqual({ pan: 0.1, tilt: 0.2, zoom: 0.3, moveStatus: "moving", error: null });
  });

  it("SetPreset returns the token; GetStreamUri the URI", () => {
    expect(readSetPreset(body("<tptz:SetPresetResponse><tptz:PresetToken>7</tptz:PresetToken></tptz:SetPresetResponse>"))).toBe("7");
    expect(readMediaUri(body("<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://10.0.0.5/s1</tt:Uri></trt:MediaUri></trt:GetStreamUriResponse>"), "GetStreamUri"))
      .toBe("rtsp://10.0.0.5/s1");
  });
});

describe("sanitizeUri", () => {
  it("removes user info and credential parameters", () => {
    expect(sanitizeUri("rtsp://admin:secret@10.0.0.5:554/s1?channel=1&user=admin&password=secret")).toBe("rtsp://10.0.0.5:554/s1?channel=1");
    expect(sanitizeUri("http://10.0.0.5/snap.jpg?pwd=x")).toBe("http://10.0.0.5/snap.jpg");
    expect(sanitizeUri("not a uri")).toBeNull();
  });
});

describe("VISCA-shaped arguments on ONVIF", () => {
  it("move maps VISCA speeds onto normalized velocities (up is +tilt, left is -pan)", () => {
    expect(moveVelocity({ direction: "up-left", panSpeed: 24, tiltSpeed: 23 })).toEqual({ pan: -1, tilt: 1 });
    expect(moveVelocity({ direction: "right", panSpeed: 12, tiltSpeed: 10 })).toEqual({ pan: 0.5, tilt: 0 });
    expect(moveVelocity({ direction: "down", panSpeed: 6, tiltSpeed: 10 })).toEqual({ pan: 0, tilt: -0.4348 });
  });

  it("zoom speed 0..7 -> 1/8..1, default 1/2; wide is negative", () => {
    expect(zoomVelocity("tele", 7)).toBe(1);
    expect(zoomVelocity("wide", 0)).toBe(-0.125);
    expect(zoomVelocity("tele")).toBe(0.5);
  });

  it("a preset number names the preset by token, then by name", () => {
    const presets = [{ token: "10", name: "1", position: null }, { token: "1", name: "Podium", position: null }, { token: "x", name: "2", position: null }];
    expect(matchPreset(presets, 1)?.token).toBe("1");
    expect(matchPreset(presets, 2)?.token).toBe("x");
    expect(matchPreset(presets, "Podium")?.token).toBe("1");
    expect(matchPreset(presets, 3)).toBeUndefined();
  });
});
