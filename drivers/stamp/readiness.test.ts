/**
 * The WAN link's readiness items (pure): pass, warn and fail by the device's thresholds or the
 * profile's own, in words a technician reads, with what to tell the network team.
 */
import { describe, expect, it } from "vitest";
import { readiness } from "./readiness.js";

const judge = (profile: unknown, state: Record<string, unknown>, options: Record<string, unknown> = {}) =>
  readiness.evaluate(readiness.profile.parse(profile), state, options);

const state = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  reflector: "udp:10.20.0.5:8620", repliesReceived: 300, lost: 0, lossPct: 0, jitterMs: 3.2,
  rttMs: { min: 38, p50: 41, p95: 60, max: 80 }, ...over,
});

describe("STAMP readiness", () => {
  it("a clean link passes loss, jitter and round trip against the device's thresholds", () => {
    const items = judge({ loss: true, jitter: true, rtt: true }, state());
    expect(items.map((i) => [i.key, i.name, i.result])).toEqual([
      ["loss", "WAN loss <= 0.5 %", "pass"],
      ["jitter", "WAN jitter <= 20 ms", "pass"],
      ["rtt", "WAN round trip <= 150 ms", "pass"],
    ]);
    expect(items[2]).toMatchObject({ actual: 60, expected: { ok: 150, warn: 300 } });
  });

  it("between ok and warn is a warn, above warn a fail; the fix says what to tell the network team", () => {
    const items = judge({ loss: true, jitter: true, rtt: true }, state({ lossPct: 0.8, jitterMs: 45, rttMs: { min: 150, p50: 160, p95: 210, max: 400 } }));
    expect(items.map((i) => `${i.key} ${i.result} ${i.code}: ${i.message}`)).toEqual([
      "loss warn loss_high: 0.8 % in the last 30 s, above the ok limit 0.5 %",
      "jitter fail jitter_high: 45 ms in the last 30 s, above the warn limit 30 ms",
      "rtt warn rtt_high: 210 ms p95 in the last 30 s, above the ok limit 150 ms",
    ]);
    expect(items[0]!.fix).toBe(
      "tell the network team: the WAN path from this site to the MCU's reflector (udp:10.20.0.5:8620) loses 0.8 % of STAMP probes (limit 1 %); " +
        "ask them to check the circuit's error and drop counters and that video is queued as AF41 with its bandwidth (+20 %) reserved",
    );
    expect(items[1]!.fix).toMatch(/^tell the network team: .* has 45 ms of jitter \(limit 30 ms\); ask them to check queueing on the WAN edge/);
    expect(items[2]!.fix).toMatch(/has a 210 ms p95 round trip \(limit 300 ms\); ask them to check the route to the MCU/);
  });

  it("takes the profile's own limits, the device's rttStatistic and window", () => {
    const items = judge({ rtt: { ok: 50, warn: 70 } }, state(), { rttStatistic: "max", windowMs: 60_000 });
    expect(items).toEqual([expect.objectContaining({ key: "rtt", name: "WAN round trip <= 50 ms", result: "fail", actual: 80, message: "80 ms max in the last 60 s, above the warn limit 70 ms" })]);
  });

  it("no figure (no reply in the window) fails as unknown; too few probes turns a pass into a warn", () => {
    const none = judge({ loss: true, rtt: true }, {});
    expect(none.map((i) => `${i.key} ${i.result} ${i.code}`)).toEqual(["loss fail unknown", "rtt fail unknown"]);
    expect(none[0]!.fix).toMatch(/roomgate reflector runs beside the MCU/);
    const early = judge({ loss: true }, state({ repliesReceived: 12, lost: 0 }));
    expect(early[0]).toMatchObject({ result: "warn", code: "few_probes", message: "0 % over only 12 probes in the last 30 s (fewer than 100)" });
  });

  it("refuses a profile it cannot check, with the key", () => {
    expect(readiness.profile.safeParse({ mos: true }).success).toBe(false);
    expect(readiness.profile.safeParse({ loss: { ok: 2, warn: 1 } }).success).toBe(false);
    expect(readiness.profile.safeParse({ loss: false }).success).toBe(false);
  });
});
