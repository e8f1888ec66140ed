import { describe, expect, it } from "vitest";
import { TelnetFilter } from "./telnet.js";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");
const toHex = (b: Buffer | null) => (b ? [...b].map((x) => x.toString(16).padStart(2, "0").toUpperCase()).join(" ") : null);

describe("TelnetFilter", () => {
  it("refuses DO with WONT and WILL with DONT (PROTOCOLS.md), and strips the commands", () => {
    const f = new TelnetFilter();
    // DO TERMINAL-TYPE, DO TERMINAL-SPEED, WILL ECHO, WILL SUPPRESS-GO-AHEAD, then text
    const r = f.push(Buffer.concat([hex("FF FD 18 FF FD 20 FF FB 01 FF FB 03"), Buffer.from("Welcome\r\n")]));
    expect(toHex(r.reply)).toBe("FF FC 18 FF FC 20 FF FE 01 FF FE 03");
    expect(r.data.toString()).toBe("Welcome\r\n");
    expect(r.negotiations).toEqual([
      { verb: "DO", option: 0x18 },
      { verb: "DO", option: 0x20 },
      { verb: "WILL", option: 0x01 },
      { verb: "WILL", option: 0x03 },
    ]);
  });

  it("keeps state across chunks: a sequence split byte by byte is still stripped and answered once", () => {
    const f = new TelnetFilter();
    const input = Buffer.concat([Buffer.from("+O"), hex("FF FD 27"), Buffer.from("K\n")]);
    const data: number[] = [];
    const replies: string[] = [];
    for (const b of input) {
      const r = f.push(Buffer.from([b]));
      data.push(...r.data);
      if (r.reply) replies.push(toHex(r.reply)!);
    }
    expect(Buffer.from(data).toString()).toBe("+OK\n");
    expect(replies).toEqual(["FF FC 27"]);
  });

  it("answers nothing to DONT/WONT, passes IAC IAC as one 0xFF byte, skips subnegotiation and two-byte commands", () => {
    const f = new TelnetFilter();
    const r = f.push(hex("41 FF FE 01 FF FC 03 FF FF 42 FF FA 18 01 FF FF FF F0 43 FF F1 44"));
    expect(r.reply).toBeNull();
    expect(toHex(r.data)).toBe("41 FF 42 43 44");
  });

  it("reset drops a half sequence so it cannot swallow the next session's first byte", () => {
    const f = new TelnetFilter();
    f.push(hex("FF FD"));
    f.reset();
    expect(f.push(Buffer.from("W")).data.toString()).toBe("W");
  });
});
