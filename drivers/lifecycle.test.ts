import { describe, expect, it } from "vitest";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";
import { DriverBase, SingleFlight, timeLeft, type HealthRule, type RunBase } from "./lifecycle.js";
import { FakeTransport } from "./transport/fake.js";
import { TransportError } from "./transport/types.js";
import { DeviceError, type DriverContext, type Health } from "./types.js";

interface Run extends RunBase {
  released: number;
}

/** The smallest driver on the base: what it does is what the base does. */
class Bare extends DriverBase<{ n: number }, Run> {
  readonly protocol = "bare";
  reads = 0;
  failing = false;
  constructor(rule?: HealthRule) {
    super(rule);
  }
  async start(ctx: DriverContext): Promise<void> {
    this.startOptions(ctx, (o) => {
      if (o["bad"]) throw new Error("options.bad: never works");
      return o;
    });
    const detach = this.listen(ctx, () => undefined, () => undefined);
    this.run = { ctx, log: ctx.logger, detach, released: 0 };
    this.stopping = null;
    if ((await this.waitOpen(1000)) !== "open") this.waitForTransport();
  }
  poll(): Promise<{ n: number }> {
    return this.pollOnce(async () => {
      await Promise.resolve();
      ++this.reads;
      if (this.failing) throw new DeviceError("timeout", "no answer");
      return { n: this.reads };
    });
  }
  contact(): Promise<void> {
    return this.firstPoll("the bare device");
  }
  set(h: Health): void {
    this.setHealth(h);
  }
  protected release(r: Run): void {
    r.released++;
  }
}

function context(t = new FakeTransport(), options: Record<string, unknown> = {}) {
  const abort = new AbortController();
  const ctx: DriverContext = { deviceId: "d", transport: t, logger: memoryLogger(), clock: fakeClock(), signal: abort.signal, options };
  return { ctx, abort, t };
}

function healthLog(d: Bare): Health[] {
  const seen: Health[] = [];
  d.on("health", (h) => seen.push(h));
  return seen;
}

describe("DriverBase", () => {
  it("publishes health on a new status or code only, unless the rule counts the message too", () => {
    const plain = new Bare();
    const seen = healthLog(plain);
    plain.set({ status: "unreachable", code: "timeout", message: "a" });
    plain.set({ status: "unreachable", code: "timeout", message: "b" });
    plain.set({ status: "ok" });
    expect(seen.map((h) => h.message ?? h.status)).toEqual(["a", "ok"]);

    const wordy = new Bare({ message: true });
    const heard = healthLog(wordy);
    wordy.set({ status: "unreachable", code: "timeout", message: "a" });
    wordy.set({ status: "unreachable", code: "timeout", message: "b" });
    expect(heard.map((h) => h.message)).toEqual(["a", "b"]);
  });

  it("keeps fault/bad_config until another fault, unless the rule says otherwise", () => {
    const sticky = new Bare();
    sticky.set({ status: "fault", code: "bad_config", message: "x" });
    sticky.set({ status: "ok" });
    expect(sticky.health.code).toBe("bad_config");
    sticky.set({ status: "fault", code: "auth_failed" });
    expect(sticky.health.code).toBe("auth_failed");

    const loose = new Bare({ stickyBadConfig: false });
    loose.set({ status: "fault", code: "bad_config", message: "x" });
    loose.set({ status: "ok" });
    expect(loose.health.status).toBe("ok");
  });

  it("bad options: fault/bad_config, then start rejects; a second start is refused", async () => {
    const d = new Bare();
    await expect(d.start(context(undefined, { bad: true }).ctx)).rejects.toThrow(/never works/);
    expect(d.health).toMatchObject({ status: "fault", code: "bad_config" });
    const ok = new Bare();
    await ok.start(context().ctx);
    await expect(ok.start(context().ctx)).rejects.toMatchObject({ code: "internal" });
    await ok.stop();
  });

  it("a transport that can never open: fault/bad_config, stopped, start rejects with invalid_args", async () => {
    const { ctx, t } = context();
    t.openRejects = new TransportError("bad_config", "no such port");
    const d = new Bare();
    await expect(d.start(ctx)).rejects.toMatchObject({ code: "invalid_args" });
    expect(d.health).toMatchObject({ status: "fault", code: "bad_config", message: "no such port" });
    expect(t.listenerCount("status")).toBe(0);
  });

  it("an absent device: unreachable/transport_closed once the first open times out", async () => {
    const { ctx, t } = context();
    t.openable = false;
    const d = new Bare();
    const started = d.start(ctx);
    await (ctx.clock as ReturnType<typeof fakeClock>).tickAsync(1000);
    await started;
    expect(d.health).toEqual({ status: "unreachable", code: "transport_closed", message: "serial:fake not open" });
    await d.stop();
  });

  it("stopped while the first open waits (the agent aborts): start resolves, nothing left listening", async () => {
    const { ctx, t, abort } = context();
    t.openable = false;
    const d = new Bare();
    const started = d.start(ctx);
    abort.abort();
    await (ctx.clock as ReturnType<typeof fakeClock>).tickAsync(1000);
    await expect(started).resolves.toBeUndefined();
    expect(t.listenerCount("status")).toBe(0);
    expect(t.state).toBe("closed");
  });

  it("stop: idempotent, listeners gone, release once, transport closed; the abort signal stops too", async () => {
    const { ctx, t, abort } = context();
    const d = new Bare();
    await d.start(ctx);
    const run = (d as unknown as { run: Run }).run;
    expect(t.listenerCount("data")).toBe(1);
    abort.abort();
    await d.stop();
    await d.stop();
    expect(run.released).toBe(1);
    expect(t.listenerCount("data")).toBe(0);
    expect(t.state).toBe("closed");
  });

  it("one poll in flight: callers share it, the next call reads again", async () => {
    const d = new Bare();
    const [a, b] = await Promise.all([d.poll(), d.poll()]);
    expect(a).toBe(b);
    expect((await d.poll()).n).toBe(2);
  });
});

describe("DriverBase.firstPoll", () => {
  it("one contact at a time, never rejects; a failed one is logged naming the device", async () => {
    const { ctx } = context();
    const d = new Bare();
    await d.start(ctx);
    d.failing = true;
    await Promise.all([d.contact(), d.contact()]);
    expect(d.reads).toBe(1);
    const logged = (ctx.logger as ReturnType<typeof memoryLogger>).records.filter((r) => r.msg === "no contact with the bare device");
    expect(logged).toHaveLength(1);
    await d.stop();
  });
});

describe("SingleFlight", () => {
  it("shares a rejection too, then starts afresh", async () => {
    const f = new SingleFlight<number>();
    let calls = 0;
    const fail = () => f.run(async () => {
      calls++;
      throw new Error("no");
    });
    await Promise.all([expect(fail()).rejects.toThrow("no"), expect(fail()).rejects.toThrow("no")]);
    await expect(fail()).rejects.toThrow("no");
    expect(calls).toBe(2);
  });
});

describe("timeLeft", () => {
  it("what is left of the deadline, or timeout when nothing is", () => {
    const clock = fakeClock();
    const signal = new AbortController().signal;
    expect(timeLeft(clock, { signal, deadline: clock.now() + 250 })).toBe(250);
    expect(() => timeLeft(clock, { signal, deadline: clock.now() })).toThrow(expect.objectContaining({ code: "timeout" }));
  });
});
