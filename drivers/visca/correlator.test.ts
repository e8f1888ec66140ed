import { describe, it, expect } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { DeviceError } from "../types.js";
import type { ViscaReply } from "./codec.js";
import { ViscaCorrelator, type OutboundRequest } from "./correlator.js";

const ack = (socket: number): ViscaReply => ({ type: "ack", address: 1, socket });
const done = (socket: number): ViscaReply => ({ type: "completion", address: 1, socket });
const answer = (...data: number[]): ViscaReply => ({ type: "inquiry", address: 1, data: Buffer.from(data) });
const error = (socket: number, code: "syntax" | "buffer_full" | "cancelled" | "no_socket" | "not_executable", raw: number): ViscaReply => ({
  type: "error",
  address: 1,
  socket,
  code,
  raw,
});

const POWER_ON = Buffer.from([0x81, 0x01, 0x04, 0x00, 0x02, 0xff]);
const RECALL_5 = Buffer.from([0x81, 0x01, 0x04, 0x3f, 0x02, 0x05, 0xff]);
const HOME = Buffer.from([0x81, 0x01, 0x06, 0x04, 0xff]);
const POWER_INQ = Buffer.from([0x81, 0x09, 0x04, 0x00, 0xff]);

function setup(opts: { failWrites?: boolean } = {}) {
  const clock = fakeClock();
  const sent: OutboundRequest[] = [];
  const unmatched: ViscaReply[] = [];
  const c = new ViscaCorrelator({
    clock,
    send: async (req) => {
      if (opts.failWrites) throw new Error("port not open");
      sent.push(req);
    },
    onUnmatched: (r) => unmatched.push(r),
  });
  return { clock, sent, unmatched, c };
}

/** Records how a promise settled without letting a rejection go unhandled. */
function track<T>(p: Promise<T>) {
  const t: { state: "pending" | "resolved" | "rejected"; value?: T; error?: DeviceError } = { state: "pending" };
  p.then(
    (v) => Object.assign(t, { state: "resolved", value: v }),
    (e: DeviceError) => Object.assign(t, { state: "rejected", error: e }),
  );
  return t;
}

const flush = () => new Promise<void>((r) => setImmediate(r));

describe("ViscaCorrelator", () => {
  it("resolves a command on Completion of the socket its ACK named", async () => {
    const { c, sent } = setup();
    const t = track(c.command(RECALL_5));
    await flush();
    expect(sent.map((s) => s.frame)).toEqual([RECALL_5]);
    expect(c.handleReply(ack(1))).toBe(true);
    await flush();
    expect(t.state).toBe("pending");
    expect(c.handleReply(done(1))).toBe(true);
    await flush();
    expect(t.state).toBe("resolved");
    expect(c.pending).toBe(0);
  });

  it("resolves an inquiry with the answer's data", async () => {
    const { c } = setup();
    const t = track(c.inquiry(POWER_INQ));
    await flush();
    c.handleReply(answer(0x02));
    await flush();
    expect(t.value).toEqual(Buffer.from([0x02]));
  });

  it("fails with timeout exactly at ackTimeoutMs, not a millisecond before", async () => {
    const { c, clock } = setup();
    const t = track(c.command(POWER_ON));
    await clock.tickAsync(1999);
    expect(t.state).toBe("pending");
    await clock.tickAsync(1);
    expect(t.state).toBe("rejected");
    expect(t.error?.code).toBe("timeout");
    expect(t.error?.message).toBe("no ACK within 2000 ms");
  });

  it("fails a command without Completion at its own completionTimeoutMs, counted from the ACK", async () => {
    const { c, clock } = setup();
    const t = track(c.command(RECALL_5, { completionTimeoutMs: 3000 }));
    await clock.tickAsync(500);
    c.handleReply(ack(2));
    await clock.tickAsync(2999);
    expect(t.state).toBe("pending");
    await clock.tickAsync(1);
    expect(t.error?.code).toBe("timeout");
    expect(c.pending).toBe(0);
  });

  it("keeps one request awaiting its ACK: the next waits in the queue until the ACK comes", async () => {
    const { c, sent } = setup();
    track(c.command(RECALL_5));
    const inq = track(c.inquiry(POWER_INQ));
    await flush();
    expect(sent.map((s) => s.frame)).toEqual([RECALL_5]);
    c.handleReply(ack(1));
    await flush();
    expect(sent.map((s) => s.frame)).toEqual([RECALL_5, POWER_INQ]);
    c.handleReply(answer(0x03));
    await flush();
    expect(inq.value).toEqual(Buffer.from([0x03]));
  });

  it("runs two commands in parallel on sockets 1 and 2; the third waits for a free socket", async () => {
    const { c, sent } = setup();
    const a = track(c.command(RECALL_5));
    const b = track(c.command(HOME));
    const third = track(c.command(POWER_ON));
    const inq = track(c.inquiry(POWER_INQ)); // behind the third command: FIFO, no overtaking
    await flush();
    c.handleReply(ack(1));
    await flush();
    c.handleReply(ack(2));
    await flush();
    expect(sent.map((s) => s.frame)).toEqual([RECALL_5, HOME]);
    // Completion of socket 2 frees a slot: the third command goes out, then the inquiry after its ACK.
    c.handleReply(done(2));
    await flush();
    expect(b.state).toBe("resolved");
    expect(a.state).toBe("pending");
    expect(sent.map((s) => s.frame)).toEqual([RECALL_5, HOME, POWER_ON]);
    c.handleReply(ack(2));
    await flush();
    expect(sent.map((s) => s.frame)).toEqual([RECALL_5, HOME, POWER_ON, POWER_INQ]);
    c.handleReply(answer(0x02));
    c.handleReply(done(1));
    c.handleReply(done(2));
    await flush();
    expect([a.state, third.state, inq.state]).toEqual(["resolved", "resolved", "resolved"]);
  });

  it("maps VISCA errors: 41 not executable -> device_error, 60 03 -> busy, 6s 04 -> the socket's owner", async () => {
    const { c } = setup();
    const ne = track(c.command(POWER_ON));
    await flush();
    c.handleReply(error(1, "not_executable", 0x41));
    await flush();
    expect(ne.error?.code).toBe("device_error");
    expect(ne.error?.details).toEqual({ visca: "not_executable" });

    const full = track(c.command(HOME));
    await flush();
    c.handleReply(error(0, "buffer_full", 0x03));
    await flush();
    expect(full.error?.code).toBe("busy");

    const syn = track(c.inquiry(POWER_INQ));
    await flush();
    c.handleReply(error(0, "syntax", 0x02));
    await flush();
    expect(syn.error?.details).toEqual({ visca: "syntax" });

    const moving = track(c.command(RECALL_5));
    await flush();
    c.handleReply(ack(2));
    c.handleReply(error(2, "cancelled", 0x04));
    await flush();
    expect(moving.error?.code).toBe("device_error");
    expect(moving.error?.details).toEqual({ visca: "cancelled" });
    expect(c.pending).toBe(0);
  });

  it("reports a reply nobody waits for instead of throwing", async () => {
    const { c, unmatched } = setup();
    expect(c.handleReply(done(1))).toBe(false);
    expect(c.handleReply(answer(0x02))).toBe(false);
    expect(unmatched).toEqual([done(1), answer(0x02)]);
  });

  it("a late ACK after a timeout is unmatched and does not settle the next request", async () => {
    const { c, clock, unmatched } = setup();
    const first = track(c.command(POWER_ON));
    await clock.tickAsync(2000);
    expect(first.error?.code).toBe("timeout");
    const inq = track(c.inquiry(POWER_INQ));
    await flush();
    c.handleReply(ack(1));
    expect(unmatched).toEqual([ack(1)]);
    expect(inq.state).toBe("pending");
  });

  it("clear() rejects queued, awaiting and socket-owning requests with the reason", async () => {
    const { c } = setup();
    const a = track(c.command(RECALL_5));
    await flush();
    c.handleReply(ack(1));
    const b = track(c.inquiry(POWER_INQ));
    const q = track(c.command(HOME));
    await flush();
    c.clear(new DeviceError("not_connected", "link lost"));
    await flush();
    expect([a.error?.code, b.error?.code, q.error?.code]).toEqual(["not_connected", "not_connected", "not_connected"]);
    expect(c.pending).toBe(0);
  });

  it("a failed write fails the request with not_connected and moves on", async () => {
    const { c } = setup({ failWrites: true });
    const t = track(c.command(POWER_ON));
    await flush();
    expect(t.error?.code).toBe("not_connected");
    expect(c.pending).toBe(0);
  });

  it("an aborted caller is rejected at once; a queued request never reaches the wire", async () => {
    const { c, sent } = setup();
    track(c.command(RECALL_5));
    const ac = new AbortController();
    const t = track(c.inquiry(POWER_INQ, { signal: ac.signal }));
    ac.abort();
    await flush();
    expect(t.error?.code).toBe("cancelled");
    c.handleReply(ack(1));
    await flush();
    expect(sent.map((s) => s.frame)).toEqual([RECALL_5]);
  });

  it("an aborted request on the wire keeps its slot until the device answers", async () => {
    const { c, sent, unmatched } = setup();
    const ac = new AbortController();
    const t = track(c.command(RECALL_5, { signal: ac.signal }));
    const next = track(c.inquiry(POWER_INQ));
    await flush();
    ac.abort(new DeviceError("timeout", "action deadline passed"));
    await flush();
    expect(t.error?.code).toBe("timeout");
    expect(sent).toHaveLength(1); // the inquiry must not overtake an un-ACKed command
    c.handleReply(ack(1));
    await flush();
    expect(sent).toHaveLength(2);
    c.handleReply(answer(0x02));
    c.handleReply(done(1));
    await flush();
    expect(next.state).toBe("resolved");
    expect(unmatched).toEqual([]);
  });

  it("control requests settle on the reply their matcher accepts; urgent ones jump the queue", async () => {
    const { c, sent } = setup();
    track(c.command(RECALL_5));
    track(c.inquiry(POWER_INQ));
    const addr = Buffer.from([0x88, 0x30, 0x01, 0xff]);
    const t = track(c.control(addr, (r) => r.type === "addressSet", { urgent: true }));
    await flush();
    c.handleReply(ack(1));
    await flush();
    expect(sent.map((s) => s.frame)).toEqual([RECALL_5, addr]);
    c.handleReply({ type: "addressSet", next: 2 });
    await flush();
    expect(t.value).toEqual({ type: "addressSet", next: 2 });
    expect(sent.map((s) => s.frame)).toEqual([RECALL_5, addr, POWER_INQ]);
  });

  it("fail(id) settles exactly that request (IP link: malformed)", async () => {
    const { c, sent } = setup();
    const t = track(c.command(POWER_ON));
    await flush();
    const id = sent[0]!.id;
    expect(c.fail(id, new DeviceError("device_error", "malformed", { visca: "malformed" }))).toBe(true);
    await flush();
    expect(t.error?.details).toEqual({ visca: "malformed" });
    expect(c.fail(id, new DeviceError("device_error", "again"))).toBe(false);
  });
});
