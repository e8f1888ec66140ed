import { describe, expect, it } from "vitest";
import { runSteps } from "./scenes.js";
import { DeviceError } from "../drivers/types.js";
import { sceneSchema } from "../config/readiness.js";
import { fakeClock } from "../test/helpers/clock.js";

const scene = (steps: unknown[], onFailure?: "stop" | "continue") => sceneSchema.parse({ steps, ...(onFailure ? { onFailure } : {}) });

function deps(failOn: string[] = []) {
  const clock = fakeClock();
  const ran: string[] = [];
  return {
    clock,
    ran,
    d: {
      clock,
      run: async (device: string, action: string) => {
        ran.push(`${device} ${action}@${clock.now() - 1_700_000_000_000}`);
        if (failOn.includes(device)) throw new DeviceError("timeout", `${device} did not answer`);
      },
      verify: async (devices: string[]) => (devices.includes("bad") ? ["bad.power: expected on, got standby"] : []),
    },
  };
}

describe("scene steps", () => {
  it("run in order, waits on the clock, and report each step", async () => {
    const { clock, ran, d } = deps();
    const sc = scene([{ device: "cam", action: "power", args: { on: true } }, { wait: 1500 }, { device: "led", action: "blank.set" }, { verify: "cam" }]);
    const run = runSteps(sc.steps, sc.onFailure, d);
    await clock.tickAsync(1500);
    const steps = await run;
    expect(ran).toEqual(["cam power@0", "led blank.set@1500"]);
    expect(steps.map((s) => `${s.kind} ${s.status} ${s.durationMs}`)).toEqual(["action ok 0", "wait ok 1500", "action ok 0", "verify ok 0"]);
  });

  it("stop: a failing step ends the scene and the rest are reported skipped", async () => {
    const { ran, d } = deps(["cam"]);
    const sc = scene([{ device: "cam", action: "power" }, { device: "led", action: "blank.set" }]);
    const steps = await runSteps(sc.steps, sc.onFailure, d);
    expect(ran).toEqual(["cam power@0"]);
    expect(steps.map((s) => s.status)).toEqual(["error", "skipped"]);
    expect(steps[0]!.error).toEqual({ code: "timeout", message: "cam did not answer" });
  });

  it("continue (scene or step): the next step runs anyway; a verify that finds failures fails its step", async () => {
    const { ran, d } = deps(["cam"]);
    const sc = scene([{ device: "cam", action: "power", onFailure: "continue" }, { verify: ["bad"] }, { device: "led", action: "blank.set" }]);
    const steps = await runSteps(sc.steps, sc.onFailure, d);
    expect(ran).toEqual(["cam power@0"]);
    expect(steps.map((s) => s.status)).toEqual(["error", "error", "skipped"]);
    expect(steps[1]).toMatchObject({ kind: "verify", error: { code: "verify_failed" }, failing: ["bad.power: expected on, got standby"] });
    const all = scene(sc.steps, "continue");
    expect((await runSteps(all.steps, all.onFailure, deps(["cam"]).d)).map((s) => s.status)).toEqual(["error", "error", "ok"]);
  });
});
