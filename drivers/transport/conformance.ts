/**
 * The one conformance suite every transport passes (like aedes-persistence's abstract.js).
 * Each transport's test file calls `transportConformance(name, makeFixture)` with a real peer:
 * a pty pair for serial, a net server for tcp, a dgram socket for udp.
 *
 * Real I/O, so the clock is real, but wrapped to count pending timers: "close stops retries"
 * is proven by no timer being left, not by sleeping and hoping. Every wait is on an event and
 * bounded. Backoff is fixed (10 ms, x2, no jitter, max 100 ms) so delays can be asserted exactly.
 */
import type { EventEmitter } from "node:events";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../types.js";
import { memoryLogger, type LogRecord } from "../../test/helpers/logger.js";
import type { TransportDeps } from "./reconnecting.js";
import { TransportError, type Transport, type TransportStatus } from "./types.js";

/** The device side of the link. */
export interface ConformancePeer extends Pick<EventEmitter<{ data: [chunk: Buffer] }>, "on" | "off"> {
  /** Send bytes (one datagram for udp) to the transport under test. */
  send(data: Buffer): Promise<void>;
  /** While true the peer sends back every chunk it receives. Starts false. */
  echo: boolean;
  /** Go away the way a device does (unplug, server down, socket closed); resolves when gone. */
  drop(): Promise<void>;
  /** Come back on the same endpoint; resolves when the peer is ready for the transport. */
  back(): Promise<void>;
}

export interface Fixture {
  /** Constructed with the deps the suite passes to `makeFixture`, not opened. */
  transport: Transport;
  peer: ConformancePeer;
  /** The status error code while the peer is away before the first open (serial ENOENT, tcp ECONNREFUSED). */
  absentErrorCode?: string;
  /** Releases the peer and everything else the fixture made (the suite closes the transport). */
  teardown(): Promise<void>;
}

export const CONFORMANCE_BACKOFF = { initialMs: 10, maxMs: 100, factor: 2, jitter: 0, stableMs: 60_000 };
const WAIT_MS = 5_000;

/** The real clock, counting timers that are set and have neither fired nor been cleared. */
export function trackingClock(): Clock & { pending(): number } {
  const live = new Set<unknown>();
  return {
    now: () => Date.now(),
    preciseNow: () => performance.timeOrigin + performance.now(),
    setTimeout: (fn, ms) => {
      const h = setTimeout(() => {
        live.delete(h);
        fn();
      }, ms);
      live.add(h);
      return h;
    },
    clearTimeout: (h) => {
      live.delete(h);
      clearTimeout(h as NodeJS.Timeout);
    },
    setInterval: (fn, ms) => {
      const h = setInterval(fn, ms);
      live.add(h);
      return h;
    },
    clearInterval: (h) => {
      live.delete(h);
      clearInterval(h as NodeJS.Timeout);
    },
    pending: () => live.size,
  };
}

/** Resolves when `check` (run now and on every event) returns a value; rejects after `ms`. */
export function until<T>(
  emitter: Pick<EventEmitter, "on" | "off">,
  event: string,
  check: () => T | undefined,
  label: string,
  ms = WAIT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const now = check();
    if (now !== undefined) return resolve(now);
    const onEvent = (): void => {
      const v = check();
      if (v === undefined) return;
      cleanup();
      resolve(v);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${ms} ms waiting for ${label}`));
    }, ms);
    const cleanup = (): void => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
    };
    emitter.on(event, onEvent);
  });
}

/** Everything one side emits as `data`, so tests can wait for exact bytes. */
function recorder(source: Pick<EventEmitter, "on" | "off">) {
  const chunks: Buffer[] = [];
  const onData = (c: Buffer): void => void chunks.push(Buffer.from(c));
  source.on("data", onData);
  return {
    chunks,
    bytes: () => Buffer.concat(chunks),
    /** Waits until `n` bytes arrived and returns exactly those. */
    take: (n: number, label: string) =>
      until(source, "data", () => (Buffer.concat(chunks).length >= n ? Buffer.concat(chunks) : undefined), label),
    stop: () => source.off("data", onData),
  };
}

export function transportConformance(name: string, makeFixture: (deps: TransportDeps) => Promise<Fixture>): void {
  describe(`transport conformance: ${name}`, () => {
    let fx: Fixture;
    let clock: ReturnType<typeof trackingClock>;
    let logs: LogRecord[];
    let statuses: TransportStatus[];
    let errorEvents: unknown[];
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown): void => void rejections.push(reason);
    const t = (): Transport => fx.transport;
    const emitter = (): Pick<EventEmitter, "on" | "off"> => fx.transport as unknown as EventEmitter;
    const waitState = (state: TransportStatus["state"]) =>
      until(emitter(), "status", () => (t().state === state ? state : undefined), `state ${state} on ${name}`);
    const backoffs = () => statuses.filter((s) => s.state === "backoff");

    beforeAll(() => void process.on("unhandledRejection", onRejection));
    afterAll(() => void process.off("unhandledRejection", onRejection));

    beforeEach(async () => {
      clock = trackingClock();
      logs = [];
      statuses = [];
      errorEvents = [];
      rejections.length = 0;
      fx = await makeFixture({ clock, logger: memoryLogger(logs), backoff: CONFORMANCE_BACKOFF });
      fx.transport.on("status", (s) => void statuses.push(s));
      (fx.transport as unknown as EventEmitter).on("error", (e: unknown) => void errorEvents.push(e));
    });

    afterEach(async () => {
      await fx.transport.close();
      await fx.teardown();
      expect(errorEvents, "no `error` event, ever").toEqual([]);
      expect(rejections, "no unhandled rejection").toEqual([]);
      expect(clock.pending(), "no timer left after close()").toBe(0);
    });

    it("open() resolves once the link is open", async () => {
      expect(t().state).toBe("idle");
      await t().open();
      expect(t().state).toBe("open");
      expect(statuses.map((s) => s.state)).toEqual(["connecting", "open"]);
      expect(statuses[1]).toEqual({ state: "open", attempt: 0 });
    });

    it("bytes written reach the peer, and the peer's bytes arrive as data", async () => {
      await t().open();
      const atPeer = recorder(fx.peer);
      const atTransport = recorder(t() as unknown as EventEmitter);
      const power = Buffer.from([0x81, 0x01, 0x04, 0x00, 0x02, 0xff]);
      await t().write(power);
      expect(await atPeer.take(power.length, "the command at the peer")).toEqual(power);

      const ack = Buffer.from([0x90, 0x41, 0xff]);
      const done = Buffer.from([0x90, 0x51, 0xff]);
      await fx.peer.send(ack);
      // Wait for the first before sending the second: udp must keep datagrams apart, streams may not.
      await atTransport.take(ack.length, "the ack at the transport");
      await fx.peer.send(done);
      expect(await atTransport.take(6, "both replies at the transport")).toEqual(Buffer.concat([ack, done]));
      if (t().kind === "udp") expect(atTransport.chunks).toEqual([ack, done]);
      atPeer.stop();
      atTransport.stop();
    });

    it("write() while not open rejects with TransportError not_open, never throwing synchronously", async () => {
      let pending: Promise<void> | undefined;
      expect(() => (pending = t().write(Buffer.from([1])))).not.toThrow();
      await expect(pending).rejects.toMatchObject({ name: "TransportError", code: "not_open" });
      await t().open();
      await fx.peer.drop();
      await probeUntilBackoffs(1);
      // udp may already have rebound (open = bound); the stream links cannot be open here.
      if (t().state !== "open") {
        await expect(t().write(Buffer.from([2]))).rejects.toMatchObject({ name: "TransportError", code: "not_open" });
      }
      await t().close();
      await expect(t().write(Buffer.from([3]))).rejects.toMatchObject({ code: "not_open" });
    });

    it("when the peer goes away the link leaves open and backs off with growing delays", async () => {
      await t().open();
      await roundTrip(Buffer.from([0x81, 0x09, 0x04, 0x00, 0xff]));
      await fx.peer.drop();
      await probeUntilBackoffs(3);
      const afterOpen = statuses.slice(statuses.findIndex((s) => s.state === "open") + 1);
      expect(afterOpen[0]?.state, "the first status after the loss").toBe("backoff");
      expect(backoffs().slice(0, 3).map((s) => s.delayMs)).toEqual([10, 20, 40]);
      for (const s of backoffs()) expect(typeof s.error?.code).toBe("string");
      if (t().kind !== "udp") expect(backoffs().slice(0, 3).map((s) => s.attempt)).toEqual([1, 2, 3]);
      expect(statuses.some((s) => s.state === "closed")).toBe(false);
    });

    it("when the peer comes back the link opens again and data flows", async () => {
      await t().open();
      await fx.peer.drop();
      await probeUntilBackoffs(1);
      await fx.peer.back();
      await waitState("open");
      await roundTrip(Buffer.from([0x81, 0x01, 0x06, 0x04, 0xff]));
    });

    it("open() never rejects for an absent peer: it keeps retrying and resolves when the peer appears", async () => {
      await fx.peer.drop();
      const opening = t().open();
      if (t().kind !== "udp") {
        // udp binds without the peer; the stream links must report why they are not open yet.
        const first = await until(emitter(), "status", () => backoffs()[0], "a backoff while the peer is absent");
        if (fx.absentErrorCode) expect(first.error?.code).toBe(fx.absentErrorCode);
      }
      await fx.peer.back();
      await opening;
      expect(t().state).toBe("open");
      await roundTrip(Buffer.from([0x81, 0x09, 0x06, 0x12, 0xff]));
    });

    it("close() is idempotent, settles a pending open() with `closed`, and stops the retries", async () => {
      await fx.peer.drop();
      const opening = t().open();
      const settled = opening.then(
        () => "resolved",
        (e: unknown) => (e instanceof TransportError ? e.code : "other"),
      );
      if (t().kind !== "udp") await until(emitter(), "status", () => backoffs()[0], "a backoff before close");
      await Promise.all([t().close(), t().close()]);
      await t().close();
      expect(t().state).toBe("closed");
      expect(await settled).toBe("closed");
      expect(statuses.filter((s) => s.state === "closed")).toHaveLength(1);
      expect(statuses.at(-1)?.state).toBe("closed");
      expect(clock.pending(), "a pending timer would be a retry after close").toBe(0);
      await expect(t().open()).rejects.toMatchObject({ code: "closed" });
    });

    /** Writes on every (re)open, the way a polling driver would: udp only notices a lost peer on send. */
    async function probeUntilBackoffs(n: number): Promise<void> {
      const probe = (s: TransportStatus): void => {
        if (s.state === "open") void t().write(Buffer.from([0x81, 0x09, 0x00, 0x02, 0xff])).catch(noteProbeFailure);
      };
      const noteProbeFailure = (err: unknown): void => {
        // Expected while the peer is away; kept so a test failure shows what happened.
        logs.push({ level: "test", obj: { probeFailed: String(err) }, bindings: {} });
      };
      fx.transport.on("status", probe);
      try {
        if (t().state === "open") probe({ state: "open", attempt: 0 });
        await until(emitter(), "status", () => (backoffs().length >= n ? true : undefined), `${n} backoff(s) after the peer left`);
      } finally {
        fx.transport.off("status", probe);
      }
    }

    async function roundTrip(bytes: Buffer): Promise<void> {
      fx.peer.echo = true;
      const got = recorder(t() as unknown as EventEmitter);
      try {
        await t().write(bytes);
        expect(await got.take(bytes.length, "the echo")).toEqual(bytes);
      } finally {
        got.stop();
        fx.peer.echo = false;
      }
    }
  });
}
