import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { deviceConfigSchema } from "../../config/site.js";
import type { DiscoveredCamera } from "./discovery.js";
import { formatDeviceEntry, suggestId } from "./entry.js";
import { onvifOptionsSchema } from "./options.js";

const camera: DiscoveredCamera = {
  endpoint: "urn:uuid:cam-1", url: "http://192.168.1.20:8080/onvif/device_service", host: "192.168.1.20", port: 8080,
  path: "/onvif/device_service", tls: false, xaddrs: ["http://192.168.1.20:8080/onvif/device_service"], types: [], scopes: [],
  from: "192.168.1.20:3702", name: "Hall Cam", hardware: "PTZ-1", location: null, ptz: true,
  manufacturer: "ACME", model: "PTZ 1000", firmware: "1.10", serial: "00123", metadataVersion: 1,
};

describe("formatDeviceEntry", () => {
  it("prints a commented entry that the site schema and the driver's options schema accept", () => {
    const text = formatDeviceEntry(camera);
    expect(text).toBe(
      "# ACME PTZ 1000 at 192.168.1.20:8080 (firmware 1.10, serial 00123, PTZ); endpoint urn:uuid:cam-1\n" +
        "# Put the camera's password in the passwordFile (relative to the site file), and set the real user name.\n" +
        "cam-ptz-1000:\n" +
        "  kind: camera\n" +
        "  protocol: onvif\n" +
        "  name: Hall Cam\n" +
        "  transport:\n" +
        "    type: http\n" +
        "    host: 192.168.1.20\n" +
        "    port: 8080\n" +
        "    path: /onvif/device_service\n" +
        "  options:\n" +
        "    username: admin\n" +
        "    passwordFile: secrets/cam-ptz-1000.password\n",
    );
    const parsed = YAML.parse(text) as Record<string, unknown>;
    const device = deviceConfigSchema.parse(parsed["cam-ptz-1000"]);
    expect(device.transport).toEqual({ type: "http", host: "192.168.1.20", port: 8080, path: "/onvif/device_service", tls: false });
    expect(onvifOptionsSchema.safeParse(device.options).success).toBe(true);
  });

  it("an unknown camera gets an id from its host; https adds tls; device text stays on one line", () => {
    const c = { ...camera, model: null, name: null, manufacturer: null, tls: true, port: 443, endpoint: "urn:x\n# injected" };
    expect(suggestId(c)).toBe("cam-192-168-1-20");
    const text = formatDeviceEntry(c, "cam-door");
    expect(text.split("\n")[0]).toBe("# ONVIF camera at 192.168.1.20:443 (firmware 1.10, serial 00123, PTZ); endpoint urn:x # injected");
    expect((YAML.parse(text) as Record<string, { transport: { tls?: boolean } }>)["cam-door"]!.transport.tls).toBe(true);
  });
});
