/** bench/alarm-latency, tiny: its plumbing runs (issue 24: a bench that cannot run is caught here). */
import { describe, expect, it } from "vitest";
import { runBench } from "./helpers/bench.js";

describe("bench/alarm-latency, tiny", () => {
  it("times BYPASS on the encryptor's line to the retained alarm, every iteration", async () => {
    const r = await runBench("alarm-latency", ["--iterations", "3", "--warmup", "1"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ bench: "alarm-latency", unit: "ms", summary: { n: 3 } });
    expect(r.json.summary.p99).toBeGreaterThan(0);
  }, 120_000);
});
