import { describe, expect, it } from "vitest";
import { LineFramer } from "./framer.js";

const b = (s: string) => Buffer.from(s, "latin1");

describe("LineFramer", () => {
  it("joins a line split across reads, byte by byte", () => {
    const f = new LineFramer();
    const line = "$ENC,HB,17,34*6F\n";
    const out: string[] = [];
    for (const ch of line) out.push(...f.push(b(ch)));
    expect(out).toEqual(["$ENC,HB,17,34*6F"]);
  });

  it("splits several lines in one read and holds the rest", () => {
    const f = new LineFramer();
    expect(f.push(b("$A*00\n$B*00\n$C"))).toEqual(["$A*00", "$B*00"]);
    expect(f.push(b("*00\n"))).toEqual(["$C*00"]);
  });

  it("skips empty lines and keeps a CR for the codec", () => {
    const f = new LineFramer();
    expect(f.push(b("\n\n$A*00\r\n"))).toEqual(["$A*00\r"]);
  });

  it("drops an over-long line once, whether it ends in this read or goes on without LF", () => {
    const f = new LineFramer(10);
    let drops = 0;
    f.onOverlong = () => drops++;
    expect(f.push(b(`${"x".repeat(30)}\n$OK*00\n`))).toEqual(["$OK*00"]);
    expect(drops).toBe(1);
    // 50 reads without LF: memory stays bounded, one drop reported, the next line survives.
    for (let i = 0; i < 50; i++) expect(f.push(b("yyyyyyy"))).toEqual([]);
    expect(f.push(b("yy\n$NEXT*00\n"))).toEqual(["$NEXT*00"]);
    expect(drops).toBe(2);
  });

  it("accepts a line of exactly maxBytes (plus CR)", () => {
    const f = new LineFramer(10);
    f.onOverlong = () => expect.fail("not over-long");
    expect(f.push(b("0123456789\r\n"))).toEqual(["0123456789\r"]);
  });

  it("keeps each byte as one character (latin1), so the codec sees non-ASCII", () => {
    const f = new LineFramer();
    expect(f.push(Buffer.from([0x24, 0xc3, 0xa9, 0x0a]))).toEqual(["$\u00c3\u00a9"]);
  });

  it("reset drops a partial line", () => {
    const f = new LineFramer();
    f.push(b("$ENC,HB,1"));
    f.reset();
    expect(f.push(b(",0*6F\n"))).toEqual([",0*6F"]);
  });
});
