/** The drivers' readiness judgements (pure): what a technician reads for each kind of wrong state. */
import { describe, expect, it } from "vitest";
import { readiness as visca } from "./visca/readiness.js";
import { readiness as mdc } from "./samsung-mdc/readiness.js";
import { readiness as enc1 } from "./enc1/readiness.js";
import { readiness as x32 } from "./x32/readiness.js";
import { readiness as firmata } from "./firmata/readiness.js";
import { readiness as novastar } from "./novastar/readiness.js";
import { readiness as tesira } from "./tesira/readiness.js";
import { readiness as codec } from "./codec/readiness.js";
import type { DriverReadiness } from "./readiness.js";

const judge = (spec: DriverReadiness, profile: unknown, state: Record<string, unknown>, options: Record<string, unknown> = {}) =>
  Object.fromEntries(spec.evaluate(spec.profile.parse(profile), state, options).map((i) => [i.key, `${i.result}${i.code ? ` ${i.code}` : ""}${i.message ? `: ${i.message}` : ""}`]));

describe("driver readiness", () => {
  it("camera: standby fails power and position (a stale position proves nothing); a preset alone warns when unknown", () => {
    const p = { power: "on", preset: 2, position: { pan: 100, tilt: 0 } };
    expect(judge(visca, p, { power: "standby", pan: 100, tilt: 0 })).toEqual({
      power: "fail power_off: expected on, got standby",
      position: "fail power_off: the camera is in standby: its position cannot be read",
    });
    expect(judge(visca, p, { power: "on", pan: 140, tilt: 0 }).position).toBe("fail off_position: not at the position: pan 140 (want 100 ± 16)");
    expect(judge(visca, { preset: 2 }, { power: "on", lastPreset: null }).preset).toMatch(/^warn preset_unknown/);
  });

  it("displays: judged per display of the chain, with the display in the fix", () => {
    const display = (over: Record<string, unknown>) => ({ power: "on", input: "hdmi1", blanked: false, noSync: false, temperatureError: false, fanFault: false, temperature: 40, ...over });
    const state = { displays: { left: display({ input: "hdmi2" }), right: display({ fanFault: true }) } };
    const items = mdc.evaluate(mdc.profile.parse({ input: "hdmi1", faults: "none" }), state, { displays: { left: 1, right: 2 } });
    expect(items.map((i) => `${i.key} ${i.result}`)).toEqual(["input.left fail", "faults.left pass", "input.right pass", "faults.right fail"]);
    expect(items[0]!.fix).toBe("input.select {input: hdmi1, display: left}");
    expect(items[3]).toMatchObject({ code: "fan_fault" });
  });

  it("encryptor: SECURE needs fresh heartbeats; an expiring key warns", () => {
    const p = { state: "SECURE", key: "valid" };
    expect(judge(enc1, p, { state: "SECURE", secure: false, key: "EXPIRING" })).toEqual({
      state: "fail not_secure: SECURE reported but heartbeats are not fresh",
      key: "warn key_expiring: the encryptor says the key expires soon",
    });
    expect(judge(enc1, p, { state: "BYPASS", secure: false, key: "NONE" }).key).toBe("fail key_invalid: key NONE");
  });

  it("audio: a muted mic and a silent one, in words", () => {
    const p = { channels: { mic: { muted: false, signal: true } } };
    expect(judge(x32, p, { channels: { mic: { muted: true, levelDb: 0, signalDb: -120 } } })).toEqual({
      "mic.muted": "fail muted: expected unmuted, got muted",
      "mic.signal": "fail no_signal: -120 dBFS is below the minimum -60 dBFS",
    });
  });

  it("codec: not registered in the device's own words, asleep, the mic muted; each with the action that fixes it", () => {
    const p = { registered: true, awake: true, mic: "unmuted" };
    const registration = { sip: { status: "failed", detail: "Failed: 403 Forbidden" }, h323: { status: "disabled", detail: "Off" } };
    expect(judge(codec, p, { registered: false, registration, standby: true, mic: { muted: true } })).toEqual({
      registered: "fail not_registered: expected registered, got not registered: sip: failed (Failed: 403 Forbidden)",
      awake: "fail standby: expected awake, got in standby",
      mic: "fail muted: expected unmuted, got muted",
    });
    const items = codec.evaluate(codec.profile.parse(p), { registered: false, standby: true, mic: { muted: true } }, {});
    expect(items.map((i) => i.fix)).toEqual([
      expect.stringContaining("SIP/H.323 settings"),
      "wake the codec: standby.set {on: false} (roomgate check --fix runs the prepare scene)",
      "mic.mute {on: false} (roomgate check --fix runs the prepare scene)",
    ]);
    expect(judge(codec, p, { registered: true, standby: false, mic: { muted: false } })).toEqual({ registered: "pass", awake: "pass", mic: "pass" });
    expect(judge(codec, { mic: "muted" }, { mic: { muted: false } })).toEqual({ mic: "fail not_muted: expected muted, got unmuted" });
    expect(codec.profile.safeParse({ registered: false }).success).toBe(false);
    expect(codec.profile.safeParse({ camera: 1 }).success).toBe(false);
  });

  it("GPIO: the door open and the rack too hot", () => {
    const p = { switches: { door: "closed" }, temperatures: { rack: { max: 40 } } };
    expect(judge(firmata, p, { switches: { door: "open" }, temperatures: { rack: 47.5 } })).toEqual({
      "switch.door": "fail open: expected closed, got open",
      "temperature.rack": "fail over_temperature: 47.5 °C is above the maximum 40 °C",
    });
  });

  it("cross-checks what the options name: an input the model lacks, a channel or a control that is not there", () => {
    expect(novastar.crossCheck!(novastar.profile.parse({ input: "sdi" }), { model: "mctrl4k" })).toEqual([
      { path: ["input"], message: "no input \"sdi\" on this model; known: dp, dvi, hdmi" },
    ]);
    const options = { channels: { program: { level: { tag: "Program Level" } } } };
    expect(tesira.crossCheck!(tesira.profile.parse({ channels: { program: { muted: false }, mics: { muted: false } } }), options).map((i) => i.message)).toEqual([
      "no channel \"mics\" in the device's options; known: program",
      "channel program has no mute control in options.channels",
    ]);
    expect(x32.crossCheck!(x32.profile.parse({ channels: { mic: { signal: true } } }), { channels: { mic: { path: "/ch/01" } } })[0]!.message).toMatch(/meters: true/);
  });

  it("planning with an empty state gives the same keys as a real read", () => {
    const p = { power: "on", position: { pan: 0, tilt: 0 } };
    expect(Object.keys(judge(visca, p, {}))).toEqual(Object.keys(judge(visca, p, { power: "on", pan: 0, tilt: 0 })));
    const o = { displays: { left: 1, right: 2 } };
    expect(mdc.evaluate(mdc.profile.parse({ power: "on" }), {}, o).map((i) => i.key)).toEqual(["power.left", "power.right"]);
    const c = { registered: true, awake: true, mic: "muted" };
    expect(judge(codec, c, {})).toEqual({ registered: "fail unknown: the device did not report it", awake: "fail unknown: the device did not report it", mic: "fail unknown: the device did not report it" });
  });
});
