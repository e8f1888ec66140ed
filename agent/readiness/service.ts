/**
 * The agent's readiness part: the agent-level actions `readiness.run`, `readiness.last`,
 * `scene.run` and `scene.list` (docs/topics.md), one check at a time (another request is answered
 * `busy` with the running check's id), the retained report on `roomgate/v1/{site}/readiness`, and
 * progress as events (`readiness.started`/`.item`/`.finished`, `scene.step`/`.finished`).
 */
import { z } from "zod";
import type { ActionSpec, Clock, Logger } from "../../drivers/types.js";
import { DeviceError } from "../../drivers/types.js";
import type { SiteConfig } from "../../config/site.js";
import type { Readiness, ReadinessItemReport } from "../topics.js";
import { roomScenes, runSteps, sceneBudgetMs, type SceneResult, type StepDeps } from "../scenes.js";
import { planCheck, profiledRooms, runCheck, type CheckDeps } from "./check.js";

export interface ReadinessDeps extends CheckDeps {
  logger: Logger;
  bootSeq: number;
  /** Runs a device action for a scene step (as `user`), under the step's deadline. */
  runAction(device: string, action: string, args: Record<string, unknown>, timeoutMs: number, user: string): Promise<unknown>;
  /** Publishes the report retained. */
  retain(report: Readiness): void;
  event(type: string, data: Record<string, unknown>): void;
}

export interface RunOptions {
  rooms?: string[] | undefined;
  fix?: boolean | undefined;
  deadlineMs?: number | undefined;
  user?: string | undefined;
  trigger?: Readiness["trigger"];
}

const id = z.string().regex(/^[a-z0-9-]+$/);

export class ReadinessService {
  private running: { id: string; startedAt: number } | null = null;
  private readonly scenesRunning = new Map<string, string>();
  private last: Readiness | null = null;
  private checks = 0;
  private sceneRuns = 0;

  constructor(private readonly deps: ReadinessDeps) {}

  /** The last report (republished after each reconnect with the other retained topics). */
  get lastReport(): Readiness | null {
    return this.last;
  }

  get busy(): boolean {
    return this.running !== null;
  }

  /** Runs a check now; rejects with DeviceError `busy` (details.running = the running check's id). */
  async run(opts: RunOptions = {}): Promise<Readiness> {
    const { config, clock } = this.deps;
    if (this.running) {
      throw new DeviceError("busy", `a readiness check is already running: ${this.running.id}`, { running: this.running.id, startedAt: this.running.startedAt });
    }
    const rooms = this.pickRooms(opts.rooms);
    const checkId = `chk-${this.deps.bootSeq}-${++this.checks}`;
    const startedAt = clock.now();
    this.running = { id: checkId, startedAt };
    try {
      const deadlineMs = opts.deadlineMs ?? config.readiness.deadlineMs;
      const trigger = opts.trigger ?? "manual";
      const who = opts.user !== undefined ? { requestedBy: opts.user } : {};
      const fix = opts.fix ? await this.prepare(rooms, opts.user ?? "readiness") : undefined;
      const items = await planCheck(this.deps, { rooms });
      this.deps.event("readiness.started", { check: checkId, ...who, trigger, rooms, deadlineMs, items });
      const checks = await runCheck(this.deps, {
        rooms,
        deadlineMs,
        onItem: (item) => this.deps.event("readiness.item", { check: checkId, item }),
      });
      const counts = countResults(checks);
      const result = counts.fail > 0 ? "fail" : counts.warn > 0 ? "warn" : "pass";
      const report: Readiness = {
        id: checkId, site: config.site, ts: clock.now(), startedAt, result, durationMs: clock.now() - startedAt, deadlineMs,
        ...who, trigger, rooms, counts, ...(fix ? { fix } : {}), checks,
      };
      this.last = report;
      this.deps.retain(report);
      this.deps.event("readiness.finished", { check: checkId, result, counts, durationMs: report.durationMs });
      this.deps.logger.info({ check: checkId, result, counts, user: opts.user, trigger }, "readiness check done");
      return report;
    } finally {
      this.running = null;
    }
  }

  /** Runs a room's scene; rejects with `busy` while one runs in that room, `invalid_args` for an unknown scene. */
  async runScene(room: string, scene: string, user: string): Promise<SceneResult> {
    const sc = roomScenes(this.deps.config, room)[scene];
    if (!sc) {
      const known = Object.keys(roomScenes(this.deps.config, room));
      throw new DeviceError("invalid_args", `room ${room} has no scene "${scene}"; scenes: ${known.join(", ") || "none"}`);
    }
    const other = this.scenesRunning.get(room);
    if (other !== undefined) throw new DeviceError("busy", `scene ${other} is running in ${room}`, { running: other });
    const run = `scn-${this.deps.bootSeq}-${++this.sceneRuns}`;
    this.scenesRunning.set(room, scene);
    try {
      const startedAt = this.deps.clock.now();
      const stepDeps: StepDeps = {
        clock: this.deps.clock,
        run: (d, a, args, ms) => this.deps.runAction(d, a, args, ms, user),
        verify: (devices, ms) => this.verify(room, devices, ms),
        onStep: (step) => this.deps.event("scene.step", { run, scene, room, step }),
      };
      const steps = await runSteps(sc.steps, sc.onFailure, stepDeps);
      const result: SceneResult = {
        scene, room, status: steps.some((s) => s.status !== "ok") ? "failed" : "ok", steps, startedAt, durationMs: this.deps.clock.now() - startedAt,
      };
      this.deps.event("scene.finished", { run, user, ...result });
      this.deps.logger.info({ run, scene, room, user, status: result.status }, "scene ran");
      return result;
    } finally {
      this.scenesRunning.delete(room);
    }
  }

  /** A scene's verify step: reads `devices` back against the room's profile; the failing items (empty: all pass). */
  async verify(room: string, devices: string[], deadlineMs: number): Promise<string[]> {
    const items = await runCheck(this.deps, { rooms: [room], devices, deadlineMs });
    return items.filter((i) => i.result === "fail").map((i) => `${i.id}: ${i.message ?? i.code ?? "failed"}`);
  }

  /** Agent-level actions: readiness.run, readiness.last, scene.run, scene.list. */
  actions(): Record<string, ActionSpec> {
    const { config } = this.deps;
    const roomsArg = z.array(id).min(1).optional().describe("Rooms to check (default: every room with a profile).");
    const runArgs = z.strictObject({
      rooms: roomsArg,
      fix: z.boolean().default(false).describe("Run each room's prepare scene first, then check."),
      deadlineMs: z.number().int().min(1000).max(300_000).optional().describe(`Overrides readiness.deadlineMs (${config.readiness.deadlineMs}).`),
    }).meta({ examples: [{ rooms: ["main-hall"], fix: false }] });
    const sceneArgs = z.strictObject({
      scene: id.describe("The scene: prepare, shutdown, presentation, failsafe, ..."),
      room: id.optional().describe("The room; may be left out when only one room has scenes."),
    }).meta({ examples: [{ scene: "presentation", room: "main-hall" }] });
    return {
      "readiness.run": {
        description:
          "Runs the readiness check now (every profile expectation read back from the devices, every host probed), publishes " +
          "the report retained on readiness and answers with it. busy (details.running) while another check runs.",
        args: runArgs,
        timeoutMs: (a: z.output<typeof runArgs>) => (a.deadlineMs ?? config.readiness.deadlineMs) + (a.fix ? this.prepareBudget(a.rooms) : 0) + 2000,
        run: (a: z.output<typeof runArgs>, ctx) => this.run({ rooms: a.rooms, fix: a.fix, deadlineMs: a.deadlineMs, user: ctx.user }),
      },
      "readiness.last": {
        description: "The last readiness report (null before the first check), and the id of a check running now.",
        args: z.strictObject({}).meta({ examples: [{}] }),
        run: async () => ({ report: this.last, running: this.running?.id ?? null }),
      },
      "scene.run": {
        description: "Runs a room's scene step by step (scene.step events as it goes) and answers with each step's result.",
        args: sceneArgs,
        timeoutMs: (a: z.output<typeof sceneArgs>) => {
          const sc = roomScenes(config, this.sceneRoom(a.room, true) ?? "")[a.scene];
          return sc ? sceneBudgetMs(sc) : 5000;
        },
        run: (a: z.output<typeof sceneArgs>, ctx) => this.runScene(this.sceneRoom(a.room)!, a.scene, ctx.user ?? "unknown"),
      },
      "scene.list": {
        description: "The scenes of each room, with their steps.",
        args: z.strictObject({}).meta({ examples: [{}] }),
        run: async () => ({
          rooms: Object.fromEntries(Object.keys(config.rooms ?? {}).map((r) => [r, roomScenes(config, r)])),
        }),
      },
    };
  }

  /** The prepare scene of each room that has one (a room without one is simply checked). */
  private async prepare(rooms: string[], user: string): Promise<SceneResult[]> {
    const results: SceneResult[] = [];
    for (const room of rooms) {
      if (roomScenes(this.deps.config, room).prepare) results.push(await this.runScene(room, "prepare", user));
    }
    return results;
  }

  private prepareBudget(rooms: string[] | undefined): number {
    const list = rooms ?? profiledRooms(this.deps.config);
    return list.reduce((sum, r) => {
      const p = roomScenes(this.deps.config, r).prepare;
      return sum + (p ? sceneBudgetMs(p) : 0);
    }, 0);
  }

  private pickRooms(rooms: string[] | undefined): string[] {
    const profiled = profiledRooms(this.deps.config);
    if (rooms === undefined) {
      if (profiled.length === 0) throw new DeviceError("invalid_args", "no room of this site has a readiness profile (rooms.*.profile)");
      return profiled;
    }
    const unknown = rooms.filter((r) => !profiled.includes(r));
    if (unknown.length > 0) throw new DeviceError("invalid_args", `no readiness profile for ${unknown.join(", ")}; rooms with one: ${profiled.join(", ") || "none"}`);
    return rooms;
  }

  private sceneRoom(room: string | undefined, quiet = false): string | undefined {
    const rooms = Object.keys(this.deps.config.rooms ?? {}).filter((r) => Object.keys(roomScenes(this.deps.config, r)).length > 0);
    if (room !== undefined) {
      if (this.deps.config.rooms?.[room] !== undefined) return room;
      if (quiet) return undefined;
      throw new DeviceError("invalid_args", `no room "${room}"; rooms with scenes: ${rooms.join(", ") || "none"}`);
    }
    if (rooms.length === 1) return rooms[0];
    if (quiet) return undefined;
    throw new DeviceError("invalid_args", rooms.length === 0 ? "no room of this site has scenes" : `name the room: one of ${rooms.join(", ")}`);
  }
}

function countResults(items: readonly ReadinessItemReport[]): Readiness["counts"] {
  const counts = { pass: 0, warn: 0, fail: 0, skip: 0 };
  for (const i of items) counts[i.result]++;
  return counts;
}
