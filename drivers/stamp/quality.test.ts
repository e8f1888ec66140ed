/**
 * Quality bands with hysteresis: worse at once, better only below the clear ratio and after the
 * hold, so a figure hovering at a limit raises once and never flaps.
 */
import { describe, expect, it } from "vitest";
import { bandOf, QualityJudge, type Band, type MetricValues } from "./quality.js";

const thresholds = { loss: { ok: 0.5, warn: 1 }, jitter: { ok: 20, warn: 30 }, rtt: { ok: 150, warn: 300 } };
const clean: MetricValues = { loss: 0, jitter: 2, rtt: 40 };

function judge(clearHoldMs = 10_000): QualityJudge {
  return new QualityJudge({ thresholds, clearRatio: 0.8, clearHoldMs });
}

describe("bandOf", () => {
  it("at or below ok is ok, at or below warn is warn, above is critical (the limits are inclusive)", () => {
    expect([0, 0.5, 0.51, 1, 1.01].map((v) => bandOf(v, thresholds.loss))).toEqual(["ok", "ok", "warn", "warn", "critical"]);
  });
});

describe("QualityJudge", () => {
  it("a clean link is ok; the worst metric makes the band", () => {
    const j = judge();
    expect(j.judge(clean, 0)).toEqual({ band: "ok", bands: { loss: "ok", jitter: "ok", rtt: "ok" }, changed: false });
    expect(j.judge({ ...clean, jitter: 25 }, 1000)).toMatchObject({ band: "warn", changed: true });
    expect(j.judge({ ...clean, jitter: 25, loss: 5 }, 2000)).toEqual({ band: "critical", bands: { loss: "critical", jitter: "warn", rtt: "ok" }, changed: true });
  });

  it("gets worse at once, better only after the figure stays below clearRatio × the limit for clearHoldMs", () => {
    const j = judge(10_000);
    expect(j.judge({ ...clean, loss: 5 }, 0).band).toBe("critical");
    expect(j.judge({ ...clean, loss: 0 }, 1000).band).toBe("critical"); // hold starts
    expect(j.judge({ ...clean, loss: 0 }, 10_999).band).toBe("critical");
    expect(j.judge({ ...clean, loss: 0 }, 11_000)).toMatchObject({ band: "ok", changed: true });
  });

  it("a figure hovering at the warn limit (0.9..1.1 %) raises once and stays critical: no flapping", () => {
    const j = judge(10_000);
    const seen: Band[] = [];
    for (let t = 0; t < 120_000; t += 1000) {
      const loss = t % 2000 === 0 ? 0.9 : 1.1;
      seen.push(j.judge({ ...clean, loss }, t).band);
    }
    const changes = seen.filter((b, i) => i > 0 && b !== seen[i - 1]);
    expect(seen[0]).toBe("warn");
    expect(changes).toEqual(["critical"]);
  });

  it("a figure between the clear line and the limit (0.45 %) keeps warn; one dip below 0.4 % is not enough", () => {
    const j = judge(5000);
    expect(j.judge({ ...clean, loss: 0.8 }, 0).band).toBe("warn");
    for (let t = 1000; t <= 30_000; t += 1000) expect(j.judge({ ...clean, loss: t === 10_000 ? 0.3 : 0.45 }, t).band).toBe("warn");
    for (let t = 31_000; t < 36_000; t += 1000) expect(j.judge({ ...clean, loss: 0.3 }, t).band).toBe("warn");
    expect(j.judge({ ...clean, loss: 0.3 }, 36_000).band).toBe("ok");
  });

  it("steps down through warn when the figure settles there, and takes the worst band seen during the hold", () => {
    const j = judge(2000);
    j.judge({ ...clean, rtt: 500 }, 0);
    j.judge({ ...clean, rtt: 100 }, 1000); // ok-worthy...
    j.judge({ ...clean, rtt: 200 }, 2000); // ...then only warn-worthy: the hold takes warn
    expect(j.judge({ ...clean, rtt: 100 }, 3000).bands.rtt).toBe("warn");
    expect(j.judge({ ...clean, rtt: 100 }, 4000).bands.rtt).toBe("warn"); // a new hold, for ok
    expect(j.judge({ ...clean, rtt: 100 }, 5000).bands.rtt).toBe("warn");
    expect(j.judge({ ...clean, rtt: 100 }, 6000).bands.rtt).toBe("ok");
  });

  it("a metric without a figure keeps its band", () => {
    const j = judge(0);
    j.judge({ ...clean, rtt: 400 }, 0);
    expect(j.judge({ loss: 100, jitter: null, rtt: null }, 1000).bands).toEqual({ loss: "critical", jitter: "ok", rtt: "critical" });
  });
});
