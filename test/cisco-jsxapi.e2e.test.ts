/**
 * Cisco's own Node client, jsxapi (C2), against our Cisco simulator over SSH: the simulator checked
 * by the vendor's library, not only by our driver. jsxapi logs in (keyboard-interactive), waits for
 * the welcome's `OK`, turns echo off and JSON mode on, then reads status, registers feedback,
 * dials and hangs up. Real SSH on loopback, real clock; every wait is on an event and bounded.
 */
import jsxapi from "jsxapi";
import { afterEach, describe, expect, it } from "vitest";
import { startCiscoSimulator, type CiscoSimHandle } from "../simulators/cisco/index.js";

type XAPI = ReturnType<typeof jsxapi.connect>;

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Feedback {
  on(listener: (v: never) => void): (() => void) & { registration: Promise<unknown> };
}

/** A feedback listener, registered (the codec acknowledged it) before this resolves; `until` waits on what it hears. */
async function watch<T = unknown>(node: unknown): Promise<{ values: T[]; until(match: (v: T) => boolean, what: string, ms?: number): Promise<T> }> {
  const values: T[] = [];
  const waiters = new Set<() => void>();
  const off = (node as Feedback).on(((v: T) => {
    values.push(v);
    for (const w of [...waiters]) w();
  }) as (v: never) => void);
  cleanups.push(() => off());
  await off.registration;
  return {
    values,
    until: (match, what, ms = 5000) =>
      new Promise<T>((resolve, reject) => {
        const check = () => {
          const hit = values.find(match);
          if (hit === undefined) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no ${what} within ${ms} ms; heard ${JSON.stringify(values)}`));
        }, ms);
        waiters.add(check);
        check();
      }),
  };
}

async function connected(sim: CiscoSimHandle): Promise<{ xapi: XAPI; errors: unknown[] }> {
  const xapi = jsxapi.connect(`ssh://127.0.0.1`, { port: sim.port, username: "admin", password: "cisco", loglevel: "error" });
  const errors: unknown[] = [];
  xapi.on("error", (e: unknown) => errors.push(e)); // jsxapi re-emits transport errors; without a listener they would throw
  cleanups.push(() => {
    xapi.close();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`jsxapi not ready within 5 s; errors ${JSON.stringify(errors)}`)), 5000);
    xapi.on("ready", () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return { xapi, errors };
}

describe("jsxapi (Cisco's client) against the Cisco simulator over SSH", () => {
  it("reads Status Call and audio, dials, gets call feedback and events, and sees the call go as a ghost", async () => {
    const sim = await startCiscoSimulator({ link: "ssh", port: 0, numbers: { "8001@mcu.prov": { kind: "answer", ringMs: 200, name: "District 11" } } });
    cleanups.push(() => sim.close());
    const { xapi, errors } = await connected(sim);

    expect(await xapi.Status.Call.get()).toBeUndefined(); // no calls: the list is absent
    expect(await xapi.Status.Audio.Microphones.Mute.get()).toBe("Off");
    expect(await xapi.Status.SIP.Registration[1].Status.get()).toBe("Registered");
    expect(sim.shells[0]!.received.slice(0, 2)).toEqual(["echo off", "xpreferences outputmode json"]);

    const calls = await watch<Record<string, unknown>>(xapi.Status.Call); // jsxapi hands each list entry on its own
    const successful = await watch<Record<string, unknown>>(xapi.Event.CallSuccessful);
    const disconnects = await watch<Record<string, unknown>>(xapi.Event.CallDisconnect);
    expect(sim.shells[0]!.registrations.map((r) => `/${r.join("/")}`)).toEqual(["/Status/Call", "/Event/CallSuccessful", "/Event/CallDisconnect"]);

    const dial = await xapi.Command.Dial({ Number: "8001@mcu.prov", Protocol: "Sip", CallRate: 1920 });
    expect(dial).toEqual({ status: "OK", CallId: "1", ConferenceId: "1" });
    await calls.until((c) => JSON.stringify(c).includes('"Status":"Connected"'), "Connected feedback");
    expect(calls.values[0]).toMatchObject({ id: "1", Status: "Dialling", Direction: "Outgoing", RemoteNumber: "8001@mcu.prov", DisplayName: "District 11" });
    expect(await xapi.Status.Call[1].Status.get()).toBe("Connected");
    expect(await successful.until(() => true, "CallSuccessful")).toMatchObject({ CallId: "1", Protocol: "sip", Direction: "outgoing", CallRate: "1920" });
    const media = (await xapi.Status.MediaChannels.Call[1].get()) as { Channel: { Type: string; Netstat: Record<string, string> }[] };
    expect(media.Channel.map((c) => c.Type)).toEqual(["Audio", "Audio", "Video", "Video"]);
    expect(media.Channel[0]!.Netstat).toMatchObject({ LastIntervalLost: "0", LastIntervalReceived: "250" });

    expect(await xapi.Command.Call.Disconnect({ CallId: 1 })).toEqual({ status: "OK" });
    expect(await calls.until((c) => JSON.stringify(c).includes('"ghost":"True"'), "ghost feedback")).toEqual({ id: "1", ghost: "True" });
    expect(await disconnects.until(() => true, "CallDisconnect")).toMatchObject({ CallId: "1", CauseType: "LocalDisconnect", OrigCallDirection: "outgoing" });
    expect(await xapi.Status.Call.get()).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it("sets volume, mute and standby, and hears the change made at the codec as feedback", async () => {
    const sim = await startCiscoSimulator({ link: "ssh", port: 0 });
    cleanups.push(() => sim.close());
    const { xapi, errors } = await connected(sim);
    await xapi.Command.Audio.Volume.Set({ Level: 35 });
    await xapi.Command.Audio.Microphones.Mute();
    await xapi.Command.Standby.Activate();
    expect([sim.codec.volume, sim.codec.muted, sim.codec.standby]).toEqual([35, true, "Standby"]);
    expect(await xapi.Status.Standby.State.get()).toBe("Standby");

    const volume = await watch(xapi.Status.Audio.Volume);
    sim.control("volume", ["80"]); // someone at the touch panel
    expect(await volume.until((v) => v === "80", "volume feedback")).toBe("80");
    await expect(xapi.Command.Audio.Volume.Set({ Level: 101 })).rejects.toMatchObject({ message: "Invalid or missing parameters" });
    expect(errors).toEqual([]);
  });
});
