/** bench/agent-footprint, tiny: its plumbing runs (issue 24: a bench that cannot run is caught here). */
import { describe, expect, it } from "vitest";
import { runBench } from "./helpers/bench.js";

describe("bench/agent-footprint, tiny", () => {
  it("starts the agent with its devices, samples its memory and CPU, and stops it", async () => {
    const r = await runBench("agent-footprint", ["--seconds", "2", "--warmup", "1", "--devices", "2", "--serial", "1", "--no-modules", "--json-only"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.bench).toBe("agent-footprint");
    const text = JSON.stringify(r.json);
    expect(text).toMatch(/"rssMb":\{"atSpawn":[\d.]+,"start":[\d.]+/);
    expect(text).toContain('"notOkAtEnd":[]');
    expect(r.json.rssGrowth).toMatchObject({ windowS: expect.any(Number), firstMinuteMb: expect.any(Number), lastMinuteMb: expect.any(Number), slopeMbPerHour: expect.any(Number) });
  }, 120_000);
});
