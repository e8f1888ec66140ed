/**
 * What the SOC is sent for each kind of message, in exact bytes where it matters. Every input is
 * first encoded by its producer's own schema (agent/topics.ts, broker/security-events.ts), so the
 * centre's reading stays in step with the contract without importing it.
 */
import { describe, expect, it } from "vitest";
import { encodePayload, topics, type SiteEvent } from "../../agent/topics.js";
import { SecurityEventSchema, SECURITY_TOPIC, type SecurityEvent } from "../../broker/security-events.js";
import { BROKER_SECURITY_TOPIC, droppedRecord, readMessage, toSyslogMessage, type ForwardKinds, type SyslogRecord } from "./records.js";

const ALL: ForwardKinds = { audit: true, alarms: true, agentLost: true, brokerSecurity: true };
const OPTS = { facility: 20, hostname: "centre-1", enterpriseId: 32473, maxMessageBytes: 8192 };
const SITE = "district-07";
const NOW = 1_700_000_999_000;

function event(ev: SiteEvent, forward = ALL) {
  return readMessage(topics.event(SITE), encodePayload("event", ev), false, NOW, forward);
}
function security(ev: SecurityEvent, forward = ALL) {
  return readMessage(SECURITY_TOPIC, JSON.stringify(SecurityEventSchema.parse(ev)), false, NOW, forward);
}
function record(r: ReturnType<typeof readMessage>): SyslogRecord {
  if (!("record" in r)) throw new Error(`no record: ${JSON.stringify(r)}`);
  return r.record;
}
const syslog = (r: ReturnType<typeof readMessage>) => toSyslogMessage(record(r), OPTS);

describe("audit records", () => {
  it("an operator's command, byte for byte", () => {
    const r = event({ id: "12-40", ts: 1_700_000_300_123, type: "command", device: "cam-main", data: { id: "c-42", user: "op-anna", device: "cam-main", action: "preset.recall", status: "ok", durationMs: 1840 } });
    expect(syslog(r)).toBe(
      '<165>1 2023-11-14T22:18:20.123Z centre-1 roomgate - command [roomgate@32473 site="district-07" device="cam-main" user="op-anna" action="preset.recall" result="ok" commandId="c-42" durationMs="1840" eventId="12-40"] op-anna ran preset.recall on cam-main at district-07: ok in 1840 ms',
    );
    expect(record(r).key).toBe("site/district-07/12-40");
  });

  it("a failed command is a warning with its error code; an agent action has no device; a replay says so", () => {
    const r = record(event({ id: "12-41", ts: 1, type: "command", historical: true, data: { id: "c-43", user: "op-anna", device: null, action: "readiness.run", status: "timeout", durationMs: 20000, errorCode: "timeout" } }));
    expect(r.severity).toBe("warning");
    expect(r.params).toEqual([
      ["site", SITE], ["user", "op-anna"], ["action", "readiness.run"], ["result", "timeout"], ["commandId", "c-43"], ["durationMs", "20000"], ["errorCode", "timeout"],
      ["eventId", "12-41"], ["historical", "true"],
    ]);
    expect(r.text).toBe("op-anna ran readiness.run at district-07: timeout (timeout) in 20000 ms (replayed after an outage)");
    for (const status of ["ok", "rejected", "expired"] as const) {
      expect(record(event({ id: "1-1", ts: 1, type: "command", data: { id: "c", user: "u", action: "a", status, durationMs: 0 } })).severity).toBe("notice");
    }
    expect(record(event({ id: "1-1", ts: 1, type: "command", data: { id: "c", user: "u", action: "a", status: "error", durationMs: 0 } })).severity).toBe("warning");
  });
});

describe("alarms", () => {
  const raised = (severity: "critical" | "major" | "minor" | "warning", code = "not_secure") =>
    event({ id: "12-3", ts: 1_700_000_200_000, type: "alarm.raised", device: "enc-1", data: { alarm: "enc-1-not-secure", severity, code, device: "enc-1", raisedAt: 1_700_000_200_000, message: "encryptor state TUNNEL_DOWN" } });

  it("raised, byte for byte, at the RFC 5674 syslog severity of its ITU severity", () => {
    expect(syslog(raised("critical"))).toBe(
      '<161>1 2023-11-14T22:16:40.000Z centre-1 roomgate - alarm.raised [roomgate@32473 site="district-07" device="enc-1" alarm="enc-1-not-secure" severity="critical" code="not_secure" eventId="12-3"] alarm enc-1-not-secure raised at district-07 (critical, not_secure): encryptor state TUNNEL_DOWN',
    );
    expect(["critical", "major", "minor", "warning"].map((s) => record(raised(s as "critical")).severity)).toEqual(["alert", "crit", "err", "warning"]);
  });

  it("acknowledged by whom, and cleared, as notices", () => {
    const acked = record(event({ id: "12-9", ts: 5, type: "alarm.acked", device: "enc-1", data: { alarm: "enc-1-not-secure", code: "not_secure", user: "op-anna", at: 5 } }));
    expect(acked).toMatchObject({ kind: "alarm.acked", severity: "notice", text: "alarm enc-1-not-secure at district-07 acknowledged by op-anna" });
    expect(acked.params).toContainEqual(["user", "op-anna"]);
    const cleared = record(event({ id: "12-10", ts: 6, type: "alarm.cleared", device: "enc-1", data: { alarm: "enc-1-not-secure", code: "not_secure", clearedAt: 6 } }));
    expect(cleared).toMatchObject({ kind: "alarm.cleared", severity: "notice", text: "alarm enc-1-not-secure at district-07 cleared" });
  });

  it("escapes what a device put in a code (SD) and keeps the message text as it is", () => {
    const m = syslog(raised("minor", 'bad"code]\\x'));
    expect(m).toContain('code="bad\\"code\\]\\\\x"');
    expect(m).toContain('(minor, bad"code]\\x)');
  });
});

describe("agents lost", () => {
  const lost = (retained: boolean) => readMessage(topics.agentState(SITE), encodePayload("agentState", { state: "lost", bootSeq: 12 }), retained, NOW, ALL);

  it("the will the broker published, at the time the centre saw it (the will has none)", () => {
    const r = lost(false);
    expect("lost" in r && r.lost).toEqual({ site: SITE, bootSeq: 12 });
    expect(syslog(r)).toBe(
      `<164>1 ${new Date(NOW).toISOString()} centre-1 roomgate - agent.lost [roomgate@32473 site="district-07" bootSeq="12" eventId="lost-12"] agent of district-07 lost (boot 12): the broker published its last will`,
    );
  });

  it("a will already retained when the centre subscribed says so", () => {
    const r = record(lost(true));
    expect(r.params).toContainEqual(["retained", "true"]);
    expect(r.key).toBe(record(lost(false)).key); // the same loss: deduped
  });

  it("births and clean stops are not sent", () => {
    const online = readMessage(topics.agentState(SITE), encodePayload("agentState", { state: "online", bootSeq: 13, version: "0.1.0", ts: 1 }), true, NOW, ALL);
    const offline = readMessage(topics.agentState(SITE), encodePayload("agentState", { state: "offline", bootSeq: 13, ts: 1 }), false, NOW, ALL);
    expect(online).toEqual({ skip: "agent state online" });
    expect(offline).toEqual({ skip: "agent state offline" });
  });
});

describe("the broker's security events", () => {
  const base = { id: "1700000000000-3", ts: 1_700_000_012_345, broker: "central-1" };

  it("a wrong password, byte for byte: a warning, the user, never more", () => {
    const r = security({ ...base, type: "auth.failed", data: { reason: "bad_credentials", user: "op-anna", clientId: "console-7", remoteAddress: "10.20.0.15", listener: "tls" } });
    expect(syslog(r)).toBe(
      '<164>1 2023-11-14T22:13:32.345Z centre-1 roomgate - auth.failed [roomgate@32473 broker="central-1" reason="bad_credentials" user="op-anna" clientId="console-7" remoteAddress="10.20.0.15" listener="tls" eventId="1700000000000-3"] broker refused a connection (bad_credentials) of user op-anna from 10.20.0.15, client id console-7',
    );
    expect(record(r).key).toBe("broker/central-1/1700000000000-3");
  });

  it("severities: attempts to get in or pass as another are warnings, limits notices, a broker error an error", () => {
    const sev = (reason: string) => record(security({ ...base, type: "auth.failed", data: { reason: reason as "error" } })).severity;
    expect(["bad_credentials", "no_username", "certificate", "client_id", "will", "connection_limit", "error"].map(sev)).toEqual([
      "warning", "warning", "warning", "warning", "warning", "notice", "err",
    ]);
    expect(record(security({ ...base, type: "auth.failed", data: { reason: "bad_credentials", unknownUser: true } })).text).toBe("broker refused a connection (bad_credentials) of an unknown user");
  });

  it("ACL denials: a publish is a warning, a subscription a notice", () => {
    const pub = record(security({ ...base, type: "acl.denied", data: { access: "publish", topic: "roomgate/v1/s1/cmd/op-bob", user: "op-anna", role: "operator" } }));
    expect(pub).toMatchObject({ kind: "acl.denied", severity: "warning", text: "broker denied a publish to roomgate/v1/s1/cmd/op-bob of user op-anna (operator)" });
    const sub = record(security({ ...base, type: "acl.denied", data: { access: "subscribe", topic: "#", user: "mon-1", role: "monitor" } }));
    expect(sub.severity).toBe("notice");
  });

  it("a storm's summary, with its counts and sources", () => {
    const r = record(security({ ...base, type: "security.suppressed", data: { from: 0, to: 60_000, counts: { "auth.failed": 4180 }, top: [{ key: "10.20.0.99", count: 4180 }], others: 0 } }));
    expect(r.params).toEqual([
      ["broker", "central-1"], ["from", "1970-01-01T00:00:00.000Z"], ["to", "1970-01-01T00:01:00.000Z"], ["suppressed", "4180"], ["auth.failed", "4180"], ["top", "10.20.0.99=4180"], ["eventId", base.id],
    ]);
    expect(r.severity).toBe("warning");
  });
});

describe("what is not sent", () => {
  it("skips other event types and topics, and what the config turns off", () => {
    expect(event({ id: "1-1", ts: 1, type: "health", device: "cam", data: { status: "ok" } })).toEqual({ skip: "event type health" });
    expect(readMessage(topics.deviceHealth(SITE, "cam"), "{}", true, NOW, ALL)).toEqual({ skip: "not a topic the SOC is sent" });
    expect(event({ id: "1-1", ts: 1, type: "command", data: { id: "c", user: "u", action: "a", status: "ok", durationMs: 0 } }, { ...ALL, audit: false })).toEqual({ skip: "audit not forwarded" });
    expect(security({ ...base(), type: "auth.failed", data: { reason: "no_username" } }, { ...ALL, brokerSecurity: false })).toEqual({ skip: "broker security not forwarded" });
    function base() {
      return { id: "1-1", ts: 1, broker: "b" };
    }
  });

  it("says why a message on a forwarded topic cannot be read", () => {
    expect(readMessage(topics.event(SITE), "not json", false, NOW, ALL)).toMatchObject({ invalid: expect.stringMatching(/^not JSON/) });
    expect(readMessage(topics.event(SITE), '{"id":"x","ts":1,"type":"command"}', false, NOW, ALL)).toMatchObject({ invalid: expect.stringMatching(/id/) });
    expect(readMessage(topics.event(SITE), '{"id":"1-1","ts":1,"type":"command","data":{"user":"u"}}', false, NOW, ALL)).toMatchObject({ invalid: expect.stringMatching(/^data: /) });
    expect(readMessage(BROKER_SECURITY_TOPIC, '{"id":"1-1","ts":1,"type":"auth.failed","broker":"b","data":{}}', false, NOW, ALL)).toMatchObject({ invalid: expect.stringMatching(/reason/) });
  });
});

describe("the drop notice", () => {
  it("says how many were dropped, why, and between when", () => {
    const r = droppedRecord("soc-1", { id: "dropped-40-42", full: 100, age: 20, firstAt: 0, lastAt: 3_600_000 }, NOW);
    expect(toSyslogMessage(r, OPTS)).toBe(
      `<164>1 ${new Date(NOW).toISOString()} centre-1 roomgate - syslog.dropped [roomgate@32473 collector="soc-1" dropped="120" full="100" age="20" from="1970-01-01T00:00:00.000Z" to="1970-01-01T01:00:00.000Z" eventId="dropped-40-42"] the centre dropped 120 messages for collector soc-1 that were never sent (100 because the queue was full and 20 older than the queue's age bound), queued between 1970-01-01T00:00:00.000Z and 1970-01-01T01:00:00.000Z: the centre's history still has them`,
    );
  });
});
