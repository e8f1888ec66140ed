/**
 * The broker's security events on MQTT, for the centre to keep and send to the SOC: refused
 * connections (authentication failures and the other CONNECT refusals) and ACL denials, published on
 * `$SYS/roomgate/v1/security` (docs/topics.md, "Broker security events").
 *
 * Why `$SYS/`: no client can publish there (auth.ts refuses every client publish under `$SYS/`,
 * the anonymous one included, and no role's rule covers it), so an event on it can only come from
 * the broker; and `#` or `roomgate/v1/+/...` subscriptions never receive it (MQTT 4.7.2). Only a
 * role given it by name reads it (broker/acl.ts: admin; the centre's recorder).
 *
 * Never a password: the events are built from what auth.ts decided, which never sees the password
 * after its one scrypt call. The name of an unknown user is left out too (it may be a password
 * typed in the wrong field), as in the log.
 *
 * Rate: a token bucket (`ratePerSecond`, `burst`). Over it, events are counted instead of
 * published, by type and by source (user or address; the first `TRACKED` sources, the rest as
 * `others`), and one `security.suppressed` event per `summaryIntervalMs` says how many and from
 * whom. So a password-guessing storm costs the broker a handful of messages a minute.
 */
import { z } from "zod";
import type { Clock, Logger, TimerHandle } from "../drivers/types.js";
import { SECURITY_TOPIC } from "./acl.js";

export { SECURITY_TOPIC };

const ms = z.number().int().nonnegative();
const connection = {
  clientId: z.string().optional().describe("The client id it connected with."),
  remoteAddress: z.string().optional().describe("The peer's address."),
  listener: z.enum(["tcp", "tls", "ws"]).optional().describe("The listener it came in on."),
};

export const AuthFailedDataSchema = z
  .object({
    reason: z
      .enum(["no_username", "bad_credentials", "client_id", "will", "certificate", "connection_limit", "error"])
      .describe("Why the CONNECT was refused (the same words as the broker's log and /metrics)."),
    user: z.string().optional().describe("The username, only when it is a configured user."),
    unknownUser: z.boolean().optional().describe("True when the username is not a configured one (it is left out: it may be a mistyped password)."),
    ...connection,
  })
  .describe("Data of an `auth.failed` security event: a refused connection. Never carries a password.");

export const AclDeniedDataSchema = z
  .object({
    access: z.enum(["publish", "subscribe"]),
    topic: z.string().describe("The topic or filter refused (cut at 1024 characters)."),
    user: z.string().optional().describe("The verified username (absent for an anonymous client)."),
    role: z.string().optional(),
    ...connection,
  })
  .describe("Data of an `acl.denied` security event: a publish or subscription the ACL refused.");

export const SuppressedDataSchema = z
  .object({
    from: ms.describe("Start of the window (ms epoch): the first event held back."),
    to: ms.describe("End of the window (ms epoch)."),
    counts: z.record(z.string(), z.number().int().nonnegative()).describe("Events held back, by type."),
    top: z.array(z.object({ key: z.string(), count: z.number().int().nonnegative() })).describe("The sources held back most (user or address), most first."),
    others: z.number().int().nonnegative().describe("Events from sources beyond those tracked."),
  })
  .describe("Data of a `security.suppressed` event: events over the rate limit, counted instead of published.");

const common = {
  id: z.string().regex(/^[0-9]+-[0-9]+$/).describe("`{start}-{n}`: the broker's start time (ms epoch) and a counter. Unique per broker: dedupe by broker and id."),
  ts: ms,
  broker: z.string().min(1).describe("The broker's name (its host name unless set)."),
};

export const SecurityEventSchema = z
  .discriminatedUnion("type", [
    z.object({ ...common, type: z.literal("auth.failed"), data: AuthFailedDataSchema }),
    z.object({ ...common, type: z.literal("acl.denied"), data: AclDeniedDataSchema }),
    z.object({ ...common, type: z.literal("security.suppressed"), data: SuppressedDataSchema }),
  ])
  .describe("A security event of the roomgate broker ($SYS/roomgate/v1/security, QoS 1, not retained).");

export type SecurityEvent = z.output<typeof SecurityEventSchema>;
export type AuthFailedData = z.output<typeof AuthFailedDataSchema>;
export type AclDeniedData = z.output<typeof AclDeniedDataSchema>;

export interface SecurityEventsOptions {
  /** Hands a payload to the broker (aedes.publish at QoS 1, not retained). */
  publish(topic: string, payload: Buffer): void;
  broker: string;
  clock: Clock;
  logger: Logger;
  ratePerSecond: number;
  burst: number;
  summaryIntervalMs: number;
}

/** Sources tracked by name in a summary; beyond, they are counted as `others`. */
const TRACKED = 100;
const TOP = 10;
const TOPIC_MAX = 1024;

export class SecurityEvents {
  private readonly start: number;
  private n = 0;
  private tokens: number;
  private refilledAt: number;
  private held: { from: number; counts: Record<string, number>; bySource: Map<string, number>; others: number } | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly o: SecurityEventsOptions) {
    this.start = o.clock.now();
    this.tokens = o.burst;
    this.refilledAt = this.start;
  }

  /** A refused connection. `source` names who it came from for the summary (user or address). */
  authFailed(data: AuthFailedData, source: string): void {
    this.report("auth.failed", data, source);
  }

  aclDenied(data: AclDeniedData, source: string): void {
    this.report("acl.denied", { ...data, topic: data.topic.length > TOPIC_MAX ? data.topic.slice(0, TOPIC_MAX) : data.topic }, source);
  }

  /** Publishes what is held back and stops; later reports are dropped. */
  stop(): void {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
  }

  private report(type: "auth.failed" | "acl.denied", data: AuthFailedData | AclDeniedData, source: string): void {
    if (this.stopped) return;
    const now = this.o.clock.now();
    this.tokens = Math.min(this.o.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.o.ratePerSecond);
    this.refilledAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      this.emit(type, data);
      return;
    }
    if (this.held === undefined) {
      this.held = { from: now, counts: {}, bySource: new Map(), others: 0 };
      this.timer = this.o.clock.setTimeout(() => this.flush(), this.o.summaryIntervalMs);
      this.o.logger.warn({ type, ratePerSecond: this.o.ratePerSecond }, "security events over their rate: counting them, a summary follows");
    }
    const h = this.held;
    h.counts[type] = (h.counts[type] ?? 0) + 1;
    const known = h.bySource.get(source);
    if (known !== undefined) h.bySource.set(source, known + 1);
    else if (h.bySource.size < TRACKED) h.bySource.set(source, 1);
    else h.others += 1;
  }

  private flush(): void {
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const h = this.held;
    if (h === undefined) return;
    this.held = undefined;
    const sorted = [...h.bySource].sort((a, b) => b[1] - a[1]);
    const others = h.others + sorted.slice(TOP).reduce((s, [, n]) => s + n, 0);
    const top = sorted.slice(0, TOP).map(([key, count]) => ({ key, count }));
    this.o.logger.warn({ counts: h.counts, top, others }, "security events held back over the rate limit");
    this.emit("security.suppressed", { from: h.from, to: this.o.clock.now(), counts: h.counts, top, others });
  }

  private emit(type: SecurityEvent["type"], data: unknown): void {
    this.n += 1;
    const ev = { id: `${this.start}-${this.n}`, ts: this.o.clock.now(), type, broker: this.o.broker, data };
    this.o.publish(SECURITY_TOPIC, Buffer.from(JSON.stringify(ev)));
  }
}
