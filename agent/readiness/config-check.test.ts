/**
 * Bad room profiles and scenes are refused when the site file is loaded (issue 10, "Bad input"):
 * a profile naming a device the site does not have, or a state its driver does not have, and a
 * scene step naming an action the driver refuses, each a ConfigError naming the file, the dotted
 * path, the reason and the line. Real files, the real loader and the real driver modules.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError, loadSiteConfig } from "../../config/load.js";
import { checkDevices } from "../drivers.js";
import { readinessConfigIssues } from "./config-check.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "roomgate-profile-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A site with a camera, an LED wall and a Tesira DSP; `profile` and `steps` are the room's lines. */
function site(profile: string, steps = "          - { device: cam, action: home }"): string {
  return `site: s1
broker: { url: "mqtt://127.0.0.1:1883" }
rooms:
  hall:
    profile:
      devices:
${profile}
    scenes:
      prepare:
        steps:
${steps}
devices:
  cam: { kind: camera, protocol: visca, room: hall, transport: { type: udp, host: 127.0.0.1, port: 52381 } }
  wall: { kind: ledwall, protocol: novastar, room: hall, transport: { type: tcp, host: 127.0.0.1, port: 5200 } }
  dsp:
    kind: audio
    protocol: tesira
    room: hall
    transport: { type: tcp, host: 127.0.0.1, port: 2323 }
    options: { channels: { mics: { mute: { tag: MicMute, index: 1 } } } }
`;
}

/** Loads and checks a file as `roomgate config validate` and the agent do; the ConfigError it throws. */
async function refusal(name: string, text: string): Promise<ConfigError> {
  const file = join(dir, name);
  await writeFile(file, text);
  try {
    await checkDevices(await loadSiteConfig(file), file);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`${name} was accepted`);
}

describe("room profiles and scenes in the site file", () => {
  it("a valid profile and scene pass", async () => {
    const file = join(dir, "good.yaml");
    await writeFile(file, site("        cam: { power: on }\n        wall: { input: hdmi }\n        dsp: { channels: { mics: { muted: false } } }"));
    await expect(checkDevices(await loadSiteConfig(file), file)).resolves.toBeUndefined();
  });

  it("a profile naming a device the site does not have names its path and line", async () => {
    const err = await refusal("nodev.yaml", site("        cam: { power: on }\n        projector: { power: on }"));
    expect(err.code).toBe("bad_config");
    expect(err.issues).toEqual([expect.objectContaining({ path: "rooms.hall.profile.devices.projector", message: expect.stringContaining('no device "projector"'), line: 8 })]);
    expect(err.message).toContain(`${join(dir, "nodev.yaml")}: rooms.hall.profile.devices.projector: no device "projector"`);
  });

  it("a state the driver does not have is refused with the driver's reason, at its path and line", async () => {
    const err = await refusal("nostate.yaml", site("        cam: { power: on }\n        wall: { power: on, input: hdmi }\n        dsp: { channels: { mics: { muted: false, signal: true } } }"));
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(["rooms.hall.profile.devices.dsp.channels.mics.signal", "rooms.hall.profile.devices.wall.power"]);
    expect(byPath["rooms.hall.profile.devices.wall.power"]).toMatchObject({ message: expect.stringContaining("no power register"), line: 8 });
    expect(byPath["rooms.hall.profile.devices.dsp.channels.mics.signal"]).toMatchObject({ message: expect.stringContaining("reads no meters"), line: 9 });
  });

  it("a key no driver knows and a channel the device's options do not name are refused too", async () => {
    const err = await refusal("unknown.yaml", site("        cam: { power: on, colour: red }\n        dsp: { channels: { choir: { muted: false } } }"));
    const paths = err.issues.map((i) => i.path).sort();
    expect(paths).toEqual(["rooms.hall.profile.devices.cam", expect.stringMatching(/^rooms\.hall\.profile\.devices\.dsp\.channels\.choir/)]);
    // An unknown key is reported at its map (the site file's convention), the key named, its line given.
    expect(err.issues.find((i) => i.path.endsWith(".cam"))).toMatchObject({ message: 'unknown key "colour"', line: 7 });
    expect(err.issues.find((i) => i.path.includes("choir"))?.message).toContain("mics");
  });

  it("a scene step with an action the driver does not have, or args it refuses, names the step", async () => {
    const steps = "          - { device: cam, action: home }\n          - { device: wall, action: input.sellect, args: { input: hdmi } }\n          - { device: cam, action: preset.recall, args: { preset: -1 } }";
    const err = await refusal("scene.yaml", site("        cam: { power: on }", steps));
    const byPath = Object.fromEntries(err.issues.map((i) => [i.path, i]));
    expect(byPath["rooms.hall.scenes.prepare.steps.1.action"]).toMatchObject({ message: expect.stringContaining('has no action "input.sellect"'), line: 12 });
    expect(Object.keys(byPath)).toContain("rooms.hall.scenes.prepare.steps.2.args.preset");
  });
});

describe("a codec's test call in the site file", () => {
  it("dials only what the codec vocabulary's call.dial accepts, refused at its path and line", async () => {
    const text = `site: s1
broker: { url: "mqtt://127.0.0.1:1883" }
rooms:
  hall: { profile: {} }
devices:
  codec-1:
    kind: codec
    protocol: poly
    room: hall
    transport: { type: tcp, host: 127.0.0.1, port: 24 }
    calls:
      testCall: { number: "9999 ; hangup all" }
`;
    const file = join(dir, "testcall.yaml");
    await writeFile(file, text);
    const config = await loadSiteConfig(file);
    const { fileLocator } = await import("../../config/load.js");
    const issues = await readinessConfigIssues(config, () => undefined, await fileLocator(file));
    expect(issues).toEqual([
      expect.objectContaining({ path: "devices.codec-1.calls.testCall.number", message: expect.stringContaining("expected a dial string"), line: 12 }),
    ]);
  });
});
