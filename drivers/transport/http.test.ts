import { describe, expect, it } from "vitest";
import { createTransport, TransportError } from "./index.js";
import { HttpEndpoint } from "./http.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";

describe("HttpEndpoint", () => {
  it("carries the endpoint as a URL and keeps the transport lifecycle", async () => {
    const t = await createTransport(
      { type: "http", host: "10.0.0.7", port: 8080, path: "/onvif/device_service" },
      { clock: fakeClock(), logger: memoryLogger() },
    );
    expect(t).toBeInstanceOf(HttpEndpoint);
    expect(t.kind).toBe("http");
    expect(t.description).toBe("http://10.0.0.7:8080/onvif/device_service");
    const states: string[] = [];
    t.on("status", (s) => states.push(s.state));
    expect(t.state).toBe("idle");
    await t.open();
    await t.open();
    await t.close();
    await t.close();
    expect(states).toEqual(["open", "closed"]);
    await expect(t.open()).rejects.toMatchObject({ code: "closed" });
  });

  it("refuses raw bytes and endpoints that can never work", async () => {
    const t = new HttpEndpoint({ host: "cam", port: 443, tls: true });
    expect(t.url).toBe("https://cam:443/");
    await expect(t.write(Buffer.from("x"))).rejects.toBeInstanceOf(TransportError);
    expect(() => new HttpEndpoint({ host: "", port: 80 })).toThrow(/http.host/);
    expect(() => new HttpEndpoint({ host: "cam", port: 0 })).toThrow(/http.port/);
    expect(() => new HttpEndpoint({ host: "cam", port: 80, path: "onvif" })).toThrow(/http.path/);
    expect(new HttpEndpoint({ host: "fe80::1", port: 80 }).url).toBe("http://[fe80::1]:80/");
  });
});
