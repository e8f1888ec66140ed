/**
 * bench/call-events, tiny: its plumbing runs (both codecs' simulators, the agent in its own process,
 * the line taps on each codec) and every drop is measured, on the alarm and on the codec's line. No
 * figure is asserted: the figures come from full runs (docs/performance.md).
 */
import { describe, expect, it } from "vitest";
import { runBench } from "./helpers/bench.js";

describe("bench/call-events, tiny", () => {
  it("times a far-end hang-up to the retained call-dropped alarm and to the codec's own line, per codec", async () => {
    const r = await runBench("call-events", ["--drops", "3", "--warmup", "1", "--holdMs", "200"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ bench: "call-events", unit: "ms" });
    for (const codec of ["poly", "cisco"]) {
      for (const measure of ["alarm", "line", "beyondLine"]) {
        expect(r.json[codec][measure], `${codec} ${measure}`).toMatchObject({ n: 3 });
        expect(Number.isFinite(r.json[codec][measure].p99), `${codec} ${measure}`).toBe(true);
      }
      expect(typeof r.json[codec].beyondLineP99Under100).toBe("boolean");
    }
    expect(r.stderr).toMatch(/^codec\s+measure\s+n\s+min\s+p50\s+p90\s+p99\s+max$/m);
  }, 120_000);
});
