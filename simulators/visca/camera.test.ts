import { describe, it, expect } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { decodeRequest } from "../../drivers/visca/codec.js";
import { ViscaCamera, type ViscaCameraOptions } from "./camera.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const show = (b: Buffer): string => b.toString("hex").toUpperCase().replace(/(..)(?!$)/g, "$1 ");

/** A camera on a fake clock; `send` feeds raw bytes, `out` collects every frame it writes. */
function rig(options: ViscaCameraOptions = {}): { clock: FakeClock; cam: ViscaCamera; out: string[]; send: (s: string, origin?: unknown) => void; origins: unknown[] } {
  const clock = fakeClock();
  const out: string[] = [];
  const origins: unknown[] = [];
  const cam = new ViscaCamera({ clock, ...options }, (frame, origin) => {
    out.push(show(frame));
    origins.push(origin);
  });
  return { clock, cam, out, origins, send: (s, origin) => cam.handle(decodeRequest(hex(s)), origin) };
}

describe("ViscaCamera: replies of PROTOCOLS.md", () => {
  it("power on while on: ACK then Completion at once", () => {
    const { send, out } = rig();
    send("81 01 04 00 02 FF");
    expect(out).toEqual(["90 41 FF", "90 51 FF"]);
  });

  it("power inquiry answers 90 50 02 FF when on, 03 in standby", () => {
    const { send, out } = rig();
    send("81 09 04 00 FF");
    send("81 01 04 00 03 FF");
    send("81 09 04 00 FF");
    expect(out).toEqual(["90 50 02 FF", "90 41 FF", "90 51 FF", "90 50 03 FF"]);
  });

  it("in standby a command gets 90 61 41 FF (not executable); inquiries still answer", () => {
    const { send, out } = rig({ power: "standby" });
    send("81 01 04 3F 02 05 FF");
    send("81 09 04 47 FF");
    expect(out).toEqual(["90 61 41 FF", "90 50 00 00 00 00 FF"]);
  });

  it("unknown command -> 90 60 02 FF; bad length -> 90 60 01 FF", () => {
    const { cam, send, out } = rig();
    send("81 01 04 00 09 FF");
    cam.handle(decodeRequest(hex("81 01 04 00 02")));
    expect(out).toEqual(["90 60 02 FF", "90 60 01 FF"]);
  });

  it("frames for another camera on the chain get no answer", () => {
    const { send, out } = rig();
    send("82 01 04 00 02 FF");
    expect(out).toEqual([]);
  });
});

describe("ViscaCamera: timing on the fake clock", () => {
  it("boot: power on from standby completes after bootMs; commands meanwhile get 6s 41; then y0 38 FF", async () => {
    const { clock, cam, send, out } = rig({ power: "standby", bootMs: 2000, announceNetworkChange: true });
    send("81 01 04 00 02 FF");
    expect(out).toEqual(["90 41 FF"]);
    expect(cam.power).toBe("booting");
    await clock.tickAsync(1000);
    send("81 01 04 07 02 FF");
    send("81 09 04 00 FF");
    expect(out.slice(1)).toEqual(["90 62 41 FF", "90 50 02 FF"]);
    await clock.tickAsync(999);
    expect(out).toHaveLength(3);
    await clock.tickAsync(1);
    expect(out.slice(3)).toEqual(["90 51 FF", "90 38 FF"]);
    expect(cam.power).toBe("on");
  });

  it("preset recall: ACK at once, Completion after recallMs, position arrives", async () => {
    const { clock, cam, send, out } = rig({ recallMs: 1500 });
    send("81 01 06 02 18 14 00 01 00 00 00 00 08 00 FF"); // pan 0x100, tilt 0x80
    await clock.tickAsync(10_000);
    send("81 01 04 47 02 00 00 00 FF"); // zoom 0x2000
    await clock.tickAsync(10_000);
    send("81 01 04 3F 01 05 FF"); // set preset 5
    send("81 01 06 04 FF"); // home
    send("81 01 04 47 00 00 00 00 FF"); // zoom wide end
    await clock.tickAsync(10_000);
    out.length = 0;
    send("81 01 04 3F 02 05 FF");
    expect(out).toEqual(["90 41 FF"]);
    await clock.tickAsync(750);
    expect(cam.position()).toEqual({ pan: 0x80, tilt: 0x40, zoom: 0x1000 });
    await clock.tickAsync(749);
    expect(out).toEqual(["90 41 FF"]);
    await clock.tickAsync(1);
    expect(out).toEqual(["90 41 FF", "90 51 FF"]);
    send("81 09 06 12 FF");
    send("81 09 04 47 FF");
    expect(out.slice(2)).toEqual(["90 50 00 01 00 00 00 00 08 00 FF", "90 50 02 00 00 00 FF"]);
  });

  it("absolute move time is proportional to distance and the slower axis", async () => {
    // 100 units/s per speed step: pan speed 10 -> 1000 u/s; 2000 units -> 2 s. Tilt 100 units at speed 1 -> 1 s.
    const { clock, send, out } = rig();
    send("81 01 06 02 0A 01 00 07 0D 00 00 00 06 04 FF"); // pan 0x07D0 = 2000, tilt 0x64 = 100
    await clock.tickAsync(1999);
    expect(out).toEqual(["90 41 FF"]);
    await clock.tickAsync(1);
    expect(out).toEqual(["90 41 FF", "90 51 FF"]);
  });

  it("a third concurrent command gets 90 60 03 FF; sockets free up on Completion", async () => {
    const { clock, cam, send, out } = rig({ recallMs: 1500 });
    send("81 01 04 3F 02 01 FF");
    send("81 01 04 47 04 00 00 00 FF"); // zoom tele end: 3 s at standard speed
    send("81 01 04 38 03 FF");
    expect(out).toEqual(["90 41 FF", "90 42 FF", "90 60 03 FF"]);
    expect(cam.busySockets()).toEqual([1, 2]);
    await clock.tickAsync(1500);
    expect(out.slice(3)).toEqual(["90 51 FF"]);
    send("81 01 04 38 03 FF");
    expect(out.slice(4)).toEqual(["90 41 FF", "90 51 FF"]);
    expect(cam.focusMode).toBe("manual");
  });

  it("pan-tilt drive completes at once and keeps moving until stop", async () => {
    const { clock, cam, send, out } = rig();
    send("81 01 06 01 05 05 02 03 FF"); // right at speed 5: 500 u/s
    expect(out).toEqual(["90 41 FF", "90 51 FF"]);
    await clock.tickAsync(1000);
    expect(cam.position().pan).toBe(500);
    expect(cam.moving()).toBe(true);
    send("81 01 06 01 05 05 03 03 FF");
    await clock.tickAsync(1000);
    expect(cam.position().pan).toBe(500);
    expect(cam.moving()).toBe(false);
  });

  it("drive stops at the pan limit", async () => {
    const { clock, cam, send } = rig({ panLimits: [-1000, 1000] });
    send("81 01 06 01 18 17 01 03 FF"); // left, 2400 u/s
    await clock.tickAsync(5000);
    expect(cam.position().pan).toBe(-1000);
    expect(cam.moving()).toBe(false);
  });

  it("cancel: 90 6s 04 for a running socket, 90 6s 05 for an idle one", async () => {
    const { clock, cam, send, out } = rig();
    send("81 01 04 3F 02 00 FF");
    send("81 21 FF");
    send("81 22 FF");
    expect(out).toEqual(["90 41 FF", "90 61 04 FF", "90 62 05 FF"]);
    await clock.tickAsync(5000);
    expect(out).toHaveLength(3);
    expect(cam.busySockets()).toEqual([]);
  });

  it("standby ends running commands with their Completion", () => {
    const { send, out } = rig();
    send("81 01 04 3F 02 00 FF");
    send("81 01 04 00 03 FF");
    expect(out).toEqual(["90 41 FF", "90 42 FF", "90 51 FF", "90 52 FF"]);
  });

  it("IF_Clear (broadcast) echoes 88 01 00 01 FF and drops running commands silently", async () => {
    const { clock, cam, send, out } = rig();
    send("81 01 04 3F 02 00 FF");
    send("88 01 00 01 FF");
    await clock.tickAsync(5000);
    expect(out).toEqual(["90 41 FF", "88 01 00 01 FF"]);
    expect(cam.busySockets()).toEqual([]);
  });

  it("AddressSet 88 30 01 FF -> 88 30 02 FF; the third camera on a chain answers 88 30 04 FF", () => {
    const one = rig();
    one.send("88 30 01 FF");
    expect(one.out).toEqual(["88 30 02 FF"]);
    const third = rig({ address: 3 });
    third.send("88 30 01 FF");
    third.send("83 09 04 00 FF");
    expect(third.out).toEqual(["88 30 04 FF", "B0 50 02 FF"]);
  });

  it("origin travels with every reply, Completion included", async () => {
    const { clock, send, origins } = rig();
    send("81 01 04 3F 02 00 FF", "req-7");
    await clock.tickAsync(2000);
    expect(origins).toEqual(["req-7", "req-7"]);
  });
});

describe("ViscaCamera: faults", () => {
  it("silent answers nothing", () => {
    const { cam, send, out } = rig();
    cam.faults.silent = true;
    send("81 09 04 00 FF");
    expect(out).toEqual([]);
  });

  it("garbage puts junk in front of every reply", () => {
    const { cam, send, out } = rig();
    cam.faults.garbage = true;
    send("81 09 04 00 FF");
    expect(out).toEqual(["00 7E 13 90 50 02 FF"]);
  });

  it("slowMs delays every reply, order kept", async () => {
    const { clock, cam, send, out } = rig();
    cam.faults.slowMs = 300;
    send("81 01 04 00 02 FF");
    await clock.tickAsync(299);
    expect(out).toEqual([]);
    await clock.tickAsync(1);
    expect(out).toEqual(["90 41 FF", "90 51 FF"]);
  });

  it("errorReply answers commands with the error, inquiries as usual", () => {
    const { cam, send, out } = rig();
    cam.faults.errorReply = "not_executable";
    send("81 01 04 00 02 FF");
    cam.faults.errorReply = "syntax";
    send("81 01 04 00 02 FF");
    send("81 09 04 00 FF");
    expect(out).toEqual(["90 61 41 FF", "90 60 02 FF", "90 50 02 FF"]);
  });

  it("flipPower(false) is a state flip: the camera is in standby without a word", () => {
    const { cam, send, out } = rig();
    cam.flipPower(false);
    send("81 09 04 00 FF");
    expect(out).toEqual(["90 50 03 FF"]);
  });

  it("close() stops pending completions", async () => {
    const { clock, cam, send, out } = rig();
    send("81 01 04 3F 02 00 FF");
    cam.close();
    await clock.tickAsync(5000);
    expect(out).toEqual(["90 41 FF"]);
  });
});
