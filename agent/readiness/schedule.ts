/**
 * Scheduled readiness checks: `readiness.schedule.beforeMinutes` before each session, the sessions
 * being `readiness.schedule.sessions` and the starts of the rooms' `secure.schedule` windows. Each
 * slot runs once; when the agent starts late (inside a slot's window), only the latest slot due runs.
 * A slot that finds a check running tries again at the next tick. The report is the usual retained
 * one, with `trigger: schedule` and `requestedBy: schedule`.
 */
import type { Clock, Logger } from "../../drivers/types.js";
import type { SiteConfig } from "../../config/site.js";
import { DeviceError } from "../../drivers/types.js";
import type { RunOptions } from "./service.js";
import type { Readiness } from "../topics.js";

/** How often the schedule is looked at. */
export const READINESS_SCHEDULE_TICK_MS = 15_000;

export interface Slot {
  /** When the check is due (session start minus the lead time). */
  at: number;
  sessionStart: number;
  rooms?: string[];
  key: string;
}

/** Every slot of the site file, soonest first. */
export function scheduleSlots(config: SiteConfig): Slot[] {
  const { beforeMinutes, sessions } = config.readiness.schedule;
  const starts: { start: number; room?: string }[] = sessions.map((s) => ({ start: Date.parse(s.start), ...(s.room ? { room: s.room } : {}) }));
  for (const [room, r] of Object.entries(config.rooms ?? {})) {
    if (r.profile === undefined) continue;
    for (const w of r.secure?.schedule ?? []) starts.push({ start: Date.parse(w.start), room });
  }
  const slots: Slot[] = [];
  for (const s of starts) {
    for (const m of beforeMinutes) {
      slots.push({ at: s.start - m * 60_000, sessionStart: s.start, ...(s.room ? { rooms: [s.room] } : {}), key: `${s.room ?? "*"}@${s.start}-${m}` });
    }
  }
  return slots.sort((a, b) => a.at - b.at);
}

export class ReadinessSchedule {
  private timer: unknown;
  private readonly done = new Set<string>();
  private readonly slots: Slot[];

  constructor(
    private readonly deps: { config: SiteConfig; clock: Clock; logger: Logger; run(opts: RunOptions): Promise<Readiness> },
  ) {
    this.slots = scheduleSlots(deps.config);
  }

  start(): void {
    if (this.timer !== undefined || this.slots.length === 0) return;
    this.tick();
    this.timer = this.deps.clock.setInterval(() => this.tick(), READINESS_SCHEDULE_TICK_MS);
  }

  stop(): void {
    if (this.timer !== undefined) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = this.deps.clock.now();
    // Per session, the latest slot that is due; the earlier ones of that session are passed over.
    const due = new Map<number, Slot[]>();
    for (const s of this.slots) {
      if (this.done.has(s.key) || now < s.at || now >= s.sessionStart) continue;
      due.set(s.sessionStart, [...(due.get(s.sessionStart) ?? []), s]);
    }
    for (const group of due.values()) {
      const slot = group[group.length - 1]!;
      this.deps
        .run({ ...(slot.rooms ? { rooms: slot.rooms } : {}), user: "schedule", trigger: "schedule" })
        .then(() => {
          for (const s of group) this.done.add(s.key);
        })
        .catch((err: unknown) => {
          const busy = err instanceof DeviceError && err.code === "busy";
          if (!busy) for (const s of group) this.done.add(s.key); // a bad room list will not heal by retrying
          this.deps.logger.warn({ slot: slot.key, err: (err as Error).message, retry: busy }, "scheduled readiness check not run");
        });
    }
  }
}
