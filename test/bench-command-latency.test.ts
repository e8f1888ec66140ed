/** bench/command-latency, tiny: its plumbing runs (issue 24: a bench that cannot run is caught here). */
import { describe, expect, it } from "vitest";
import { runBench } from "./helpers/bench.js";
import { itWith, toolPath } from "./helpers/tools.js";

describe("bench/command-latency, tiny", () => {
  it("measures every mode end to end and reports each with its percentiles", async () => {
    const r = await runBench("command-latency", ["--iterations", "3", "--warmup", "1", "--json-only"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.bench).toBe("command-latency");
    const modes = r.json.modes ?? r.json.results ?? r.json;
    const text = JSON.stringify(modes);
    for (const mode of ["direct", "ping", "idle", "back-to-back"]) expect(text).toContain(`"${mode}"`);
    expect(text).toMatch(/"p99":\d/);
  }, 120_000);

  itWith("mosquitto")("measures the same path through Mosquitto, with the broker's CPU per command", async () => {
    const r = await runBench("command-latency", ["--iterations", "3", "--warmup", "1", "--mode", "idle", "--broker", "mosquitto", "--json-only"], 120_000, {
      ROOMGATE_MOSQUITTO: toolPath("mosquitto"),
    });
    expect(r.code, r.stderr).toBe(0);
    const text = JSON.stringify(r.json);
    expect(text).toContain('"broker":"mosquitto"');
    expect(text).toMatch(/"brokerMsPerCommand":\d/);
    expect(text).toMatch(/"p50":\d/);
  }, 120_000);
});
