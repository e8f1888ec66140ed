/**
 * Alarms for every device and for the site (issue 6): raised and cleared with severity, code, device
 * and time; retained on `alarm/{id}` while active (cleared with an empty retained payload); each
 * raise and clear is an owed event; an operator acknowledges with `alarm.ack`, recorded with the
 * broker-verified user.
 *
 * Persistence: the active alarms are written to `{stateDir}/{site}.alarms.json` (temp file, fsync,
 * rename) on every change, so after a restart they are still active with their original `raisedAt`
 * and acknowledgement; then each source reconciles: the first health a device publishes after the
 * start raises or clears its health alarm, the first state with an `alarms` list does the same for
 * the device's own alarms, and the secure-session interlock re-evaluates at once.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import type { Clock, Logger } from "../drivers/types.js";
import { DeviceError } from "../drivers/types.js";
import type { Alarm, AlarmSeverity } from "./topics.js";

/** Where an alarm comes from, to know which reading may clear it (`call`: the codec module's call alarms). */
export type AlarmSource = "health" | "device" | "session" | "call";

export interface ActiveAlarm {
  id: string;
  source: AlarmSource;
  alarm: Alarm;
}

export interface AlarmRaise {
  id: string;
  source: AlarmSource;
  severity: AlarmSeverity;
  code: string;
  device?: string;
  message: string;
}

export interface AlarmSink {
  /** Retained `alarm/{id}`: the alarm, or null to clear it. */
  retained(id: string, alarm: Alarm | null): void;
  /** An owed event (`alarm.raised`, `alarm.cleared`, `alarm.acked`). */
  event(type: string, device: string | undefined, data: Record<string, unknown>): void;
}

export class AlarmManager {
  private readonly active = new Map<string, ActiveAlarm>();
  private readonly file: string | undefined;

  constructor(
    private readonly deps: { site: string; stateDir?: string | undefined; clock: Clock; logger: Logger; sink: AlarmSink },
  ) {
    this.file = deps.stateDir === undefined ? undefined : path.join(deps.stateDir, `${deps.site}.alarms.json`);
    this.load();
  }

  /** Active alarms, oldest first. */
  list(): ActiveAlarm[] {
    return [...this.active.values()];
  }

  get(id: string): ActiveAlarm | undefined {
    return this.active.get(id);
  }

  /** Republishes every active alarm retained (after a start, the restored ones). */
  publishAll(): void {
    for (const a of this.active.values()) this.deps.sink.retained(a.id, a.alarm);
  }

  /**
   * Raises (or updates) an alarm. Raising an active one with the same severity, code and message does
   * nothing; a change of severity or message is published as a new raise keeping `raisedAt`.
   */
  raise(r: AlarmRaise): boolean {
    const cur = this.active.get(r.id);
    if (cur && cur.alarm.severity === r.severity && cur.alarm.code === r.code && cur.alarm.message === r.message) return false;
    const alarm: Alarm = { severity: r.severity, code: r.code, raisedAt: cur?.alarm.raisedAt ?? this.deps.clock.now(), message: r.message };
    if (r.device !== undefined) alarm.device = r.device;
    this.active.set(r.id, { id: r.id, source: r.source, alarm });
    this.save();
    this.deps.sink.retained(r.id, alarm);
    this.deps.sink.event("alarm.raised", r.device, { alarm: r.id, ...alarm });
    this.deps.logger.warn({ alarm: r.id, severity: r.severity, code: r.code, device: r.device }, "alarm raised");
    return true;
  }

  clear(id: string): boolean {
    const cur = this.active.get(id);
    if (!cur) return false;
    this.active.delete(id);
    this.save();
    this.deps.sink.retained(id, null);
    this.deps.sink.event("alarm.cleared", cur.alarm.device, { alarm: id, code: cur.alarm.code, clearedAt: this.deps.clock.now() });
    this.deps.logger.info({ alarm: id, code: cur.alarm.code }, "alarm cleared");
    return true;
  }

  /** Clears the alarms of `source` (and `device`) that `keep` does not name. */
  reconcile(source: AlarmSource, device: string | undefined, keep: ReadonlySet<string>): void {
    for (const a of this.list()) {
      if (a.source === source && a.alarm.device === device && !keep.has(a.id)) this.clear(a.id);
    }
  }

  /** Records an operator's acknowledgement. Throws DeviceError `invalid_args` for an alarm not active. */
  ack(id: string, user: string): Alarm {
    const cur = this.active.get(id);
    if (!cur) throw new DeviceError("invalid_args", `no active alarm "${id}"; active: ${[...this.active.keys()].join(", ") || "none"}`);
    const at = this.deps.clock.now();
    cur.alarm = { ...cur.alarm, ack: { user, at } };
    this.save();
    this.deps.sink.retained(id, cur.alarm);
    this.deps.sink.event("alarm.acked", cur.alarm.device, { alarm: id, code: cur.alarm.code, user, at });
    this.deps.logger.info({ alarm: id, user }, "alarm acknowledged");
    return cur.alarm;
  }

  private load(): void {
    if (!this.file || !existsSync(this.file)) return;
    try {
      const saved = JSON.parse(readFileSync(this.file, "utf8")) as { alarms?: ActiveAlarm[] };
      for (const a of saved.alarms ?? []) {
        if (typeof a?.id === "string" && a.alarm && typeof a.alarm.code === "string") this.active.set(a.id, a);
      }
      if (this.active.size > 0) this.deps.logger.info({ alarms: [...this.active.keys()] }, "active alarms restored");
    } catch (err) {
      // A damaged file loses the restored list only: every source re-raises what still holds.
      this.deps.logger.error({ err: (err as Error).message, file: this.file }, "cannot read the saved alarms; starting without them");
    }
  }

  private save(): void {
    if (!this.file) return;
    const tmp = `${this.file}.tmp`;
    try {
      const fd = openSync(tmp, "w");
      writeSync(fd, JSON.stringify({ alarms: this.list() }));
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, this.file);
    } catch (err) {
      this.deps.logger.error({ err: (err as Error).message, file: this.file }, "cannot save the active alarms (kept in memory)");
    }
  }
}
