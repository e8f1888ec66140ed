import { describe, expect, it } from "vitest";
import {
  AgentStateSchema,
  CommandSchema,
  decodePayload,
  encodePayload,
  EventSchema,
  parseTopic,
  publishOptions,
  ResponseSchema,
  TOPIC_KINDS,
  TOPIC_SPECS,
  TopicError,
  topicFilter,
  topics,
  type ParsedTopic,
} from "./topics.js";

const T0 = 1_700_000_000_000;

describe("topic builders", () => {
  it("build the exact v1 topics", () => {
    expect(topics.agentState("district-07")).toBe("roomgate/v1/district-07/agent/state");
    expect(topics.agentMeta("district-07")).toBe("roomgate/v1/district-07/agent/meta");
    expect(topics.rebirth("district-07")).toBe("roomgate/v1/district-07/agent/rebirth");
    expect(topics.deviceState("district-07", "cam-main")).toBe("roomgate/v1/district-07/dev/cam-main/state");
    expect(topics.deviceHealth("district-07", "cam-main")).toBe("roomgate/v1/district-07/dev/cam-main/health");
    expect(topics.alarm("district-07", "enc-1-tamper")).toBe("roomgate/v1/district-07/alarm/enc-1-tamper");
    expect(topics.event("district-07")).toBe("roomgate/v1/district-07/event");
    expect(topics.readiness("district-07")).toBe("roomgate/v1/district-07/readiness");
    expect(topics.cmd("district-07", "op-anna")).toBe("roomgate/v1/district-07/cmd/op-anna");
    expect(topics.res("district-07", "op-anna")).toBe("roomgate/v1/district-07/res/op-anna");
  });

  it.each([
    ["site with a wildcard", () => topics.event("+")],
    ["site with a slash", () => topics.event("a/b")],
    ["upper-case device", () => topics.deviceState("s1", "Cam")],
    ["device with #", () => topics.deviceHealth("s1", "#")],
    ["empty user", () => topics.cmd("s1", "")],
    ["underscore alarm", () => topics.alarm("s1", "auth_failed")],
    ["site over 48 chars", () => topics.agentState("a".repeat(49))],
    ["user over 64 chars", () => topics.res("s1", "u".repeat(65))],
  ])("refuse ids outside [a-z0-9-]: %s", (_name, build) => {
    expect(build).toThrow(TopicError);
    try {
      build();
    } catch (err) {
      expect((err as TopicError).code).toBe("invalid_id");
    }
  });
});

describe("parseTopic", () => {
  const cases: [string, ParsedTopic][] = [
    [topics.agentState("s1"), { site: "s1", kind: "agentState" }],
    [topics.agentMeta("s1"), { site: "s1", kind: "agentMeta" }],
    [topics.rebirth("s1"), { site: "s1", kind: "rebirth" }],
    [topics.deviceState("s1", "cam-1"), { site: "s1", kind: "deviceState", device: "cam-1" }],
    [topics.deviceHealth("s1", "cam-1"), { site: "s1", kind: "deviceHealth", device: "cam-1" }],
    [topics.alarm("s1", "a-1"), { site: "s1", kind: "alarm", alarm: "a-1" }],
    [topics.event("s1"), { site: "s1", kind: "event" }],
    [topics.readiness("s1"), { site: "s1", kind: "readiness" }],
    [topics.cmd("s1", "bob"), { site: "s1", kind: "cmd", user: "bob" }],
    [topics.res("s1", "bob"), { site: "s1", kind: "res", user: "bob" }],
  ];

  it("round-trips every builder", () => {
    expect(cases.map(([, p]) => p.kind).sort()).toEqual([...TOPIC_KINDS].sort());
    for (const [topic, parsed] of cases) expect(parseTopic(topic)).toEqual(parsed);
  });

  it.each([
    "roomgate/v2/s1/event",
    "roomgate/v1/s1",
    "roomgate/v1/s1/event/x",
    "roomgate/v1/S1/event",
    "roomgate/v1/s1/dev/cam-1",
    "roomgate/v1/s1/dev/cam-1/state/x",
    "roomgate/v1/s1/dev/Cam/state",
    "roomgate/v1/s1/cmd/",
    "roomgate/v1/s1/cmd/+",
    "roomgate/v1/s1/agent/other",
    "/roomgate/v1/s1/event",
    "",
  ])("returns null for %j", (topic) => {
    expect(parseTopic(topic)).toBeNull();
  });
});

describe("topic specs", () => {
  it("retain state, meta, health, alarms and readiness; never commands, responses, events or rebirth", () => {
    const retained = TOPIC_KINDS.filter((k) => TOPIC_SPECS[k].retain).sort();
    expect(retained).toEqual(["agentMeta", "agentState", "alarm", "deviceHealth", "deviceState", "readiness"]);
    for (const k of TOPIC_KINDS) expect(TOPIC_SPECS[k].qos).toBe(1);
    expect(publishOptions("cmd")).toEqual({ qos: 1, retain: false });
    expect(publishOptions("deviceHealth")).toEqual({ qos: 1, retain: true });
  });

  it("give subscription filters with + for ids", () => {
    expect(topicFilter("deviceHealth")).toBe("roomgate/v1/+/dev/+/health");
    expect(topicFilter("cmd", "district-07")).toBe("roomgate/v1/district-07/cmd/+");
    expect(topicFilter("event", "district-07")).toBe("roomgate/v1/district-07/event");
    expect(() => topicFilter("event", "#")).toThrow(TopicError);
  });
});

describe("payload schemas", () => {
  it("agent state: birth, will and clean stop", () => {
    expect(AgentStateSchema.safeParse({ state: "online", bootSeq: 3, version: "0.1.0", ts: T0 }).success).toBe(true);
    expect(AgentStateSchema.safeParse({ state: "lost", bootSeq: 3 }).success).toBe(true);
    expect(AgentStateSchema.safeParse({ state: "offline", bootSeq: 3, ts: T0 }).success).toBe(true);
    expect(AgentStateSchema.safeParse({ state: "online", bootSeq: 3, ts: T0 }).success).toBe(false); // no version
    expect(AgentStateSchema.safeParse({ state: "gone", bootSeq: 3 }).success).toBe(false);
    expect(AgentStateSchema.safeParse({ state: "lost", bootSeq: -1 }).success).toBe(false);
  });

  it("command: strict, args default to {}, id 1..64", () => {
    expect(CommandSchema.parse({ id: "c1", device: "cam-main", action: "preset.recall", args: { preset: 2 } })).toEqual({
      id: "c1",
      device: "cam-main",
      action: "preset.recall",
      args: { preset: 2 },
    });
    expect(CommandSchema.parse({ id: "c2", action: "readiness.run" })).toEqual({ id: "c2", action: "readiness.run", args: {} });
    expect(CommandSchema.safeParse({ id: "c3", action: "x", user: "admin" }).success).toBe(false); // identity comes from the topic
    expect(CommandSchema.safeParse({ id: "", action: "x" }).success).toBe(false);
    expect(CommandSchema.safeParse({ id: "x".repeat(65), action: "x" }).success).toBe(false);
    expect(CommandSchema.safeParse({ id: "c4", device: "Cam", action: "x" }).success).toBe(false);
    expect(CommandSchema.safeParse({ id: "c5", action: "x", args: [1] }).success).toBe(false);
  });

  it("response: error present exactly when status is not ok", () => {
    expect(ResponseSchema.safeParse({ id: "c1", status: "ok", data: { pan: 0 }, ts: T0 }).success).toBe(true);
    expect(ResponseSchema.safeParse({ id: "c1", status: "expired", error: { code: "expired", message: "past expiresAt" }, ts: T0 }).success).toBe(true);
    expect(ResponseSchema.safeParse({ id: null, status: "rejected", error: { code: "invalid_payload", message: "not JSON" }, ts: T0 }).success).toBe(true);
    expect(ResponseSchema.safeParse({ id: "c1", status: "timeout", ts: T0 }).success).toBe(false);
    expect(ResponseSchema.safeParse({ id: "c1", status: "ok", error: { code: "x", message: "y" }, ts: T0 }).success).toBe(false);
    expect(ResponseSchema.safeParse({ id: "c1", status: "done", ts: T0 }).success).toBe(false);
  });

  it("event: known types have their data checked, other types pass", () => {
    const audit = { id: "c1", user: "op-anna", device: "cam-main", action: "home", status: "ok", durationMs: 12 };
    expect(EventSchema.safeParse({ id: "3-1", ts: T0, type: "command", device: "cam-main", data: audit }).success).toBe(true);
    const bad = EventSchema.safeParse({ id: "3-1", ts: T0, type: "command", data: { ...audit, status: "fine" } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(["data", "status"]);
    expect(EventSchema.safeParse({ id: "3-1", ts: T0, type: "alarm.cleared", historical: true, data: { alarm: "a-1", clearedAt: T0 } }).success).toBe(true);
    expect(EventSchema.safeParse({ id: "3-1", ts: T0, type: "health", device: "cam-main", data: { status: "unreachable", code: "timeout", previous: "ok" } }).success).toBe(true);
    expect(EventSchema.safeParse({ id: "3-1", ts: T0, type: "scene.applied", data: { scene: "lecture" } }).success).toBe(true);
    expect(EventSchema.safeParse({ id: "3-1", ts: T0, type: "health" }).success).toBe(false); // data required for known types
    expect(EventSchema.safeParse({ ts: T0, type: "scene.applied", data: {} }).success).toBe(false); // id required
    expect(EventSchema.safeParse({ id: "c-42", ts: T0, type: "scene.applied", data: {} }).success).toBe(false);
  });
});

describe("encodePayload / decodePayload", () => {
  it("encode validated JSON, and an alarm's null as the empty (clearing) payload", () => {
    expect(encodePayload("deviceHealth", { status: "ok", since: T0, lastSeen: T0 + 5 })).toBe(
      `{"status":"ok","since":${T0},"lastSeen":${T0 + 5}}`,
    );
    expect(encodePayload("alarm", null)).toBe("");
    expect(() => encodePayload("deviceHealth", { status: "bad" as "ok", since: T0, lastSeen: null })).toThrow(/deviceHealth/);
  });

  it("decode a command and fill args", () => {
    const r = decodePayload("cmd", Buffer.from('{"id":"c1","device":"cam-main","action":"home"}'));
    expect(r).toEqual({ ok: true, value: { id: "c1", device: "cam-main", action: "home", args: {} } });
  });

  it("decode failures are values with a code and zod's issues", () => {
    const notJson = decodePayload("cmd", "{nope");
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.error.code).toBe("invalid_json");
    const bad = decodePayload("cmd", '{"id":"c1"}');
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.code).toBe("invalid_payload");
      expect(bad.error.issues.map((i) => i.path.join("."))).toEqual(["action"]);
    }
  });

  it("decode the empty alarm payload as cleared, and rebirth's any payload as text", () => {
    expect(decodePayload("alarm", Buffer.alloc(0))).toEqual({ ok: true, value: null });
    expect(decodePayload("rebirth", "please")).toEqual({ ok: true, value: "please" });
  });
});
