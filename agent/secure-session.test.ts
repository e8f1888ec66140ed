import { describe, expect, it } from "vitest";
import { AlarmManager } from "./alarms.js";
import { SecureSessions } from "./secure-session.js";
import { siteConfigSchema } from "../config/site.js";
import { DeviceError } from "../drivers/types.js";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";

const config = siteConfigSchema.parse({
  site: "s1",
  broker: { url: "mqtt://127.0.0.1:1883" },
  rooms: {
    hall: {
      secure: {
        encryptor: "enc-1",
        schedule: [
          { start: "2023-11-14T22:15:00Z", end: "2023-11-14T23:00:00Z" },
          { start: "2023-11-15T01:00:00Z", end: "2023-11-15T02:00:00Z" },
        ],
        failsafe: [
          { device: "led", action: "blank.set", args: { on: true } },
          { device: "cam", action: "preset.recall", args: { preset: 9 } },
          { device: "mixer", action: "mute.set", args: { channel: "program", on: true } },
        ],
      },
    },
  },
  devices: Object.fromEntries(
    ["enc-1", "led", "cam", "mixer"].map((id, i) => [id, { kind: "camera", protocol: "visca", transport: { type: "udp", host: "127.0.0.1", port: 1000 + i } }]),
  ),
});

function setup() {
  const clock = fakeClock();
  const states = new Map<string, Record<string, unknown>>();
  const ran: string[] = [];
  const events: { type: string; data: Record<string, unknown> }[] = [];
  const retained = new Map<string, unknown>();
  const alarms = new AlarmManager({ site: "s1", clock, logger: memoryLogger(), sink: { retained: (id, a) => retained.set(id, a), event: (type, _d, data) => events.push({ type, data }) } });
  const s = new SecureSessions({
    config, alarms, clock, logger: memoryLogger(),
    stateOf: (d) => states.get(d),
    run: async (device, action) => {
      ran.push(`${device} ${action}`);
      if (device === "cam") throw new DeviceError("timeout", "camera did not answer");
      return { ok: true };
    },
    event: (type, data) => events.push({ type, data }),
  });
  const ctx = { signal: new AbortController().signal, deadline: clock.now() + 5000, user: "op-anna" };
  const set = (state: string) => {
    states.set("enc-1", { state, secure: state === "SECURE" });
    s.onDeviceState("enc-1");
  };
  return { s, set, ran, events, retained, ctx, alarms, clock };
}

describe("secure session interlock", () => {
  it("refuses to start unless the encryptor is SECURE now, with the reason", async () => {
    const { s, set, ctx } = setup();
    const start = s.actions()["session.start"]!;
    await expect(start.run({ classified: true }, ctx)).rejects.toThrow(/no status from the encryptor yet/);
    set("TUNNEL_DOWN");
    await expect(start.run({ classified: true }, ctx)).rejects.toMatchObject({ code: "busy", message: expect.stringMatching(/TUNNEL_DOWN/) });
    set("SECURE");
    await expect(start.run({ classified: true }, ctx)).resolves.toEqual({ room: "hall", started: true });
    expect(start.args.safeParse({ classified: false }).success).toBe(false);
  });

  it("on BYPASS: a critical not_secure alarm at once, every fail-safe step run and reported, nothing undone when SECURE returns", async () => {
    const { s, set, ran, events, retained, ctx } = setup();
    set("SECURE");
    await s.actions()["session.start"]!.run({ classified: true }, ctx);
    set("BYPASS");
    // Synchronous with the state: the alarm is raised before anything else runs.
    expect(retained.get("hall-not-secure")).toMatchObject({ severity: "critical", code: "not_secure", device: "enc-1" });
    await s.settled();
    expect(ran).toEqual(["led blank.set", "cam preset.recall", "mixer mute.set"]);
    const report = events.find((e) => e.type === "session.failsafe")!.data;
    expect(report.failed).toBe(1);
    expect((report.steps as { status: string }[]).map((x) => x.status)).toEqual(["ok", "error", "ok"]);
    set("UNKNOWN"); // still tripped: the alarm says so, the steps do not run twice
    await s.settled();
    expect(ran).toHaveLength(3);
    set("SECURE");
    expect(retained.get("hall-not-secure")).toMatchObject({ code: "not_secure" });
    await s.actions()["session.resume"]!.run({}, ctx);
    expect(retained.get("hall-not-secure")).toBeNull();
  });

  it("resume is refused while not SECURE; end clears the alarm", async () => {
    const { s, set, retained, ctx } = setup();
    set("SECURE");
    await s.actions()["session.start"]!.run({ classified: true }, ctx);
    set("KEY_EXPIRED");
    await s.settled();
    await expect(s.actions()["session.resume"]!.run({}, ctx)).rejects.toThrow(/KEY_EXPIRED/);
    await s.actions()["session.end"]!.run({}, ctx);
    expect(retained.get("hall-not-secure")).toBeNull();
    expect(s.status()).toMatchObject({ rooms: { hall: { secure: false, session: null } } });
  });

  it("the schedule starts and ends a session by itself; a window that finds the encryptor not SECURE raises session_not_started", async () => {
    const t = setup();
    const clock = t.clock;
    t.set("SECURE");
    t.s.startSchedule();
    // fakeClock starts at 2023-11-14T22:13:20Z: the first window opens within two checks.
    await clock.tickAsync(2 * 60_000);
    expect(t.s.status()).toMatchObject({ rooms: { hall: { session: { startedBy: "schedule" } } } });
    await clock.tickAsync(45 * 60_000);
    expect(t.s.status()).toMatchObject({ rooms: { hall: { session: null } } });
    t.set("TUNNEL_DOWN");
    await clock.tickAsync(2 * 3600_000);
    expect(t.retained.get("hall-session-not-started")).toMatchObject({ severity: "major", code: "session_not_started" });
    expect(t.events.some((e) => e.type === "session.refused")).toBe(true);
    await clock.tickAsync(3600_000);
    expect(t.retained.get("hall-session-not-started")).toBeNull();
    t.s.stopSchedule();
  });
});
