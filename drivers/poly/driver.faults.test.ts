/**
 * The Poly driver against the Poly simulator's faults, on real links: registration lost and back,
 * a reboot (NUL, the prompt or banner again) over telnet, RS-232 and SSH, a refused password over telnet and SSH
 * (never provoking a lockout, never showing the password), garbage and silence, and the pace of
 * commands. Every wait is on an event and bounded.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { CodecState } from "../codec/vocabulary.js";
import type { DriverEvent } from "../types.js";
import { eventually, healthIs, next, PASSWORD, rig, type Rig } from "./test-harness.js";

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const REGISTRATIONS = ["notify callstatus", "notify mutestatus", "notify linestatus", "callstate register", "mute register", "volume register", "sleep register", "vcbutton register"];

/** Commands the codec received since index `from`. */
const since = (r: Rig, from: number) => r.sim.codec.received.slice(from).map((x) => x.text);

describe("Poly driver: faults", () => {
  it("registration lost: degraded/not_registered in the codec's words; back: ok", async () => {
    const r = await rig(cleanups, "tcp");
    expect(r.driver.health.status).toBe("ok");
    expect((await r.driver.poll()).registration).toEqual({
      sip: { status: "registered", detail: "sipserver online", server: "mcu.province.gov" },
      h323: { status: "registered", detail: "gatekeeper online", server: "10.10.0.10" },
    });
    r.sim.control("registration", ["h323", "off"]);
    const state = await r.driver.poll();
    expect(state).toMatchObject({ registered: false, registration: { h323: { status: "unregistered", detail: "gatekeeper offline" } } });
    expect(await healthIs(r.driver, (h) => h.status === "degraded")).toEqual({ status: "degraded", code: "not_registered", message: "h323: gatekeeper offline" });
    r.sim.control("registration", ["h323", "on"]);
    await r.driver.poll();
    await healthIs(r.driver, (h) => h.status === "ok");
  });

  it("a site without H.323: the gatekeeper is `disabled`, never a reason to degrade", async () => {
    const r = await rig(cleanups, "tcp", { registered: { sip: true, h323: false } }, { registrations: ["sip"] });
    expect(await r.driver.poll()).toMatchObject({ registered: true, registration: { h323: { status: "disabled" } } });
    expect(r.driver.health.status).toBe("ok");
  });

  for (const link of ["tcp", "serial", "ssh"] as const) {
    it(`reboot over ${link}: NUL, the prompt (SSH: the banner) again, a new login, and every registration made again`, async () => {
      const r = await rig(cleanups, link, { bootMs: 300 });
      const session = () => [...r.sim.codec.sessions][0]!;
      expect([...session().notify].sort()).toEqual(["callstatus", "linestatus", "mutestatus"]);
      await r.run("call.dial", { number: "8001" });
      const rebooted = next<DriverEvent>(r.driver, "event", (e) => e.type === "codec_rebooted");
      const dropped = next<DriverEvent>(r.driver, "event", (e) => e.type === "call.ended");
      const from = r.sim.codec.received.length;
      r.sim.control("reboot", []);
      await rebooted;
      expect((await dropped).data).toMatchObject({ local: false, cause: "codec rebooted" });
      await healthIs(r.driver, (h) => h.status === "unreachable" && h.code === "rebooting");
      await healthIs(r.driver, (h) => h.status === "ok");
      await eventually(() => REGISTRATIONS.every((c) => since(r, from).includes(c)), "every registration made again");
      expect(r.sim.codec.logins).toBe(link === "ssh" ? 0 : 2); // over SSH the transport logged in, once
      expect([...session().notify].sort()).toEqual(["callstatus", "linestatus", "mutestatus"]);
      expect([...session().registered].sort()).toEqual(["callstate", "mute", "sleep", "vcbutton", "volume"]);
      // And they work: a change at the codec is pushed again.
      const pushed = next<CodecState>(r.driver, "state", (s) => s.mic.muted);
      r.sim.control("mute", ["on"]);
      await pushed;
    });
  }

  it("registrations that survive a reboot (written to flash, P4): `already active` is success", async () => {
    const r = await rig(cleanups, "tcp", { bootMs: 100, registrationsSurviveReboot: true });
    r.sim.control("reboot", []);
    await healthIs(r.driver, (h) => h.code === "rebooting");
    await healthIs(r.driver, (h) => h.status === "ok");
    expect(r.records.filter((x) => x.msg === "the codec refused a read")).toEqual([]);
  });

  it("a unit that asks `Username:` first gets the user name, then the password", async () => {
    const r = await rig(cleanups, "tcp", { askUsername: true, username: "operator" }, { username: "operator" });
    expect(r.driver.health.status).toBe("ok");
    expect([r.sim.codec.logins, r.sim.codec.failedLogins]).toEqual([1, 0]);
  });

  it("a wrong password: fault/auth_failed, one attempt per authRetryMs, and the password never shows", async () => {
    const r = await rig(cleanups, "tcp", { password: "the-codec-s-own" });
    expect(r.driver.health).toMatchObject({ status: "fault", code: "auth_failed" });
    expect(r.events.map((e) => e.type)).toContain("auth_failed");
    const t0 = Date.now();
    await eventually(() => r.sim.codec.failedLogins >= 2, "a second attempt");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(700); // authRetryMs 1000, from the first refusal
    r.sim.control("password", [PASSWORD]); // the codec's password is put back
    await healthIs(r.driver, (h) => h.status === "ok", 5000);
    expect(r.sim.codec.failedLogins).toBeLessThanOrEqual(3);
    const seen = JSON.stringify([r.records, r.events, r.driver.health, await r.driver.poll()]);
    expect(seen).not.toContain(PASSWORD);
  });

  it("over SSH a refused login is the transport's: fault/auth_failed, and ok once the codec takes it", async () => {
    const r = await rig(cleanups, "ssh");
    expect(r.driver.health.status).toBe("ok");
    r.sim.control("password", ["changed-at-the-codec"]);
    await r.sim.unplug(); // the session ends; the next login is refused
    await r.sim.replug();
    await healthIs(r.driver, (h) => h.status === "fault" && h.code === "auth_failed");
    r.sim.control("password", [PASSWORD]);
    await healthIs(r.driver, (h) => h.status === "ok", 8000);
    expect(JSON.stringify([r.records, r.events])).not.toContain(PASSWORD);
  });

  it("garbage before replies: actions still work, and a garbled_line event says so", async () => {
    const r = await rig(cleanups, "tcp");
    r.sim.faults.garbage = true;
    expect(await r.run("volume.set", { percent: 80 })).toEqual({ percent: 80 });
    expect(await r.driver.poll()).toMatchObject({ volume: 80, registered: true });
    expect(r.events.filter((e) => e.type === "garbled_line")).toHaveLength(1); // one per 10 s, the rest counted at debug
    expect(r.driver.health.status).toBe("ok");
  });

  it("silence: the poll ends `timeout`, health unreachable/timeout; speaking again: ok", async () => {
    const r = await rig(cleanups, "tcp");
    r.sim.faults.silent = true;
    await expect(r.driver.poll()).rejects.toMatchObject({ code: "timeout" });
    expect(r.driver.health).toMatchObject({ status: "unreachable", code: "timeout" });
    r.sim.faults.silent = false;
    await r.driver.poll();
    await healthIs(r.driver, (h) => h.status === "ok");
  });

  it("commands go one at a time, at least 200 ms apart by default (P4)", async () => {
    const r = await rig(cleanups, "tcp", {}, { commandGapMs: undefined });
    const at = r.sim.codec.received.map((x) => x.at);
    expect(at.length).toBeGreaterThanOrEqual(10);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(199);
  });
});
