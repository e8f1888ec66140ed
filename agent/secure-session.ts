/**
 * The secure-session interlock (issue 6): while a classified session runs in a room, anything but
 * SECURE from the room's link encryptor (UNKNOWN, i.e. silence, included) raises a critical
 * `not_secure` alarm at once and runs the room's fail-safe steps, each step's outcome reported.
 * Fail closed: a session cannot start unless the encryptor says SECURE now, and nothing is undone
 * when SECURE returns; an operator resumes (`session.resume`, only when SECURE) or ends the session.
 *
 * Reaction time: the encryptor driver emits its state synchronously with the line that changed it,
 * and `onDeviceState` runs in that same turn: the alarm is in the outbox before the next line is read.
 */
import { z } from "zod";
import type { ActionSpec, Clock, Logger } from "../drivers/types.js";
import { DeviceError } from "../drivers/types.js";
import type { SiteConfig } from "../config/site.js";
import type { AlarmManager } from "./alarms.js";
import { roomScenes, runSteps, type StepDeps, type StepResult } from "./scenes.js";

export interface SessionDeps {
  config: SiteConfig;
  alarms: AlarmManager;
  clock: Clock;
  logger: Logger;
  /** The latest polled or pushed state of a device, or undefined before the first. */
  stateOf(device: string): Record<string, unknown> | undefined;
  /** Runs a device action with a deadline; rejects with a DeviceError. */
  run: StepDeps["run"];
  /** Verify steps of a room's `failsafe` scene (readiness read-back); absent: such steps fail. */
  verify?(room: string, devices: string[], timeoutMs: number): Promise<string[]>;
  event(type: string, data: Record<string, unknown>): void;
}

interface RoomSession {
  room: string;
  classified: boolean;
  startedBy: string;
  startedAt: number;
  /** Set when SECURE was lost; cleared only by resume or end. */
  tripped: { at: number; state: string } | null;
}

const roomArg = z.string().regex(/^[a-z0-9-]+$/).optional().describe("The room; may be left out when only one room has secure settings.");

/** Human text of the encryptor's security state; `null` when SECURE. */
function notSecureReason(state: Record<string, unknown> | undefined): string | null {
  if (state === undefined) return "no status from the encryptor yet (UNKNOWN)";
  if (state.secure === true && state.state === "SECURE") return null;
  const word = typeof state.state === "string" ? state.state : "UNKNOWN";
  return `encryptor state ${word}`;
}

/** How often the schedule is checked. */
export const SCHEDULE_CHECK_MS = 15_000;

export class SecureSessions {
  private readonly sessions = new Map<string, RoomSession>();
  private readonly failsafeRuns = new Set<Promise<unknown>>();
  /** `room@start` of the scheduled windows already acted on (started, or refused once). */
  private readonly scheduled = new Set<string>();
  private scheduleTimer: unknown;

  constructor(private readonly deps: SessionDeps) {}

  /** Starts checking the rooms' schedules (now, then every SCHEDULE_CHECK_MS). */
  startSchedule(): void {
    if (this.scheduleTimer !== undefined) return;
    const any = Object.values(this.rooms()).some((r) => r.schedule.length > 0);
    if (!any) return;
    this.checkSchedule();
    this.scheduleTimer = this.deps.clock.setInterval(() => this.checkSchedule(), SCHEDULE_CHECK_MS);
  }

  stopSchedule(): void {
    if (this.scheduleTimer !== undefined) this.deps.clock.clearInterval(this.scheduleTimer);
    this.scheduleTimer = undefined;
  }

  /**
   * A window that has begun gets one start attempt; a refusal (encryptor not SECURE) is an event and
   * a major `session_not_started` alarm, cleared when the window ends or a session starts. A session
   * the schedule started is ended by it at the window's end; one an operator started is left alone.
   */
  private checkSchedule(): void {
    const now = this.deps.clock.now();
    for (const [room, cfg] of Object.entries(this.rooms())) {
      for (const w of cfg.schedule) {
        const start = Date.parse(w.start);
        const end = Date.parse(w.end);
        const key = `${room}@${w.start}`;
        const refusedId = `${room}-session-not-started`;
        if (now >= end) {
          if (this.scheduled.delete(key)) {
            this.deps.alarms.clear(refusedId);
            const s = this.sessions.get(room);
            if (s?.startedBy === "schedule") this.end(room, "schedule");
          }
          continue;
        }
        if (now < start || this.scheduled.has(key)) continue;
        this.scheduled.add(key);
        try {
          this.start(room, "schedule");
        } catch (err) {
          const message = `scheduled secure session in ${room} not started: ${(err as Error).message}`;
          this.deps.event("session.refused", { room, user: "schedule", reason: (err as Error).message });
          this.deps.alarms.raise({ id: refusedId, source: "session", severity: "major", code: "session_not_started", message });
        }
      }
    }
  }

  /** Rooms with secure settings. */
  private rooms(): Record<string, NonNullable<NonNullable<SiteConfig["rooms"]>[string]["secure"]>> {
    const out: Record<string, NonNullable<NonNullable<SiteConfig["rooms"]>[string]["secure"]>> = {};
    for (const [id, room] of Object.entries(this.deps.config.rooms ?? {})) if (room.secure) out[id] = room.secure;
    return out;
  }

  private pickRoom(room: string | undefined): string {
    const rooms = Object.keys(this.rooms());
    if (room !== undefined) {
      if (!rooms.includes(room)) throw new DeviceError("invalid_args", `room "${room}" has no secure settings; rooms with them: ${rooms.join(", ") || "none"}`);
      return room;
    }
    if (rooms.length === 1) return rooms[0]!;
    throw new DeviceError("invalid_args", rooms.length === 0 ? "no room of this site has secure settings" : `name the room: one of ${rooms.join(", ")}`);
  }

  /** Agent-level actions: session.start, session.end, session.resume, session.status. */
  actions(): Record<string, ActionSpec> {
    return {
      "session.start": {
        description: "Starts a secure (classified) session in a room; refused unless its encryptor is SECURE now.",
        args: z
          .strictObject({ room: roomArg, classified: z.literal(true).describe("Must be true: this starts a classified session.") })
          .meta({ examples: [{ room: "main-hall", classified: true }] }),
        run: async (args: { room?: string }, ctx) => this.start(this.pickRoom(args.room), ctx.user ?? "unknown"),
      },
      "session.end": {
        description: "Ends the room's secure session (clears its not_secure alarm). Undoes no fail-safe step.",
        args: z.strictObject({ room: roomArg }).meta({ examples: [{ room: "main-hall" }] }),
        run: async (args: { room?: string }, ctx) => this.end(this.pickRoom(args.room), ctx.user ?? "unknown"),
      },
      "session.resume": {
        description: "Re-arms a tripped secure session once the encryptor is SECURE again (clears not_secure).",
        args: z.strictObject({ room: roomArg }).meta({ examples: [{ room: "main-hall" }] }),
        run: async (args: { room?: string }, ctx) => this.resume(this.pickRoom(args.room), ctx.user ?? "unknown"),
      },
      "session.status": {
        description: "The secure sessions of the site and their encryptors' states.",
        args: z.strictObject({}).meta({ examples: [{}] }),
        run: async () => this.status(),
      },
    };
  }

  status(): Record<string, unknown> {
    const rooms: Record<string, unknown> = {};
    for (const [room, cfg] of Object.entries(this.rooms())) {
      const s = this.sessions.get(room);
      const reason = notSecureReason(this.deps.stateOf(cfg.encryptor));
      rooms[room] = {
        encryptor: cfg.encryptor,
        secure: reason === null,
        ...(reason === null ? {} : { reason }),
        session: s ? { classified: s.classified, startedBy: s.startedBy, startedAt: s.startedAt, tripped: s.tripped } : null,
      };
    }
    return { rooms };
  }

  private start(room: string, user: string): Record<string, unknown> {
    const cfg = this.rooms()[room]!;
    const reason = notSecureReason(this.deps.stateOf(cfg.encryptor));
    if (reason !== null) throw new DeviceError("busy", `cannot start a secure session in ${room}: ${reason}`, { room, encryptor: cfg.encryptor });
    if (this.sessions.has(room)) throw new DeviceError("busy", `a secure session is already running in ${room}`, { room });
    const s: RoomSession = { room, classified: true, startedBy: user, startedAt: this.deps.clock.now(), tripped: null };
    this.sessions.set(room, s);
    this.deps.alarms.clear(`${room}-session-not-started`);
    this.deps.event("session.started", { room, classified: true, user });
    this.deps.logger.info({ room, user }, "secure session started");
    return { room, started: true };
  }

  private end(room: string, user: string): Record<string, unknown> {
    const s = this.sessions.get(room);
    if (!s) throw new DeviceError("invalid_args", `no secure session is running in ${room}`);
    this.sessions.delete(room);
    this.deps.alarms.clear(alarmId(room));
    this.deps.event("session.ended", { room, user, tripped: s.tripped !== null });
    this.deps.logger.info({ room, user }, "secure session ended");
    return { room, ended: true };
  }

  private resume(room: string, user: string): Record<string, unknown> {
    const s = this.sessions.get(room);
    if (!s) throw new DeviceError("invalid_args", `no secure session is running in ${room}`);
    const reason = notSecureReason(this.deps.stateOf(this.rooms()[room]!.encryptor));
    if (reason !== null) throw new DeviceError("busy", `cannot resume the secure session in ${room}: ${reason}`);
    s.tripped = null;
    this.deps.alarms.clear(alarmId(room));
    this.deps.event("session.resumed", { room, user });
    return { room, resumed: true };
  }

  /** Called with every new state of every device (synchronously from the driver's emit). */
  onDeviceState(device: string): void {
    for (const [room, cfg] of Object.entries(this.rooms())) {
      if (cfg.encryptor !== device) continue;
      const s = this.sessions.get(room);
      if (!s) continue;
      const reason = notSecureReason(this.deps.stateOf(device));
      if (reason === null) continue; // SECURE again: nothing is undone or re-enabled by itself
      this.deps.alarms.raise({
        id: alarmId(room), source: "session", severity: "critical", code: "not_secure", device,
        message: `secure session in ${room}: ${reason}`,
      });
      if (s.tripped === null) {
        s.tripped = { at: this.deps.clock.now(), state: reason };
        this.deps.event("session.tripped", { room, reason });
        const run = this.runFailsafe(room);
        this.failsafeRuns.add(run);
        void run.finally(() => this.failsafeRuns.delete(run));
      }
    }
  }

  /** Resolves when every fail-safe run in progress has finished (tests, stop). */
  async settled(): Promise<void> {
    await Promise.all([...this.failsafeRuns]);
  }

  /**
   * The room's `failsafe` scene (its secure.failsafe steps, or scenes.failsafe) through the one step
   * runner; the secure.failsafe form continues past a failing step.
   */
  private async runFailsafe(room: string): Promise<StepResult[]> {
    const scene = roomScenes(this.deps.config, room).failsafe;
    const deps: StepDeps = { clock: this.deps.clock, run: this.deps.run };
    const verify = this.deps.verify;
    if (verify) deps.verify = (devices, ms) => verify(room, devices, ms);
    const outcomes = scene ? await runSteps(scene.steps, scene.onFailure, deps) : [];
    const failed = outcomes.filter((o) => o.status !== "ok").length;
    this.deps.event("session.failsafe", { room, steps: outcomes, failed });
    (failed > 0 ? this.deps.logger.error : this.deps.logger.warn).call(this.deps.logger, { room, steps: outcomes.length, failed }, "fail-safe steps ran");
    return outcomes;
  }
}

export const alarmId = (room: string): string => `${room}-not-secure`;
