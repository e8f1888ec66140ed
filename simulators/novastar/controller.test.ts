/**
 * The simulated controller, fed hand-written request bytes from PROTOCOLS.md (not the driver), and
 * checked on the exact reply bytes.
 */
import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { decodeFrame } from "../../drivers/novastar/codec.js";
import { NovastarController } from "./controller.js";
import { control } from "./index.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const show = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, "0").toUpperCase()).join(" ");
/** The PROTOCOLS.md example: brightness 0x80 to all receiving cards, serial 00. */
const BRIGHTNESS_50 = "55 AA 00 00 FE FF 01 FF FF FF 01 00 01 00 00 02 01 00 80 D5 5A";
/** Read 2 bytes of model id at 0x00000002 from the controller (Companion's connect frame). */
const READ_MODEL_ID = "55 AA 00 00 FE 00 00 00 00 00 00 00 02 00 00 00 02 00 57 56";

function ask(c: NovastarController, request: string): string[] {
  const out: string[] = [];
  c.handle(decodeFrame(hex(request)), (b) => out.push(show(b)));
  return out;
}

describe("NovastarController", () => {
  it("applies the PROTOCOLS.md brightness write and acknowledges it with AA 55, no data", () => {
    const c = new NovastarController({ brightness: 0x10 });
    expect(ask(c, BRIGHTNESS_50)).toEqual(["AA 55 00 00 FE FF 01 FF FF FF 01 00 01 00 00 02 01 00 55 5A"]);
    expect(c.brightness).toBe(0x80);
  });

  it("can echo the written data in the write reply", () => {
    const c = new NovastarController({ echoWriteData: true });
    expect(ask(c, BRIGHTNESS_50)).toEqual(["AA 55 00 00 FE FF 01 FF FF FF 01 00 01 00 00 02 01 00 80 D5 5A".replace("55 AA", "AA 55")]);
  });

  it("answers the model id read with its two bytes (MCTRL4K 03 11, VX4S 06 61)", () => {
    expect(ask(new NovastarController(), READ_MODEL_ID)).toEqual(["AA 55 00 00 FE 00 00 00 00 00 00 00 02 00 00 00 02 00 03 11 6B 56"]);
    expect(ask(new NovastarController({ model: "vx4s" }), READ_MODEL_ID)[0]).toMatch(/ 06 61 [0-9A-F]{2} [0-9A-F]{2}$/);
  });

  it("blackout FF at 0x02000100, then normal 00 00 00 there, clears blackout, pattern and freeze", () => {
    const c = new NovastarController();
    ask(c, "55 AA 00 01 FE 00 01 FF FF FF 01 00 02 01 00 02 01 00 FF 58 5A"); // freeze FF at 0x02000102
    ask(c, "55 AA 00 02 FE 00 01 FF FF FF 01 00 01 01 00 02 01 00 02 5B 59"); // test pattern red
    ask(c, "55 AA 00 03 FE 00 01 FF FF FF 01 00 00 01 00 02 01 00 FF 58 5A"); // blackout FF
    expect([c.blackout, c.frozen, c.testPattern]).toEqual([true, true, 2]);
    ask(c, "55 AA 00 04 FE 00 01 FF FF FF 01 00 00 01 00 02 03 00 00 00 00 5C 59"); // normal
    expect([c.blackout, c.frozen, c.testPattern]).toEqual([false, false, 0]);
  });

  it("answers status 04 (bad command) for a register the model lacks, and changes nothing", () => {
    const c = new NovastarController({ model: "mctrl4k" });
    // VX4S input register 0x0220002D on an MCTRL4K.
    const [reply] = ask(c, "55 AA 00 05 FE 00 00 00 00 00 01 00 2D 00 20 02 01 00 10 B9 56");
    expect(reply!.slice(0, 11)).toBe("AA 55 04 05");
    expect(c.input).toBe("dvi");
    expect(c.counters.badCommands).toBe(1);
  });

  it("faults: status CODE, wrong serial, bad checksum, garbage, silence", () => {
    const c = new NovastarController();
    control(c.faults, "status", ["2"]);
    expect(ask(c, READ_MODEL_ID)[0]!.slice(0, 11)).toBe("AA 55 02 00");
    control(c.faults, "status", ["off"]);
    control(c.faults, "wrongserial", ["on"]);
    expect(ask(c, READ_MODEL_ID)[0]!.slice(0, 11)).toBe("AA 55 00 01");
    control(c.faults, "wrongserial", ["off"]);
    control(c.faults, "badchecksum", ["on"]);
    expect(() => decodeFrame(hex(ask(c, READ_MODEL_ID)[0]!))).toThrow(/checksum/);
    c.faults.badChecksum = false;
    c.faults.garbage = true;
    expect(ask(c, READ_MODEL_ID)[0]!.startsWith("AA 55 13 00 FE AA 55 00 00")).toBe(true);
    c.faults.garbage = false;
    c.faults.silent = true;
    expect(ask(c, READ_MODEL_ID)).toEqual([]);
  });

  it("refuses bad fault values with a clear message; foreign verbs are not ours", () => {
    const c = new NovastarController();
    expect(() => control(c.faults, "status", ["7"])).toThrow(/status needs 1..4 or off/);
    expect(() => control(c.faults, "badchecksum", ["maybe"])).toThrow(/needs on or off/);
    expect(control(c.faults, "overtemp", ["on"])).toBeUndefined();
    expect(() => {
      c.faults.slowMs = -1;
    }).toThrow(RangeError);
  });

  it("slowMs delays the reply on the injected clock", async () => {
    const clock = fakeClock();
    const c = new NovastarController({ clock });
    c.faults.slowMs = 300;
    const out = ask(c, READ_MODEL_ID);
    expect(out).toEqual([]);
    await clock.tickAsync(299);
    expect(out).toEqual([]);
    await clock.tickAsync(1);
    expect(out.length).toBe(1);
    c.close();
  });
});
