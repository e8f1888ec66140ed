/**
 * The codec module's call alarms (docs/alarms.md "Calls"), for every device of kind codec. It only
 * watches: the states and `call.ended` events the codec drivers emit; it never asks a codec anything.
 *
 * `{codec}-call-quality` (major): a connected call whose loss or jitter, in any medium and either
 * direction, stays over the thresholds (calls.quality, or the codec's own) for the window. Each
 * reading the codec gives counts; a call with no figures says nothing either way. Cleared when every
 * such call has been back under both thresholds for the window, or has ended.
 *
 * `{codec}-call-dropped` (major) and the event `call.dropped`: a call that had connected and ended
 * without a hang-up at this endpoint (`call.ended` with `local: false`). A call that never connected
 * (rejected, no answer) is the dial's coded answer, not a drop. Cleared when a call on that codec is
 * connected again: the room is back in its conference.
 *
 * The readiness check's own test call (agent/calls/test-call.ts) is left out of both: its outcome is
 * the check's item.
 */
import type { Clock, DriverEvent, Logger, TimerHandle } from "../../drivers/types.js";
import { qualityBreach, type CodecCall } from "../../drivers/codec/vocabulary.js";
import type { SiteConfig } from "../../config/site.js";
import { qualityFor } from "../../config/calls.js";
import type { AlarmManager } from "../alarms.js";
import { breachText, callEndedOf, callsOf, callText, durationText, hasFigures } from "./read.js";

export interface CallWatchDeps {
  config: SiteConfig;
  clock: Clock;
  logger: Logger;
  alarms: AlarmManager;
  event(type: string, data: Record<string, unknown>, device: string): void;
  /** Whether this call is the readiness check's test call now (left out of the alarms). */
  isTestCall(device: string, call: { id: string; remote: string }): boolean;
}

interface Track {
  call: CodecCall;
  /** When the current run of readings over a threshold began (null: the last reading was under). */
  overSince: number | null;
  /** When the current run of readings under both thresholds began, while alarmed. */
  underSince: number | null;
  /** The reading that raised the alarm for this call (null: not alarmed). */
  alarmed: string | null;
  /** The latest reading over a threshold, for the alarm's message. */
  lastBreach: string | null;
  timer: TimerHandle | undefined;
}

export const qualityAlarmId = (codec: string): string => `${codec}-call-quality`;
export const dropAlarmId = (codec: string): string => `${codec}-call-dropped`;

export class CallWatch {
  /** codec -> call id -> its quality track. */
  private readonly tracks = new Map<string, Map<string, Track>>();
  /** Codecs whose first state since the start was seen (a restored alarm is re-judged on it). */
  private readonly seen = new Set<string>();
  /** codec -> the id of the call whose drop the active alarm reports. */
  private readonly dropped = new Map<string, string>();
  /** codec -> the alarmed calls' ids its quality alarm was last raised for. */
  private readonly raisedFor = new Map<string, string>();

  constructor(private readonly deps: CallWatchDeps) {}

  private isCodec(device: string): boolean {
    return this.deps.config.devices[device]?.kind === "codec";
  }

  /** Every new state of every device (synchronously from the driver's emit). */
  onState(device: string, state: Record<string, unknown>): void {
    if (!this.isCodec(device)) return;
    const first = !this.seen.has(device);
    this.seen.add(device);
    const connected = callsOf(state).filter((c) => c.state === "connected" && !this.deps.isTestCall(device, c));
    this.judgeQuality(device, connected, first);
    const droppedId = this.dropped.get(device) ?? this.restoredDrop(device);
    if (droppedId !== undefined && connected.some((c) => c.id !== droppedId)) {
      this.dropped.delete(device);
      this.deps.alarms.clear(dropAlarmId(device));
    }
  }

  /** Every driver event of every device. */
  onEvent(device: string, e: DriverEvent): void {
    if (!this.isCodec(device)) return;
    const ended = callEndedOf(e);
    if (!ended) {
      if (e.type === "call.ended") this.deps.logger.warn({ device, data: e.data }, "call.ended without the vocabulary's fields: ignored");
      return;
    }
    this.forget(device, ended.callId);
    if (ended.local || ended.connectedMs === 0) return;
    if (this.deps.isTestCall(device, { id: ended.callId, remote: ended.remote })) return;
    const how = ended.reason === "remote" ? "ended by the far end" : ended.reason === "network" ? "lost on the network" : "ended, not by this room";
    const message = `${device}: ${callText(ended)} ${how} after ${durationText(ended.connectedMs)} (${ended.cause})`;
    this.dropped.set(device, ended.callId);
    this.deps.alarms.raise({ id: dropAlarmId(device), source: "call", severity: "major", code: "call_dropped", device, message });
    this.deps.event("call.dropped", { ...ended }, device);
  }

  /** Cancels every timer (the module's stop); the alarms stay as they are, persisted. */
  stop(): void {
    for (const calls of this.tracks.values()) for (const t of calls.values()) this.deps.clock.clearTimeout(t.timer);
    this.tracks.clear();
  }

  /** A drop alarm restored from disk (the agent restarted): its call is not known, any connected call clears it. */
  private restoredDrop(device: string): string | undefined {
    return this.deps.alarms.get(dropAlarmId(device)) ? "" : undefined;
  }

  private judgeQuality(device: string, connected: CodecCall[], first: boolean): void {
    const q = qualityFor(this.deps.config, device);
    const windowMs = q.windowSec * 1000;
    const calls = this.tracks.get(device) ?? new Map<string, Track>();
    this.tracks.set(device, calls);
    const now = this.deps.clock.now();
    // Calls no longer connected have ended (or are held, disconnecting): their readings are over.
    for (const id of [...calls.keys()]) if (!connected.some((c) => c.id === id)) this.forget(device, id, false);
    for (const call of connected) {
      let t = calls.get(call.id);
      if (!t) {
        t = { call, overSince: null, underSince: null, alarmed: null, lastBreach: null, timer: undefined };
        calls.set(call.id, t);
      }
      t.call = call;
      if (!hasFigures(call.quality)) continue; // nothing read: neither over nor under
      const breach = qualityBreach(call.quality, q);
      const track = t;
      if (breach) {
        track.lastBreach = breachText(breach, q);
        track.underSince = null;
        if (track.alarmed !== null) {
          this.cancel(track);
        } else if (first && this.deps.alarms.get(qualityAlarmId(device))) {
          track.alarmed = track.lastBreach; // restored after a restart, and still true: kept, not raised again
        } else if (track.overSince === null) {
          track.overSince = now;
          this.schedule(track, windowMs, () => {
            track.alarmed = track.lastBreach;
            this.publishQuality(device, q.windowSec);
          });
        }
      } else {
        track.overSince = null;
        if (track.alarmed === null) {
          this.cancel(track);
        } else if (track.underSince === null) {
          track.underSince = now;
          this.schedule(track, windowMs, () => {
            track.alarmed = null;
            this.publishQuality(device, q.windowSec);
          });
        }
      }
    }
    this.publishQuality(device, q.windowSec);
  }

  /** Raises the codec's quality alarm for its alarmed calls, or clears it when there are none. */
  private publishQuality(device: string, windowSec: number): void {
    const alarmed = [...(this.tracks.get(device)?.values() ?? [])].filter((t) => t.alarmed !== null);
    const id = qualityAlarmId(device);
    if (alarmed.length === 0) {
      this.raisedFor.delete(device);
      this.deps.alarms.clear(id);
      return;
    }
    // Each call's figures are those that raised it: a new reading does not re-publish the alarm,
    // only a change in which calls it reports.
    const key = alarmed.map((t) => t.call.id).join(",");
    if (this.raisedFor.get(device) === key && this.deps.alarms.get(id)) return;
    this.raisedFor.set(device, key);
    const calls = alarmed.map((t) => `${callText(t.call)}: ${t.alarmed}`).join("; ");
    const message = `${device}: poor call quality for ${windowSec} s or more: ${calls}`;
    this.deps.alarms.raise({ id, source: "call", severity: "major", code: "call_quality", device, message });
  }

  private forget(device: string, callId: string, publish = true): void {
    const calls = this.tracks.get(device);
    const t = calls?.get(callId);
    if (!calls || !t) return;
    this.cancel(t);
    calls.delete(callId);
    if (publish) this.publishQuality(device, qualityFor(this.deps.config, device).windowSec);
  }

  private schedule(t: Track, ms: number, fn: () => void): void {
    this.cancel(t);
    t.timer = this.deps.clock.setTimeout(() => {
      t.timer = undefined;
      fn();
    }, ms);
  }

  private cancel(t: Track): void {
    if (t.timer !== undefined) this.deps.clock.clearTimeout(t.timer);
    t.timer = undefined;
  }
}
