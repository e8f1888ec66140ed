import { describe, expect, it } from "vitest";
import firmataIo from "firmata-io";
import { EventEmitter } from "node:events";
import { decodeBoardMessage, FirmataCodecError } from "./codec.js";
import { FirmataFramer } from "./framer.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");

function split(direction: "fromBoard" | "fromHost", ...chunks: string[]) {
  const f = new FirmataFramer(direction);
  const garbage: string[] = [];
  f.onGarbage = (b, r) => garbage.push(`${r}:${b.toString("hex")}`);
  const msgs = chunks.flatMap((c) => f.push(hex(c))).map((b) => b.toString("hex"));
  return { msgs, garbage };
}

describe("Firmata framer", () => {
  it("splits board messages across fragmented chunks", () => {
    expect(split("fromBoard", "f9 02", "05 f0 79 02", "05 41 00 f7 90 04", "00 e0 33 00").msgs).toEqual([
      "f90205", "f07902054100f7", "900400", "e03300",
    ]);
  });

  it("F9 is a 1-byte query from the host and a 3-byte report from the board; FF is 1 byte", () => {
    expect(split("fromHost", "f9 f0 6b f7 ff d0 01 f4 07 01").msgs).toEqual(["f9", "f06bf7", "ff", "d001", "f40701"]);
  });

  it("reports stray data, a message cut by a status byte and an unknown status byte, and resyncs", () => {
    const { msgs, garbage } = split("fromBoard", "01 02 90 04 f0 6a 7f e0 33 00 f1 f9 02 05");
    expect(msgs).toEqual(["e03300", "f90205"]);
    expect(garbage).toEqual(["no_status:0102", "truncated:9004", "truncated:f06a7f", "unknown_status:f1"]);
  });

  it("drops an endless sysex as too_long", () => {
    const { msgs, garbage } = split("fromBoard", `f0 71 ${"41 00 ".repeat(1100)}`, "f9 02 05");
    expect(msgs).toEqual(["f90205"]);
    expect(garbage[0]).toMatch(/^too_long:f071/);
  });
});

describe("board message vetting (what firmata-io would choke on)", () => {
  it("refuses a firmware report without a version, and pin numbers the board does not have", () => {
    expect(() => decodeBoardMessage(hex("f0 79 f7"))).toThrow(FirmataCodecError);
    expect(() => decodeBoardMessage(hex("f0 6e 7f 01 00 f7"), 20)).toThrow(/pin 127; the board has 20 pins/);
    expect(() => decodeBoardMessage(hex("f0 6a 7f 00 f7"), 20)).toThrow(/analog mapping for 2 pins/);
    expect(decodeBoardMessage(hex("f0 6e 07 01 01 f7"), 20)).toEqual({ type: "pinState", pin: 7, mode: 1, state: 1 });
  });

  it("evidence: firmata-io 2.3 throws from its data handler on F0 79 F7 (why port.ts vets first)", () => {
    const port = Object.assign(new EventEmitter(), { write: (_b: Buffer, cb?: () => void) => cb?.() });
    const io = new firmataIo.Firmata(port);
    clearTimeout(io.reportVersionTimeoutId);
    port.emit("data", hex("f9 02 05"));
    expect(() => port.emit("data", hex("f0 79 f7"))).toThrow(RangeError);
  });
});
