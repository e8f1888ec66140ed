/** bench/module-costs, tiny: its plumbing runs (issue 24: a bench that cannot run is caught here). */
import { describe, expect, it } from "vitest";
import { runBench } from "./helpers/bench.js";

describe("bench/module-costs, tiny", () => {
  it("measures libraries alone, in the agent's order and drivers over the agent's core, with the gateway's flags", async () => {
    const r = await runBench("module-costs", ["--repeats", "1", "--drivers", "visca,cisco", "--json-only"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ bench: "module-costs", flags: ["--lite-mode", "--max-semi-space-size=1", "--expose-gc"] });
    expect(r.json.alone.map((x: { label: string }) => x.label)).toEqual(["bare node", "zod", "yaml", "mqtt/lib/client", "pino", "serialport", "ssh2", "net-snmp", "firmata-io"]);
    expect(r.json.order.at(-1).label).toMatch(/^agent core/);
    expect(r.json.drivers.map((x: { label: string }) => x.label.split(" ")[0])).toEqual(["agent", "visca", "cisco"]);
    for (const row of [...r.json.alone, ...r.json.order, ...r.json.drivers]) expect(row.figures.rssMb).toBeGreaterThan(20);
  }, 120_000);
});
