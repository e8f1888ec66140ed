import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CommandRouter } from "./router.js";
import type { AuditRecord, CommandTarget } from "./router.js";
import type { CommandResponse } from "./topics.js";
import { DeviceError } from "../drivers/types.js";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";

const SITE = "district-07";

function setup() {
  const clock = fakeClock();
  const logger = memoryLogger();
  const responses: { user: string; res: CommandResponse }[] = [];
  const audits: AuditRecord[] = [];
  const runs: { action: string; args: unknown }[] = [];
  let pending: ((v: unknown) => void) | undefined;
  const camera: CommandTarget = {
    actions: {
      "preset.recall": { description: "recall", args: z.object({ preset: z.number().int().min(0).max(255) }).strict(), run: async () => undefined },
      slow: { description: "never ends by itself", args: z.object({}), run: async () => undefined },
      fail: { description: "device says no", args: z.object({}), run: async () => undefined },
    },
    async run(action, args) {
      runs.push({ action, args });
      if (action === "slow") return new Promise((resolve) => (pending = resolve));
      if (action === "fail") throw new DeviceError("device_error", "camera answered 90 61 41 FF", { visca: "not_executable" });
      return { recalled: (args as { preset: number }).preset };
    },
  };
  const router = new CommandRouter({
    site: SITE,
    clock,
    logger,
    commandTimeoutMs: 5000,
    device: (id) => (id === "cam-main" ? camera : undefined),
    agent: { actions: {}, run: async () => undefined },
    respond: (user, res) => responses.push({ user, res }),
    audit: (rec) => audits.push(rec),
  });
  const send = (payload: unknown, user = "op-anna") =>
    router.handle(`roomgate/v1/${SITE}/cmd/${user}`, Buffer.from(typeof payload === "string" ? payload : JSON.stringify(payload)));
  return { clock, logger, responses, audits, runs, send, finishSlow: (v: unknown) => pending?.(v) };
}

describe("CommandRouter", () => {
  it("runs a valid command and answers ok to the user named in the topic, with an audit record", async () => {
    const t = setup();
    await t.send({ id: "c1", device: "cam-main", action: "preset.recall", args: { preset: 5 } });
    expect(t.runs).toEqual([{ action: "preset.recall", args: { preset: 5 } }]);
    expect(t.responses).toHaveLength(1);
    expect(t.responses[0]!.user).toBe("op-anna");
    expect(t.responses[0]!.res).toMatchObject({ id: "c1", status: "ok", data: { recalled: 5 } });
    expect(t.audits[0]).toMatchObject({ id: "c1", user: "op-anna", device: "cam-main", action: "preset.recall", status: "ok" });
    expect(t.logger.records.some((r) => typeof r.obj === "object" && "audit" in r.obj)).toBe(true);
  });

  it("rejects malformed JSON with a coded error and runs nothing", async () => {
    const t = setup();
    await t.send("{not json");
    expect(t.runs).toEqual([]);
    expect(t.responses[0]!.res).toMatchObject({ status: "rejected", error: { code: "invalid_args" } });
  });

  it("rejects args that fail the action's schema, with zod's issues", async () => {
    const t = setup();
    await t.send({ id: "c2", device: "cam-main", action: "preset.recall", args: { preset: 999 } });
    expect(t.runs).toEqual([]);
    const res = t.responses[0]!.res;
    expect(res).toMatchObject({ id: "c2", status: "rejected", error: { code: "invalid_args" } });
    const issues = (res.error!.details as { issues: { path: unknown[] }[] }).issues;
    expect(issues[0]!.path).toEqual(["preset"]);
  });

  it("answers unknown_device and unknown_action with the names it knows", async () => {
    const t = setup();
    await t.send({ id: "c3", device: "cam-nope", action: "home" });
    await t.send({ id: "c4", device: "cam-main", action: "fly" });
    expect(t.responses.map((r) => [r.res.status, r.res.error?.code])).toEqual([
      ["error", "unknown_device"],
      ["error", "unknown_action"],
    ]);
    expect(t.responses[1]!.res.error!.message).toContain("preset.recall");
  });

  it("does not mistake Object.prototype's members for actions (found by fast-check, seed -1388276726)", async () => {
    const t = setup();
    for (const action of ["valueOf", "constructor", "__proto__", "hasOwnProperty"]) {
      await t.send({ id: action, device: "cam-main", action, args: { preset: 0 } });
    }
    expect(t.runs).toEqual([]);
    expect(t.responses.map((r) => r.res.error?.code)).toEqual(["unknown_action", "unknown_action", "unknown_action", "unknown_action"]);
  });

  it("answers expired for a command past its expiresAt and never runs it", async () => {
    const t = setup();
    await t.send({ id: "c5", device: "cam-main", action: "preset.recall", args: { preset: 1 }, expiresAt: t.clock.now() - 1 });
    expect(t.runs).toEqual([]);
    expect(t.responses[0]!.res).toMatchObject({ id: "c5", status: "expired", error: { code: "expired" } });
  });

  it("answers timeout when the action outlives the deadline", async () => {
    const t = setup();
    const done = t.send({ id: "c6", device: "cam-main", action: "slow" });
    await t.clock.tickAsync(4999);
    expect(t.responses).toHaveLength(0);
    await t.clock.tickAsync(1);
    await done;
    expect(t.responses[0]!.res).toMatchObject({ id: "c6", status: "timeout", error: { code: "timeout" } });
    expect(t.audits[0]!.durationMs).toBe(5000);
  });

  it("passes a device error's code and details through to the operator", async () => {
    const t = setup();
    await t.send({ id: "c7", device: "cam-main", action: "fail" });
    expect(t.responses[0]!.res).toMatchObject({
      status: "error",
      error: { code: "device_error", details: { visca: "not_executable" } },
    });
  });

  it("ignores topics of another site", async () => {
    const t = setup();
    await t.send({ id: "c8", device: "cam-main", action: "preset.recall", args: { preset: 1 } });
    const before = t.responses.length;
    const r = new CommandRouter({
      site: "other-site", clock: t.clock, logger: t.logger, commandTimeoutMs: 1000,
      device: () => undefined, agent: { actions: {}, run: async () => undefined },
      respond: () => t.responses.push({ user: "x", res: { id: "", status: "ok", ts: 0 } as CommandResponse }),
      audit: () => undefined,
    });
    await r.handle(`roomgate/v1/${SITE}/cmd/op`, Buffer.from("{}"));
    expect(t.responses.length).toBe(before);
  });
});
