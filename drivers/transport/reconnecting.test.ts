/**
 * The reconnect loop on a fake clock, with an in-memory link whose attempts the test scripts.
 * (The real transports run the shared conformance suite over real I/O.)
 */
import { describe, expect, it } from "vitest";
import { fakeClock, type FakeClock } from "../../test/helpers/clock.js";
import { memoryLogger, type LogRecord } from "../../test/helpers/logger.js";
import { ReconnectingTransport, type TransportDeps } from "./reconnecting.js";
import { TransportError, type BackoffOptions, type TransportStatus } from "./types.js";

type Outcome = "ok" | Error | Promise<void>;

/** A link whose n-th connect() does what `outcomes[n]` says (then "ok"). */
class ScriptedLink extends ReconnectingTransport {
  readonly kind = "tcp" as const;
  connects: number[] = [];
  releases = 0;
  sent: Buffer[] = [];
  sendError: Error | undefined;
  handle = 0;
  constructor(deps: TransportDeps, private readonly outcomes: Outcome[] = []) {
    super("fake:link", deps);
  }
  protected async connect(): Promise<void> {
    this.connects.push(this.clock.now());
    const outcome = this.outcomes.shift() ?? "ok";
    if (outcome instanceof Error) throw outcome;
    if (outcome !== "ok") await outcome;
    this.handle += 1;
  }
  protected async release(): Promise<void> {
    this.releases += 1;
  }
  protected async send(data: Buffer): Promise<void> {
    if (this.sendError) throw this.sendError;
    this.sent.push(data);
  }
  // The subclass callbacks, made callable from the test.
  deviceSends(chunk: Buffer): void {
    this.received(chunk);
  }
  deviceGone(code = "ECONNRESET"): void {
    this.lost(Object.assign(new Error("gone"), { code }));
  }
}

const refused = (): Error => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

function setup(outcomes: Outcome[] = [], backoff: BackoffOptions = { initialMs: 100, jitter: 0, maxMs: 1000, stableMs: 5000 }) {
  const clock: FakeClock = fakeClock(0);
  const logs: LogRecord[] = [];
  const link = new ScriptedLink({ clock, logger: memoryLogger(logs), backoff }, outcomes);
  const statuses: TransportStatus[] = [];
  link.on("status", (s) => statuses.push(s));
  return { clock, logs, link, statuses };
}

describe("ReconnectingTransport (fake clock)", () => {
  it("retries at the backoff delays and resolves open() when an attempt succeeds", async () => {
    const { clock, link, statuses } = setup([refused(), refused(), refused()]);
    let opened = false;
    const opening = link.open().then(() => (opened = true));
    await clock.tickAsync(0);
    expect(link.connects).toEqual([0]);
    await clock.tickAsync(99);
    expect(link.connects).toEqual([0]);
    await clock.tickAsync(1);
    expect(link.connects).toEqual([0, 100]);
    await clock.tickAsync(200 + 400);
    await opening;
    expect(opened).toBe(true);
    expect(link.connects).toEqual([0, 100, 300, 700]);
    expect(statuses).toEqual([
      { state: "connecting", attempt: 0 },
      { state: "backoff", attempt: 1, delayMs: 100, error: { code: "ECONNREFUSED", message: "connect ECONNREFUSED" } },
      { state: "connecting", attempt: 1 },
      { state: "backoff", attempt: 2, delayMs: 200, error: { code: "ECONNREFUSED", message: "connect ECONNREFUSED" } },
      { state: "connecting", attempt: 2 },
      { state: "backoff", attempt: 3, delayMs: 400, error: { code: "ECONNREFUSED", message: "connect ECONNREFUSED" } },
      { state: "connecting", attempt: 3 },
      { state: "open", attempt: 0 },
    ]);
    await link.close();
  });

  it("after a loss, releases the handle, backs off from initialMs and reconnects", async () => {
    const { clock, link, statuses } = setup();
    await link.open();
    link.deviceSends(Buffer.from([1])); // proven link
    link.deviceGone("EIO");
    expect(link.state).toBe("backoff");
    expect(statuses.at(-1)).toEqual({ state: "backoff", attempt: 1, delayMs: 100, error: { code: "EIO", message: "gone" } });
    await clock.tickAsync(0);
    expect(link.releases).toBe(1);
    await clock.tickAsync(100);
    expect(link.state).toBe("open");
    expect(link.connects).toEqual([0, 100]);
    await link.close();
  });

  it("does not reset the delay for a link that drops before it proved itself", async () => {
    const { clock, link, statuses } = setup();
    await link.open();
    const delays = (): Array<number | undefined> => statuses.filter((s) => s.state === "backoff").map((s) => s.delayMs);
    link.deviceGone();
    await clock.tickAsync(100);
    link.deviceGone(); // opened, then dropped at once: a flapping peer
    await clock.tickAsync(200);
    link.deviceGone();
    expect(delays()).toEqual([100, 200, 400]);
    await clock.tickAsync(400);
    link.deviceSends(Buffer.from("hello")); // bytes from the device prove the link
    link.deviceGone();
    expect(delays()).toEqual([100, 200, 400, 100]);
    await clock.tickAsync(100);
    await clock.tickAsync(5000); // stayed open for stableMs: proven too
    link.deviceGone();
    expect(delays()).toEqual([100, 200, 400, 100, 100]);
    await link.close();
  });

  it("close() during backoff stops the retries, leaves no timer and settles open() with `closed`", async () => {
    const { clock, link, statuses } = setup([refused(), refused()]);
    const opening = link.open();
    await clock.tickAsync(0);
    expect(link.state).toBe("backoff");
    const first = link.close();
    expect(link.close()).toBe(first);
    await first;
    await expect(opening).rejects.toMatchObject({ name: "TransportError", code: "closed" });
    expect(clock.fake.countTimers()).toBe(0);
    await clock.tickAsync(60_000);
    expect(link.connects).toEqual([0]);
    expect(statuses.filter((s) => s.state === "closed")).toEqual([{ state: "closed", attempt: 1 }]);
    await expect(link.open()).rejects.toMatchObject({ code: "closed" });
  });

  it("close() during a connect releases the handle that opens late", async () => {
    let finish!: () => void;
    const slow = new Promise<void>((r) => (finish = r));
    const { clock, link } = setup([slow]);
    const opening = link.open();
    await clock.tickAsync(0);
    expect(link.state).toBe("connecting");
    const closing = link.close();
    const releasesAtClose = link.releases;
    finish();
    await closing;
    await expect(opening).rejects.toMatchObject({ code: "closed" });
    expect(link.state).toBe("closed");
    expect(link.releases).toBe(releasesAtClose + 1);
  });

  it("stops for good on bad_config: open() rejects, state closed, no retry", async () => {
    const { clock, link, statuses } = setup([new TransportError("bad_config", "serial.path: missing")]);
    await expect(link.open()).rejects.toMatchObject({ code: "bad_config", message: "serial.path: missing" });
    expect(link.state).toBe("closed");
    expect(statuses.at(-1)).toEqual({ state: "closed", attempt: 0, error: { code: "bad_config", message: "serial.path: missing" } });
    await clock.tickAsync(60_000);
    expect(link.connects).toEqual([0]);
    await link.close();
  });

  it("write(): not_open unless open, write_failed when the handle fails, never a synchronous throw", async () => {
    const { link } = setup();
    let p: Promise<void> | undefined;
    expect(() => (p = link.write(Buffer.from([1])))).not.toThrow();
    await expect(p).rejects.toMatchObject({ code: "not_open", message: "fake:link is idle, not open" });
    await link.open();
    await link.write(Buffer.from([0x81, 0x01]));
    expect(link.sent).toEqual([Buffer.from([0x81, 0x01])]);
    link.sendError = Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    await expect(link.write(Buffer.from([2]))).rejects.toMatchObject({
      code: "write_failed",
      message: "fake:link: write failed: EPIPE: write EPIPE",
    });
    await link.close();
  });

  it("a data listener that throws is logged, not thrown into the socket callback", async () => {
    const { link, logs } = setup();
    await link.open();
    link.on("data", () => {
      throw new Error("driver bug");
    });
    expect(() => link.deviceSends(Buffer.from([1]))).not.toThrow();
    expect(logs.find((r) => r.level === "error")).toMatchObject({
      obj: { err: { code: "unknown", message: "driver bug" }, event: "data" },
      msg: "a transport listener threw",
      bindings: { transport: "fake:link" },
    });
    await link.close();
  });

  it("ignores data and loss reports while not open (late events from a released handle)", async () => {
    const { link, statuses } = setup();
    const got: Buffer[] = [];
    link.on("data", (d) => got.push(d));
    link.deviceSends(Buffer.from([1]));
    link.deviceGone();
    expect(got).toEqual([]);
    expect(statuses).toEqual([]);
    await link.close();
  });
});
