/**
 * call.dial's settle rule on a fake call book and clock: ok once the call has been connected for
 * connectedHoldMs without a break. A status read that left before the call connected can come back
 * after its feedback and show it connecting again for a moment; the dial must still answer ok once the
 * call is connected again, not run on to no_answer (seen on the demo's readiness test call under load).
 */
import { describe, expect, it } from "vitest";
import type { CodecCall } from "../codec/vocabulary.js";
import type { ActionContext } from "../types.js";
import { fakeClock } from "../../test/helpers/clock.js";
import type { CallBook } from "./calls.js";
import { dial, type DialDeps } from "./dial.js";

type Ev = Parameters<Parameters<CallBook["on"]>[0]>[0];

function fakeBook() {
  const listeners = new Set<(ev: Ev) => void>();
  const calls = new Map<string, CodecCall>();
  const set = (id: string, state: CodecCall["state"]) => {
    const call = { id, direction: "outgoing", remote: "9999@mcu", state, protocol: "sip", rateKbps: null, since: 0 } as unknown as CodecCall;
    calls.set(id, call);
    for (const l of listeners) l({ type: "state", call });
  };
  const book = {
    on: (l: (ev: Ev) => void) => (listeners.add(l), () => listeners.delete(l)),
    get: (id: string) => calls.get(id),
    dialled: (id: string) => set(id, "connecting"),
    endingByUs: () => undefined,
  } as unknown as CallBook;
  return { book, set };
}

function setup() {
  const clock = fakeClock();
  const { book, set } = fakeBook();
  const disconnected: string[] = [];
  const deps: DialDeps = {
    book,
    clock,
    dialTimeoutMs: 10_000,
    connectedHoldMs: 300,
    command: async () => ({ CallId: "6" }),
    disconnect: (id) => void disconnected.push(id),
    registered: () => true,
  };
  const actx = { signal: new AbortController().signal, deadline: clock.now() + 60_000 } as unknown as ActionContext;
  return { clock, set, deps, actx, disconnected };
}

describe("call.dial on the Cisco", () => {
  it("answers ok once the call has held connected, after a stale 'connecting' broke the first hold", async () => {
    const { clock, set, deps, actx, disconnected } = setup();
    let settled: unknown;
    const p = dial(deps, { number: "9999@mcu", protocol: "sip" }, actx).then(
      (r) => (settled = r),
      (e: unknown) => (settled = e),
    );
    await clock.tickAsync(0);
    set("6", "connected");
    await clock.tickAsync(100);
    set("6", "connecting"); // the stale status read
    await clock.tickAsync(250); // the first hold's end passes while the call shows connecting
    set("6", "connected");
    await clock.tickAsync(300);
    await p;
    expect(settled).toMatchObject({ callId: "6", state: "connected" });
    expect(disconnected).toEqual([]);
  });

  it("still gives up with no_answer when the call never holds connected", async () => {
    const { clock, set, deps, actx, disconnected } = setup();
    let settled: unknown;
    const p = dial(deps, { number: "9999@mcu", protocol: "sip" }, actx).then(
      (r) => (settled = r),
      (e: unknown) => (settled = e),
    );
    await clock.tickAsync(0);
    set("6", "connected");
    await clock.tickAsync(100);
    set("6", "connecting");
    await clock.tickAsync(10_000);
    await p;
    expect(settled).toMatchObject({ code: "no_answer" });
    expect(disconnected).toEqual(["6"]);
  });
});
