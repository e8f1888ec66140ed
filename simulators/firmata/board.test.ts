/**
 * The simulated board against the byte sequences of PROTOCOLS.md ("Firmata") and StandardFirmata
 * 2.5 behaviour. Time is a fake clock; bytes are asserted exactly.
 */
import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { FirmataBoard, MALFORMED_SYSEX } from "./board.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

function setup() {
  const clock = fakeClock();
  const board = new FirmataBoard({ clock, sensors: { A1: "TMP36" } });
  const out: string[] = [];
  board.output = (b) => out.push(b.toString("hex"));
  const outputs: [number, number][] = [];
  board.on("output", (pin, v) => outputs.push([pin, v]));
  const send = (s: string): string[] => {
    out.length = 0;
    board.handle(hex(s));
    return [...out];
  };
  return { clock, board, out, outputs, send };
}

describe("Firmata board simulator (Uno, StandardFirmata 2.5)", () => {
  it("announces F9 02 05 and its firmware name on boot", () => {
    const { board, out } = setup();
    board.boot();
    const name = [..."StandardFirmata.ino"].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0") + "00").join("");
    expect(out).toEqual(["f90205", `f0790205${name}f7`]);
  });

  it("answers the version query F9 and the firmware query F0 79 F7", () => {
    const { send } = setup();
    expect(send("f9")).toEqual(["f90205"]);
    expect(send("f0 79 f7")[0]).toMatch(/^f0790205530074006100/); // "Sta..."
  });

  it("answers the capability query F0 6B F7: pins 0/1 have no modes, 2 is in/out/pull-up/servo, A0 (14) is analog 10-bit", () => {
    const { send } = setup();
    const [reply] = send("f0 6b f7");
    const b = hex(reply!);
    expect(b.subarray(0, 2).toString("hex")).toBe("f06c");
    expect(b.at(-1)).toBe(0xf7);
    const pins = b.subarray(2, -1).toString("hex").split("7f").slice(0, -1);
    expect(pins).toHaveLength(20);
    expect(pins[0]).toBe("");
    expect(pins[1]).toBe("");
    expect(pins[2]).toBe("000101010b01040e");
    expect(pins[3]).toBe("000101010b010308040e");
    expect(pins[14]).toBe("000101010b01020a");
    expect(pins[18]).toBe("000101010b01020a0601");
  });

  it("answers the analog mapping query F0 69 F7 with A0..A5 = pins 14..19", () => {
    const { send } = setup();
    expect(send("f0 69 f7")).toEqual([`f06a${"7f".repeat(14)}000102030405f7`]);
  });

  it("drives outputs with F4 pin 01 then F5 pin val or a port message, and reports them in the pin state", () => {
    const { send, outputs } = setup();
    send("f4 07 01");
    send("f5 07 01");
    expect(outputs).toEqual([[7, 1]]);
    expect(send("f0 6d 07 f7")).toEqual(["f06e070101f7"]);
    send("90 00 00"); // port 0 all low
    expect(outputs).toEqual([[7, 1], [7, 0]]);
    send("90 00 01"); // bit 7 set: msb carries it
    expect(outputs.at(-1)).toEqual([7, 1]);
    send("91 20 00"); // port 1 bit 5 = pin 13
    expect(outputs.at(-1)).toEqual([13, 1]);
  });

  it("reports a digital input port at once when reporting is enabled (Dp 01), then on every change", () => {
    const { send, board, out } = setup();
    send("f4 02 0b"); // pin 2 input with pull-up
    expect(send("d0 01")).toEqual(["900400"]); // floating with pull-up reads high
    out.length = 0;
    board.setDoor(2, "closed");
    expect(out).toEqual(["900000"]);
    board.setDoor(2, "closed");
    expect(out).toEqual(["900000"]); // no change, no report
    board.setDoor(2, "open");
    expect(out).toEqual(["900000", "900400"]);
    expect(send("f0 6d 02 f7")).toEqual(["f06e020b01f7"]); // pull-up on
  });

  it("does not report inputs of a port whose reporting is off", () => {
    const { send, board, out } = setup();
    send("f4 02 00");
    out.length = 0;
    board.setDoor(2, "closed");
    expect(out).toEqual([]);
  });

  it("reports analog samples (Cc 01) at once and every sampling interval (F0 7A lsb msb F7)", async () => {
    const { send, board, out, clock } = setup();
    board.setTemperature("A0", 25); // LM35: 250 mV -> 51
    expect(send("c0 01")).toEqual(["e03300"]);
    send("f0 7a 64 00 f7"); // 100 ms
    expect(board.samplingIntervalMs).toBe(100);
    out.length = 0;
    await clock.tickAsync(99);
    expect(out).toEqual([]);
    await clock.tickAsync(1);
    expect(out).toEqual(["e03300"]);
    board.setTemperature("A1", 25); // TMP36: 750 mV -> 153 = 0x99 -> lsb 19 msb 01
    send("c1 01");
    out.length = 0;
    await clock.tickAsync(100);
    expect(out).toEqual(["e03300", "e11901"]);
    send("c0 00");
    send("c1 00");
    out.length = 0;
    await clock.tickAsync(500);
    expect(out).toEqual([]);
  });

  it("answers an unsupported pin mode with a string, and ignores a pin state query beyond its pins", () => {
    const { send } = setup();
    const [s] = send("f4 00 01"); // pin 0 has no modes
    expect(s).toMatch(/^f071/);
    expect(send("f0 6d 19 f7")).toEqual([]); // pin 25
  });

  it("system reset FF: outputs low, reporting off, sampling 19 ms", async () => {
    const { send, board, out, clock } = setup();
    send("f4 07 01 f5 07 01 c0 01 f0 7a 64 00 f7");
    send("ff");
    expect(board.outputs()[7]).toBe(0);
    expect(board.samplingIntervalMs).toBe(19);
    out.length = 0;
    await clock.tickAsync(200);
    expect(out).toEqual([]);
  });

  it("faults: silent sends nothing, garbage puts a malformed sysex first, slowMs delays, nohandshake stalls capabilities", async () => {
    const { send, board, out, clock } = setup();
    board.faults.silent = true;
    expect(send("f9")).toEqual([]);
    board.faults.silent = false;
    board.faults.garbage = true;
    expect(send("f9")).toEqual([MALFORMED_SYSEX.toString("hex") + "f90205"]);
    board.faults.garbage = false;
    board.faults.slowMs = 50;
    expect(send("f9")).toEqual([]);
    await clock.tickAsync(50);
    expect(out).toEqual(["f90205"]);
    board.faults.slowMs = 0;
    board.faults.noHandshake = true;
    expect(send("f0 6b f7")).toEqual([]);
    expect(send("f0 69 f7")).toEqual([]);
    expect(send("f9")).toEqual(["f90205"]);
  });

  it("counts host bytes that are not Firmata messages and keeps working", () => {
    const { send, board } = setup();
    expect(send("01 02 f0 6d f7")).toEqual([]); // stray data, pin state query without a pin
    expect(board.rejected).toBe(2);
    expect(send("f9")).toEqual(["f90205"]);
  });
});
