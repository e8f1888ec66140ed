/**
 * The call settings of the site file: the site's quality thresholds with their defaults, a codec's
 * override, and the rules a test call must keep (on a codec, in a profiled room, within the check's
 * deadline), each refused with its path and the fix.
 */
import { describe, expect, it } from "vitest";
import { qualityFor } from "./calls.js";
import { siteConfigSchema } from "./site.js";

let port = 2400;
const codec = (extra: Record<string, unknown> = {}) => ({
  kind: "codec", protocol: "poly", room: "hall", transport: { type: "tcp", host: "127.0.0.1", port: ++port }, ...extra,
});

function site(devices: Record<string, unknown>, more: Record<string, unknown> = {}) {
  return { site: "s1", broker: { url: "mqtt://127.0.0.1:1883" }, rooms: { hall: { profile: {} }, lobby: {} }, devices, ...more };
}

const issues = (input: unknown) => {
  const r = siteConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("calls in the site file", () => {
  it("defaults to Cisco's interactive-video limits (1 % loss, 30 ms jitter) over a 10 s window; a codec overrides what it names", () => {
    const config = siteConfigSchema.parse(site({ "codec-a": codec(), "codec-b": codec({ calls: { quality: { jitterMs: 40 } } }) }));
    expect(config.calls.quality).toEqual({ lossPct: 1, jitterMs: 30, windowSec: 10 });
    expect(qualityFor(config, "codec-a")).toEqual({ lossPct: 1, jitterMs: 30, windowSec: 10 });
    expect(qualityFor(config, "codec-b")).toEqual({ lossPct: 1, jitterMs: 40, windowSec: 10 });
    const strict = siteConfigSchema.parse(site({ c: codec() }, { calls: { quality: { lossPct: 0.5, windowSec: 20 } } }));
    expect(qualityFor(strict, "c")).toEqual({ lossPct: 0.5, jitterMs: 30, windowSec: 20 });
  });

  it("a test call gets its defaults: auto protocol, 10 s to connect, 5 s held", () => {
    const config = siteConfigSchema.parse(site({ c: codec({ calls: { testCall: { number: "9999@mcu.province.gov" } } }) }));
    expect(config.devices.c!.calls!.testCall).toEqual({ number: "9999@mcu.province.gov", protocol: "auto", connectSec: 10, holdSec: 5 });
  });

  it("refuses call settings on a device that is not a codec", () => {
    const cam = { kind: "camera", protocol: "visca", transport: { type: "udp", host: "127.0.0.1", port: 52381 }, calls: { quality: { lossPct: 2 } } };
    expect(issues(site({ cam }))).toEqual(["devices.cam.calls: only a codec (kind codec) has call settings; cam is a camera"]);
  });

  it("refuses a test call no check would ever make: a codec without a room, or in a room without a profile", () => {
    const testCall = { number: "9999" };
    expect(issues(site({ c: codec({ room: undefined, calls: { testCall } }) }))).toEqual([
      "devices.c.calls.testCall: a test call runs in its room's readiness check: give devices.c a room with a readiness profile",
    ]);
    expect(issues(site({ c: codec({ room: "lobby", calls: { testCall } }) }))).toEqual([
      "devices.c.calls.testCall: room lobby has no readiness profile (rooms.lobby.profile), so no check would make this test call",
    ]);
  });

  it("refuses a test call longer than the check's deadline, saying what to change", () => {
    const long = site({ c: codec({ calls: { testCall: { number: "9999", connectSec: 30, holdSec: 10 } } }) });
    expect(issues(long)).toEqual([
      "devices.c.calls.testCall: the test call takes up to 43 s (connectSec 30 + holdSec 10 + 3 s to hang up), longer than the check's " +
        "deadline readiness.deadlineMs (20000 ms): raise it, or shorten connectSec or holdSec",
    ]);
    expect(issues({ ...long, readiness: { deadlineMs: 45_000 } })).toEqual([]);
  });
});
