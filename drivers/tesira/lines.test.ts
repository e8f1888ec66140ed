import { describe, expect, it } from "vitest";
import { LineSplitter } from "./lines.js";

describe("LineSplitter", () => {
  it("splits on LF and CRLF and holds a line until its terminator arrives", () => {
    const s = new LineSplitter();
    expect(s.push(Buffer.from('+OK "value":-10.0'))).toEqual([]);
    expect(s.pending).toBe(17);
    expect(s.push(Buffer.from('00000\r\n-ERR WRONG_STATE\n! "publishToken":"a"'))).toEqual(['+OK "value":-10.000000', "-ERR WRONG_STATE"]);
    expect(s.push(Buffer.from(' "value":true\r'))).toEqual([]);
    expect(s.push(Buffer.from("\n\r\n\n"))).toEqual(['! "publishToken":"a" "value":true']);
  });

  it("drops an over-long line once (counted) and keeps the lines after it", () => {
    const drops: number[] = [];
    const s = new LineSplitter(16);
    s.onDrop = (n) => drops.push(n);
    expect(s.push(Buffer.from("x".repeat(10)))).toEqual([]);
    expect(s.push(Buffer.from("y".repeat(10)))).toEqual([]); // 20 > 16: dropped now, discarding until LF
    expect(s.push(Buffer.from("z".repeat(100)))).toEqual([]);
    expect(s.pending).toBe(0);
    expect(s.push(Buffer.from("zz\n+OK\n"))).toEqual(["+OK"]);
    expect(drops).toEqual([20]);
    expect(s.push(Buffer.from(`${"w".repeat(30)}\n+OK\n`))).toEqual(["+OK"]);
    expect(drops).toEqual([20, 30]);
  });
});
