/**
 * What agents send, as the centre receives it: topics and payloads from the contract
 * (agent/topics.ts builders), for the centre's store and recorder tests. A `Site` numbers its events
 * `{bootSeq}-{n}` as a real agent does.
 */
import { topics, type Alarm, type Readiness } from "../../agent/topics.js";
import type { Incoming } from "../../centre/ingest/decode.js";

export interface Msg {
  topic: string;
  payload: string;
  retain: boolean;
}

export const incoming = (m: Msg, receivedAt: number): Incoming => ({ topic: m.topic, payload: Buffer.from(m.payload), receivedAt, retain: m.retain });

export class Site {
  private n = 0;
  constructor(
    readonly id: string,
    public bootSeq = 1,
  ) {}

  /** A new boot: bootSeq + 1, events numbered from 1 again. */
  restart(): this {
    this.bootSeq++;
    this.n = 0;
    return this;
  }

  nextId(): string {
    return `${this.bootSeq}-${++this.n}`;
  }

  event(type: string, ts: number, data: Record<string, unknown>, opts: { device?: string; historical?: boolean; id?: string } = {}): Msg {
    const payload = { id: opts.id ?? this.nextId(), ts, type, ...(opts.device ? { device: opts.device } : {}), ...(opts.historical ? { historical: true } : {}), data };
    return { topic: topics.event(this.id), payload: JSON.stringify(payload), retain: false };
  }

  command(ts: number, user: string, device: string | undefined, action: string, status = "ok", extra: { historical?: boolean; id?: string } = {}): Msg {
    return this.event("command", ts, { id: `c-${this.n + 1}`, user, ...(device ? { device } : {}), action, status, durationMs: 120 }, { ...(device ? { device } : {}), ...extra });
  }

  healthEvent(ts: number, device: string, status: string, extra: { historical?: boolean; code?: string } = {}): Msg {
    return this.event("health", ts, { status, ...(extra.code ? { code: extra.code } : {}) }, { device, ...(extra.historical ? { historical: true } : {}) });
  }

  healthRetained(device: string, status: string, since: number): Msg {
    return { topic: topics.deviceHealth(this.id, device), payload: JSON.stringify({ status, since, lastSeen: since }), retain: true };
  }

  birth(ts: number, version = "0.1.0"): Msg {
    return { topic: topics.agentState(this.id), payload: JSON.stringify({ state: "online", bootSeq: this.bootSeq, version, ts }), retain: true };
  }

  lost(): Msg {
    return { topic: topics.agentState(this.id), payload: JSON.stringify({ state: "lost", bootSeq: this.bootSeq }), retain: true };
  }

  offline(ts: number): Msg {
    return { topic: topics.agentState(this.id), payload: JSON.stringify({ state: "offline", bootSeq: this.bootSeq, ts }), retain: true };
  }

  meta(ts: number, devices: string[], site = this.id): Msg {
    const payload = {
      site, region: ["province"], version: "0.1.0", bootSeq: this.bootSeq, ts,
      devices: Object.fromEntries(devices.map((d) => [d, { kind: "camera", protocol: "visca", transport: "serial:/dev/null@9600", actions: {}, stateFields: [] }])),
    };
    return { topic: topics.agentMeta(this.id), payload: JSON.stringify(payload), retain: true };
  }

  alarmRetained(alarm: string, a: Alarm | null): Msg {
    return { topic: topics.alarm(this.id, alarm), payload: a === null ? "" : JSON.stringify(a), retain: true };
  }

  alarmRaised(ts: number, alarm: string, device: string, extra: Partial<Alarm> = {}): Msg {
    return this.event("alarm.raised", ts, { alarm, severity: "major", code: "timeout", device, raisedAt: ts, message: `${device} unreachable`, ...extra }, { device });
  }

  alarmAcked(ts: number, alarm: string, user: string): Msg {
    return this.event("alarm.acked", ts, { alarm, code: "timeout", user, at: ts });
  }

  alarmCleared(ts: number, alarm: string): Msg {
    return this.event("alarm.cleared", ts, { alarm, code: "timeout", clearedAt: ts });
  }

  readiness(ts: number, id: string, result: Readiness["result"], site = this.id): Msg {
    const report: Readiness = {
      id, site, ts, startedAt: ts - 3000, result, durationMs: 3000, deadlineMs: 20000, trigger: "manual", requestedBy: "tech-minh", rooms: ["main-hall"],
      counts: { pass: result === "pass" ? 1 : 0, warn: result === "warn" ? 1 : 0, fail: result === "fail" ? 1 : 0, skip: 0 },
      checks: [{ id: "cam-main.power", name: "power on", device: "cam-main", result }],
    };
    return { topic: topics.readiness(this.id), payload: JSON.stringify(report), retain: true };
  }
}
