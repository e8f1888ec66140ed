import { describe, expect, it } from "vitest";
import { openWithin } from "./open-within.js";
import { FakeTransport } from "./fake.js";
import { TransportError } from "./types.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { DeviceError } from "../types.js";

describe("openWithin", () => {
  it("resolves open when the link opens in time, and leaves no timer", async () => {
    const clock = fakeClock();
    const t = new FakeTransport("tcp");
    await expect(openWithin(t, clock, 1000, async () => undefined)).resolves.toBe("open");
    expect(clock.fake.countTimers()).toBe(0);
  });

  it("resolves timeout for an absent device, without rejecting", async () => {
    const clock = fakeClock();
    const t = new FakeTransport("serial");
    t.openable = false;
    const p = openWithin(t, clock, 1000, async () => undefined);
    await clock.tickAsync(1000);
    await expect(p).resolves.toBe("timeout");
  });

  it("a link that can never open runs neverOpens with the reason, then rejects invalid_args", async () => {
    const clock = fakeClock();
    const t = new FakeTransport("udp");
    t.openRejects = new TransportError("bad_config", "udp.port: expected an integer 1..65535; got 0");
    const seen: string[] = [];
    const err = await openWithin(t, clock, 1000, async (m) => void seen.push(m)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect((err as DeviceError).code).toBe("invalid_args");
    expect(seen).toEqual(["udp.port: expected an integer 1..65535; got 0"]);
  });
});
