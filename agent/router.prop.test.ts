/**
 * Property tests of the command envelope (issue 9, item 5): whatever arrives on `cmd/{user}`, the
 * router never throws, never hangs past its deadline, answers exactly once with a coded result, and
 * never runs the device for a payload it rejects.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CommandRouter } from "./router.js";
import type { AuditRecord, CommandTarget } from "./router.js";
import { RESPONSE_STATUSES, ResponseSchema, type CommandResponse } from "./topics.js";
import { DeviceError } from "../drivers/types.js";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";

const SITE = "district-07";
const TIMEOUT_MS = 5000;
const START = 1_700_000_000_000;

function setup() {
  const clock = fakeClock(START);
  const responses: { user: string; res: CommandResponse }[] = [];
  const audits: AuditRecord[] = [];
  const runs: string[] = [];
  const noArgs = z.object({}).strict();
  const camera: CommandTarget = {
    actions: {
      "preset.recall": { description: "recall", args: z.object({ preset: z.number().int().min(0).max(255) }).strict(), run: async () => undefined },
      home: { description: "ok, no data", args: noArgs, run: async () => undefined },
      slow: { description: "never ends by itself", args: noArgs, run: async () => undefined },
      fail: { description: "device says no", args: noArgs, run: async () => undefined },
      crash: { description: "a bug in the driver", args: noArgs, run: async () => undefined },
    },
    async run(action, args) {
      runs.push(action);
      if (action === "slow") return new Promise(() => undefined);
      if (action === "fail") throw new DeviceError("device_error", "camera answered 90 61 41 FF");
      if (action === "crash") throw new TypeError("cannot read properties of undefined");
      if (action === "home") return undefined;
      return { recalled: (args as { preset: number }).preset };
    },
  };
  const router = new CommandRouter({
    site: SITE,
    clock,
    logger: memoryLogger(),
    commandTimeoutMs: TIMEOUT_MS,
    device: (id) => (id === "cam-main" ? camera : undefined),
    agent: { actions: {}, run: async () => undefined },
    respond: (user, res) => responses.push({ user, res }),
    audit: (rec) => audits.push(rec),
  });
  return { clock, router, responses, audits, runs };
}

/** Settles within one event-loop turn after the fake deadline, or the router hung. */
async function handleBounded(t: ReturnType<typeof setup>, payload: Buffer): Promise<void> {
  let settled = false;
  let failure: unknown;
  const done = t.router.handle(`roomgate/v1/${SITE}/cmd/op-anna`, payload).then(
    () => (settled = true),
    (err: unknown) => {
      settled = true;
      failure = err ?? new Error("rejected with nothing");
    },
  );
  await t.clock.tickAsync(TIMEOUT_MS + 1);
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(settled, "handle() still pending after the command deadline").toBe(true);
  await done;
  if (failure !== undefined) throw failure;
}

// ---- payloads ----

const rawBytes = fc.uint8Array({ maxLength: 64 }).map((a) => Buffer.from(a));
const anyJson = fc.jsonValue({ maxDepth: 3 }).map((v) => Buffer.from(JSON.stringify(v) ?? "null"));

const ABSENT = Symbol("absent");
/** Mostly the valid value, sometimes a wrong one, sometimes missing. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, wrong: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 12, arbitrary: valid }, { weight: 2, arbitrary: wrong }, { weight: 1, arbitrary: fc.constant(ABSENT) });

/** Objects near the schema: each field mostly valid, else wrong-typed or missing, rarely a stray key. */
const nearCommand = fc
  .record({
    id: mostly(fc.constantFrom("c1", "x".repeat(64)), fc.oneof(fc.constantFrom("", "y".repeat(65)), fc.jsonValue({ maxDepth: 1 }))),
    device: mostly(fc.constantFrom("cam-main", "cam-main", "cam-nope"), fc.oneof(fc.constantFrom("CAM main", ""), fc.string({ maxLength: 10 }), fc.integer())),
    action: mostly(fc.constantFrom("preset.recall", "home", "slow", "fail", "crash", "fly"), fc.oneof(fc.constant(""), fc.string({ maxLength: 10 }), fc.boolean())),
    args: mostly(
      fc.oneof(fc.constant({}), fc.record({ preset: fc.integer({ min: 0, max: 255 }) })),
      fc.oneof(
        fc.record({ preset: fc.oneof(fc.integer({ min: -2, max: 300 }), fc.string({ maxLength: 3 }), fc.double()) }),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
        fc.jsonValue({ maxDepth: 1 }),
      ),
    ),
    expiresAt: fc.oneof(
      { weight: 3, arbitrary: fc.constant(ABSENT) },
      { weight: 2, arbitrary: fc.integer({ min: START - 10_000, max: START + 10_000 }) },
      { weight: 1, arbitrary: fc.constantFrom(0, -1, 8.64e15 + 1, Number.MAX_SAFE_INTEGER, 1.5) },
      { weight: 1, arbitrary: fc.string({ maxLength: 5 }) },
    ),
    extra: fc.oneof({ weight: 9, arbitrary: fc.constant(ABSENT) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
  })
  .map((o) => Buffer.from(JSON.stringify(Object.fromEntries(Object.entries(o).filter(([, v]) => v !== ABSENT)))));

/** Valid JSON text, then a few bytes flipped (truncated objects, bad UTF-8, stray quotes). */
const mutatedCommand = fc
  .tuple(nearCommand, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }))
  .map(([buf, flips]) => {
    const out = Buffer.from(buf);
    for (const [at, byte] of flips) out[at % out.length] = byte;
    return out;
  });

const payloadArb = fc.oneof(rawBytes, anyJson, { weight: 3, arbitrary: nearCommand }, mutatedCommand);

const STATUSES = new Set<string>(RESPONSE_STATUSES);

const BRANCH_EXAMPLES: unknown[] = [
  { id: "b1", device: "cam-main", action: "preset.recall", args: { preset: 3 } },
  { id: "b2", device: "cam-main", action: "slow" },
  { id: "b3", device: "cam-main", action: "fail" },
  { id: "b4", device: "cam-main", action: "crash" },
  { id: "b5", device: "cam-main", action: "fly" },
  { id: "b6", device: "cam-nope", action: "home" },
  { id: "b7", device: "cam-main", action: "home", expiresAt: START - 1 },
  { id: "b8", device: "cam-main", action: "preset.recall", args: { preset: 256 } },
];

describe("CommandRouter properties", () => {
  it("any payload: no throw, no hang, exactly one schema-valid response and audit; rejected payloads never run", async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(payloadArb, async (payload) => {
        const t = setup();
        await handleBounded(t, payload);
        expect(t.responses).toHaveLength(1);
        expect(t.audits).toHaveLength(1);
        const { user, res } = t.responses[0]!;
        seen.add(`${res.status}/${res.error?.code ?? ""}`);
        expect(user).toBe("op-anna");
        expect(STATUSES.has(res.status)).toBe(true);
        // The published response must satisfy the contract monitoring clients validate against.
        expect(ResponseSchema.safeParse(res).success).toBe(true);
        if (res.status !== "ok") {
          expect(typeof res.error?.code).toBe("string");
          expect(res.error!.code.length).toBeGreaterThan(0);
        }
        expect(t.audits[0]!.status).toBe(res.status);
        expect(t.audits[0]!.id).toBe(res.id);
        // The device runs only for a command that passed every check, and then at most once.
        const ran = res.status === "ok" || res.status === "timeout" || ["device_error", "internal"].includes(res.error?.code ?? "");
        if (res.status === "rejected" || res.status === "expired" || !ran) expect(t.runs).toEqual([]);
        else expect(t.runs).toHaveLength(1);
      }),
      // One known payload per branch runs first, so every branch is checked on every run.
      { numRuns: 600, examples: BRANCH_EXAMPLES.map((e) => [Buffer.from(JSON.stringify(e))]) },
    );
    // The generators must reach every branch, or the property proves little.
    expect([...seen].sort()).toEqual([
      "error/device_error", "error/internal", "error/unknown_action", "error/unknown_device",
      "expired/expired", "ok/", "rejected/invalid_args", "timeout/timeout",
    ]);
  });

  it("a valid command past its expiresAt is answered expired and never run, whatever the action", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("preset.recall", "home", "slow", "fail", "crash", "fly"),
        fc.integer({ min: 0, max: START }),
        async (action, expiresAt) => {
          const t = setup();
          await handleBounded(t, Buffer.from(JSON.stringify({ id: "c9", device: "cam-main", action, expiresAt })));
          expect(t.runs).toEqual([]);
          expect(t.responses.map((r) => [r.res.id, r.res.status, r.res.error?.code])).toEqual([["c9", "expired", "expired"]]);
        },
      ),
      { numRuns: 200 },
    );
  });
});
