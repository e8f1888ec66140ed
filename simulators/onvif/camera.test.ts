import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { OnvifCamera } from "./camera.js";
import { FaultError } from "./soap.js";

function camera(opts: { forced?: string | null } = {}) {
  const clock = fakeClock();
  const cam = new OnvifCamera({ clock, speed: 0.5, forcedFault: () => opts.forced ?? null });
  return { clock, cam };
}

function faultOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FaultError) return `${err.fault.code} ${err.fault.subcodes.join(" ")}`;
    throw err;
  }
  throw new Error("no fault");
}

describe("OnvifCamera motion on the clock", () => {
  it("recalls a preset at 0.5 units/s per axis and reports MOVING until every axis is there", async () => {
    const { clock, cam } = camera();
    cam.gotoPreset("3"); // pan -0.6, tilt 0.1, zoom 0.2
    expect(cam.moveStatus()).toEqual({ panTilt: "MOVING", zoom: "MOVING" });
    await clock.tickAsync(400); // zoom done (0.2 at 0.5/s), tilt done (0.1)
    expect(cam.position()).toEqual({ pan: -0.2, tilt: 0.1, zoom: 0.2 });
    expect(cam.moveStatus()).toEqual({ panTilt: "MOVING", zoom: "IDLE" });
    await clock.tickAsync(800);
    expect(cam.position()).toEqual({ pan: -0.6, tilt: 0.1, zoom: 0.2 });
    expect(cam.moving()).toBe(false);
  });

  it("a Speed factor scales the rate", async () => {
    const { clock, cam } = camera();
    cam.absoluteMove({ pan: 1 }, { panTilt: 0.5 });
    await clock.tickAsync(1000);
    expect(cam.position().pan).toBe(0.25);
  });

  it("continuous move runs until its timeout, clamps at the end stop and is IDLE there", async () => {
    const { clock, cam } = camera();
    cam.continuousMove({ pan: -1, zoom: 1 }, 1500);
    await clock.tickAsync(1000);
    expect(cam.position()).toEqual({ pan: -0.5, tilt: 0, zoom: 0.5 });
    await clock.tickAsync(2000);
    expect(cam.position()).toEqual({ pan: -0.75, tilt: 0, zoom: 0.75 });
    expect(cam.moving()).toBe(false);
    cam.continuousMove({ zoom: 1 }, 60_000);
    await clock.tickAsync(600); // reaches zoom 1 after 500 ms
    expect(cam.position().zoom).toBe(1);
    expect(cam.moveStatus().zoom).toBe("IDLE");
  });

  it("a zero velocity and Stop stop the axis where it is; absent axes keep going", async () => {
    const { clock, cam } = camera();
    cam.continuousMove({ pan: 1, tilt: 1, zoom: 1 }, 10_000);
    await clock.tickAsync(200);
    cam.continuousMove({ zoom: 0 }, 10_000);
    await clock.tickAsync(200);
    expect(cam.position()).toEqual({ pan: 0.2, tilt: 0.2, zoom: 0.1 });
    cam.stop(true, false);
    await clock.tickAsync(1000);
    expect(cam.position()).toEqual({ pan: 0.2, tilt: 0.2, zoom: 0.1 });
  });

  it("relative moves stop at the border; absolute moves out of range are ter:InvalidPosition", async () => {
    const { clock, cam } = camera();
    cam.relativeMove({ pan: 1.8, zoom: -0.5 });
    await clock.tickAsync(5000);
    expect(cam.position()).toEqual({ pan: 1, tilt: 0, zoom: 0 });
    expect(faultOf(() => cam.absoluteMove({ zoom: 1.5 }))).toBe("Sender ter:InvalidArgVal ter:InvalidPosition");
  });

  it("home: goes to 0,0,0 until SetHomePosition stores another", async () => {
    const { clock, cam } = camera();
    cam.absoluteMove({ pan: 0.5, tilt: 0.5, zoom: 0.5 });
    await clock.tickAsync(2000);
    cam.setHome();
    cam.absoluteMove({ pan: -0.5 });
    await clock.tickAsync(2000);
    cam.gotoHome();
    await clock.tickAsync(2000);
    expect(cam.position()).toEqual({ pan: 0.5, tilt: 0.5, zoom: 0.5 });
  });
});

describe("OnvifCamera presets", () => {
  it("SetPreset stores the position under the first free token, renames and overwrites by token", async () => {
    const { clock, cam } = camera();
    cam.absoluteMove({ pan: 0.3 });
    await clock.tickAsync(1000);
    expect(cam.setPreset("Door", undefined)).toBe("4");
    expect(cam.presets().at(-1)).toEqual({ token: "4", name: "Door", pan: 0.3, tilt: 0, zoom: 0 });
    expect(cam.setPreset(undefined, "4")).toBe("4");
    expect(cam.presets().at(-1)?.name).toBe("Door");
    cam.removePreset("2");
    expect(cam.setPreset(undefined, undefined)).toBe("2");
    expect(cam.presets().find((p) => p.token === "2")?.name).toBe("Preset 2");
  });

  it("refuses to store while moving (ter:MovingPTZ), unknown tokens (ter:NoToken) and a full table", () => {
    const { cam } = camera();
    cam.continuousMove({ pan: 1 }, 1000);
    expect(faultOf(() => cam.setPreset("x", undefined))).toBe("Receiver ter:Action ter:MovingPTZ");
    cam.stop();
    expect(faultOf(() => cam.gotoPreset("99"))).toBe("Sender ter:InvalidArgVal ter:NoToken");
    expect(faultOf(() => cam.removePreset("99"))).toBe("Sender ter:InvalidArgVal ter:NoToken");
    expect(faultOf(() => cam.setPreset("x", "99"))).toBe("Sender ter:InvalidArgVal ter:NoToken");
    const small = new OnvifCamera({ clock: fakeClock(), maxPresets: 3 });
    expect(faultOf(() => small.setPreset("x", undefined))).toBe("Receiver ter:Action ter:TooManyPresets");
  });

  it("a forced PTZ fault answers motion and preset commands", () => {
    const { cam } = camera({ forced: "MovingPTZ" });
    expect(faultOf(() => cam.gotoPreset("1"))).toBe("Receiver ter:Action ter:MovingPTZ");
    expect(faultOf(() => cam.continuousMove({ pan: 1 }, 1000))).toBe("Receiver ter:Action ter:MovingPTZ");
    expect(cam.position()).toEqual({ pan: 0, tilt: 0, zoom: 0 });
  });
});
