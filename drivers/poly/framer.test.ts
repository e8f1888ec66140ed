import { describe, expect, it } from "vitest";
import { PolyFramer, type FrameToken } from "./framer.js";

/** Feeds `bytes` in chunks cut at every position in `cuts`, collecting every token. */
function feed(bytes: Buffer, cuts: number[], framer = new PolyFramer()): FrameToken[] {
  const out: FrameToken[] = [];
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...framer.push(bytes.subarray(at, cut)));
    at = cut;
  }
  return out;
}

describe("PolyFramer", () => {
  // Part A's login transcript: the prompt has no line end, replies end \r\r\n.
  const login = Buffer.from("Password:Hi, my name is : ROOM-101\r\r\nModel: Group 500\r\r\nSNMP Enabled: True\r\r\n", "latin1");
  const expected: FrameToken[] = [
    { type: "prompt", which: "password" },
    { type: "line", text: "Hi, my name is : ROOM-101" },
    { type: "line", text: "Model: Group 500" },
    { type: "line", text: "SNMP Enabled: True" },
  ];

  it("finds the Password: prompt without a line end, and lines ending \\r\\r\\n, however the bytes are cut", () => {
    // The prompt must be complete on its own before the banner can follow: a codec waits for the password.
    const prompt = Buffer.from("Password:");
    for (let cut = 1; cut < prompt.length; cut++) {
      expect(feed(prompt, [cut]), `cut at ${cut}`).toEqual([{ type: "prompt", which: "password" }]);
    }
    const banner = login.subarray(prompt.length);
    for (let cut = 0; cut <= banner.length; cut++) {
      const f = new PolyFramer();
      expect([...f.push(prompt), ...feed(banner, [cut], f)], `cut at ${cut}`).toEqual(expected);
    }
    expect(feed(login, Array.from({ length: login.length - 1 }, (_, i) => i + 1)).filter((t) => t.type === "line")).toEqual(expected.slice(1));
  });

  it("a Username: prompt, any case, with a trailing space", () => {
    expect(feed(Buffer.from("username: "), [4])).toEqual([{ type: "prompt", which: "username" }]);
    expect(feed(Buffer.from("\r\nPASSWORD: "), [])).toEqual([{ type: "prompt", which: "password" }]);
  });

  it("strips the SSH shell's `-> ` prompt from the start of a line; a prompt alone is no line", () => {
    const ssh = Buffer.from("-> status\r\ninacall offline\r\r\nstatus end\r\r\n-> ", "latin1");
    expect(feed(ssh, [1, 4, 20])).toEqual([
      { type: "line", text: "status" },
      { type: "line", text: "inacall offline" },
      { type: "line", text: "status end" },
    ]);
  });

  it("a NUL (the codec rebooting) drops the half line before it and is reported", () => {
    expect(feed(Buffer.from("callinfo be\x00Password:", "latin1"), [5])).toEqual([{ type: "nul" }, { type: "prompt", which: "password" }]);
  });

  it("drops an over-long line once and carries on with the next", () => {
    const f = new PolyFramer(300);
    const tokens = feed(Buffer.concat([Buffer.alloc(700, 0x41), Buffer.from("\r\r\nvolume 30\r\r\n")]), [100, 350], f);
    expect(tokens).toEqual([{ type: "dropped", bytes: 301 }, { type: "line", text: "volume 30" }]);
    expect(f.pending).toBe(0);
  });
});
