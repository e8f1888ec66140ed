import { Session } from "node:inspector/promises";
import { describe, expect, it } from "vitest";
import { groupOf, summarize, type CpuProfile } from "./cpu-profile.js";

describe("cpu-profile summary", () => {
  it("groups frames by package, project directory, Node module and V8 pseudo-frame", () => {
    expect(groupOf("file:///opt/roomgate/app/node_modules/mqtt-packet/parser.js", "parse")).toBe("mqtt-packet");
    expect(groupOf("file:///w/node_modules/@electric-sql/pglite/dist/index.js", "x")).toBe("@electric-sql/pglite");
    expect(groupOf("file:///w/node_modules/aedes/node_modules/fastfall/fall.js", "x")).toBe("fastfall");
    expect(groupOf("file:///w/dist/broker/store.js", "append")).toBe("roomgate:broker");
    expect(groupOf("node:internal/streams/writable", "write")).toBe("node:internal");
    expect(groupOf("", "(garbage collector)")).toBe("(garbage collector)");
    expect(groupOf("", "writeUtf8String")).toBe("(native)");
  });

  it("charges each sample's time to the frame it landed in, and leaves idle out of busy time", () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: { functionName: "(root)", url: "", lineNumber: -1 } },
        { id: 2, callFrame: { functionName: "(idle)", url: "", lineNumber: -1 } },
        { id: 3, callFrame: { functionName: "parse", url: "file:///w/node_modules/mqtt-packet/parser.js", lineNumber: 1 } },
        { id: 4, callFrame: { functionName: "(garbage collector)", url: "", lineNumber: -1 } },
      ],
      samples: [3, 3, 2, 4],
      timeDeltas: [1000, 3000, 6000, 2000],
      startTime: 0,
      endTime: 12_000,
    };
    const s = summarize(profile);
    expect(s.wallMs).toBe(12);
    expect(s.busyMs).toBe(6);
    expect(s.groups).toEqual([
      { group: "(idle)", ms: 6 },
      { group: "mqtt-packet", ms: 4 },
      { group: "(garbage collector)", ms: 2 },
    ]);
    expect(s.functions[1]).toEqual({ fn: "mqtt-packet: parse", ms: 4 });
  });

  it("reads a profile that V8 itself wrote", async () => {
    const session = new Session();
    session.connect();
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 100 });
    await session.post("Profiler.start");
    // Busy for 50 ms of this thread's time at least, so the 0.1 ms sampler lands here hundreds of times
    // however loaded the machine is (the sampler interrupts this thread; it cannot miss it).
    let x = 0;
    const until = process.cpuUsage().user + 50_000;
    for (let i = 0; process.cpuUsage().user < until; i++) x += Math.sqrt(i);
    const { profile } = await session.post("Profiler.stop");
    session.disconnect();
    const s = summarize(profile as unknown as CpuProfile);
    expect(x).toBeGreaterThan(0);
    expect(s.busyMs).toBeGreaterThan(0);
    expect(s.groups.some((g) => g.group.endsWith("cpu-profile.test.ts"))).toBe(true);
  });
});
