import { describe, expect, it } from "vitest";
import { siteHandle, type ForwardedSim } from "./site-handle.js";

describe("siteHandle", () => {
  it("forwards the simulator's own handle, read live, and adds its controls", async () => {
    const calls: string[] = [];
    const sim: ForwardedSim & { errors: Error[]; port: number } = {
      faults: { silent: false, garbage: false, slowMs: 0 },
      errors: [],
      port: 4000,
      unplug: async () => void calls.push("unplug"),
      replug: async () => void calls.push("replug"),
      close: async () => void calls.push("close"),
      describe: () => `sim on ${sim.port}`,
    };
    const h = siteHandle("demo", sim, { controlHelp: "  ping DEV", control: (verb) => (verb === "ping" ? "pong" : undefined) });
    sim.errors.push(new Error("later"));
    sim.port = 4001;
    expect(h).toMatchObject({ protocol: "demo", port: 4001, controlHelp: "  ping DEV" });
    expect(h.errors.map((e) => e.message)).toEqual(["later"]);
    expect(h.describe()).toBe("sim on 4001");
    expect(h.control?.("ping", [])).toBe("pong");
    h.faults.silent = true;
    expect(sim.faults.silent).toBe(true);
    await h.unplug();
    await h.replug();
    await h.close();
    expect(calls).toEqual(["unplug", "replug", "close"]);
  });
});
