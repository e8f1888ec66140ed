import { describe, expect, it } from "vitest";
import { isId, toId } from "./ids.js";
import { siteJsonSchema, sortKeys } from "./json-schema.js";
import { describeTransport, redactSiteConfig, siteConfigSchema } from "./site.js";

describe("ids", () => {
  it("accept [a-z0-9-] only, within length", () => {
    expect(isId("cam-main")).toBe(true);
    expect(isId("Cam")).toBe(false);
    expect(isId("a_b")).toBe(false);
    expect(isId("")).toBe(false);
    expect(isId("a".repeat(64))).toBe(true);
    expect(isId("a".repeat(65))).toBe(false);
    expect(isId("a".repeat(49), 48)).toBe(false);
  });

  it("toId makes an id from free text", () => {
    expect(toId("enc-1 auth_failed")).toBe("enc-1-auth-failed");
    expect(toId("__TAMPER__")).toBe("tamper");
    expect(toId("///")).toBe("x");
    expect(toId(`${"a".repeat(63)}_b`)).toBe("a".repeat(63));
  });
});

describe("transport description and redaction", () => {
  const site = siteConfigSchema.parse({
    site: "s1",
    broker: { url: "mqtt://agent:pw@h:1883", password: "hunter2" },
    devices: {
      a: { kind: "camera", protocol: "visca", transport: { type: "serial", path: "/dev/ttyUSB0" } },
      b: { kind: "camera", protocol: "visca", transport: { type: "udp", host: "10.0.0.5", port: 52381 } },
      c: { kind: "display", protocol: "mdc", transport: { type: "tcp", host: "10.0.0.9", port: 1515 } },
    },
  });

  it("describes endpoints without secrets", () => {
    const d = site.devices;
    expect([d.a, d.b, d.c].map((x) => (x === undefined ? "" : describeTransport(x.transport)))).toEqual([
      "serial:/dev/ttyUSB0@9600",
      "udp:10.0.0.5:52381",
      "tcp:10.0.0.9:1515",
    ]);
  });

  it("redacts the password and URL credentials, leaving the original alone", () => {
    const r = redactSiteConfig(site);
    expect(r.broker.password).toBe("***");
    expect(r.broker.url).toBe("mqtt://***@h:1883");
    expect(JSON.stringify(r)).not.toContain("hunter2");
    expect(site.broker.password).toBe("hunter2");
  });
});

describe("siteJsonSchema", () => {
  it("describes fields, keeps enums and defaults, and has sorted keys", () => {
    const s = siteJsonSchema() as {
      title: string;
      required: string[];
      properties: { devices: { additionalProperties: { properties: { transport: { oneOf: { properties: { baudRate?: unknown } }[] } } } } };
    };
    expect(s.title).toBe("roomgate site file");
    expect(s.required).toEqual(["site", "broker"]);
    const serial = s.properties.devices.additionalProperties.properties.transport.oneOf[0];
    expect(serial?.properties.baudRate).toEqual({
      default: 9600,
      description: "Line speed in baud.",
      enum: [2400, 4800, 9600, 19200, 38400, 57600, 115200],
      type: "number",
    });
    expect(JSON.stringify(s)).toBe(JSON.stringify(sortKeys(s)));
  });
});
