import { describe, expect, it } from "vitest";
import { topicFilter, topics, TOPIC_KINDS, TOPIC_SPECS } from "../agent/topics.js";
import { Acl, checkClientId, filterContains, identityOf, rulesFor, topicMatches, validFilter } from "./acl.js";
import { centreTopics, CENTRE_TOPIC_PREFIX } from "../centre/topics.js";
import { MATRIX_USERS, PUBLISH_CASES, SECURITY_READ_CASES, SUBSCRIBE_CASES, WILDCARD_PUBLISH_CASES, type MatrixUser } from "./acl.cases.js";

const acl = (user: MatrixUser) => new Acl(identityOf(user, MATRIX_USERS[user]));

describe("the ACL matrix (pure)", () => {
  it.each([...PUBLISH_CASES, ...WILDCARD_PUBLISH_CASES])("$user publish $topic -> $allowed ($why)", ({ user, topic, allowed }) => {
    expect(acl(user).canPublish(topic)).toBe(allowed);
  });

  it.each(SUBSCRIBE_CASES)("$user subscribe $filter -> $allowed ($why)", ({ user, filter, allowed, probe, probeReadable }) => {
    expect(acl(user).canSubscribe(filter)).toBe(allowed);
    expect(topicMatches(filter, probe)).toBe(true); // the probe really is under the filter
    expect(acl(user).canRead(probe)).toBe(probeReadable);
  });

  it.each(SECURITY_READ_CASES)("$user reads $SYS/roomgate/v1/security -> $allowed ($why)", ({ user, allowed }) => {
    expect(acl(user).canSubscribe("$SYS/roomgate/v1/security")).toBe(allowed);
    expect(acl(user).canRead("$SYS/roomgate/v1/security")).toBe(allowed);
    expect(acl(user).canSubscribe("$SYS/#")).toBe(false); // by name only: never the rest of $SYS
    expect(acl(user).canPublish("$SYS/roomgate/v1/security")).toBe(false); // only the broker publishes there
  });

  it("covers every role with allowed and denied cases, publish and subscribe", () => {
    for (const role of ["agent", "operator", "monitor", "admin", "recorder"]) {
      const ofRole = (u: MatrixUser) => MATRIX_USERS[u].role === role;
      const pubs = PUBLISH_CASES.filter((c) => ofRole(c.user)).map((c) => c.allowed);
      const subs = SUBSCRIBE_CASES.filter((c) => ofRole(c.user)).map((c) => c.allowed);
      if (role !== "monitor") expect(pubs).toContain(true);
      if (role !== "admin") expect(pubs).toContain(false);
      expect(subs).toContain(true);
      if (role !== "admin") expect(subs).toContain(false);
    }
  });
});

describe("one client's Acl, asked again and again (its remembered verdicts)", () => {
  it("answers every matrix case the same on a long-lived Acl as on a fresh one, in any order, past its memory bound", () => {
    const users = Object.keys(MATRIX_USERS) as MatrixUser[];
    const lived = new Map(users.map((u) => [u, acl(u)]));
    const cases = [...PUBLISH_CASES, ...WILDCARD_PUBLISH_CASES];
    // Three rounds, the second reversed; between them, 300 distinct never-allowed topics per client
    // push the memory over its bound so that it is emptied and refilled.
    for (const round of [cases, [...cases].reverse(), cases]) {
      for (const { user, topic, allowed } of round) {
        expect([user, topic, lived.get(user)!.canPublish(topic)]).toEqual([user, topic, allowed]);
      }
      for (const [user, a] of lived) {
        for (let i = 0; i < 300; i++) {
          expect(a.canPublish(`elsewhere/${i}`)).toBe(MATRIX_USERS[user].role === "admin");
          expect(a.canRead(`elsewhere/${i}`)).toBe(MATRIX_USERS[user].role === "admin");
        }
      }
    }
    for (const { user, probe, probeReadable } of [...SUBSCRIBE_CASES, ...SUBSCRIBE_CASES]) {
      expect([user, probe, lived.get(user)!.canRead(probe)]).toEqual([user, probe, probeReadable]);
    }
  });
});

describe("the ACL follows the topic contract (agent/topics.ts)", () => {
  const agent = acl("agent-s1");
  const op = acl("op-1");
  it("lets an agent publish every topic the contract says agents publish, and subscribe what the agent subscribes", () => {
    const samples: Record<string, string> = {
      agentState: topics.agentState("s1"), agentMeta: topics.agentMeta("s1"), deviceState: topics.deviceState("s1", "cam"),
      deviceHealth: topics.deviceHealth("s1", "cam"), alarm: topics.alarm("s1", "a-1"), event: topics.event("s1"),
      readiness: topics.readiness("s1"), res: topics.res("s1", "op-1"), cmd: topics.cmd("s1", "op-1"), rebirth: topics.rebirth("s1"),
    };
    expect(Object.keys(samples).sort()).toEqual([...TOPIC_KINDS].sort());
    for (const kind of TOPIC_KINDS) {
      const fromAgent = TOPIC_SPECS[kind].from === "agent";
      expect([kind, agent.canPublish(samples[kind]!)]).toEqual([kind, fromAgent]);
      // Operators write what the contract says operators send, as themselves.
      expect([kind, op.canPublish(samples[kind]!)]).toEqual([kind, !fromAgent]);
    }
    // agent/agent.ts subscribes exactly these two.
    expect(agent.canSubscribe(topicFilter("cmd", "s1"))).toBe(true);
    expect(agent.canSubscribe(topics.rebirth("s1"))).toBe(true);
  });

  it("lets an operator subscribe the filters of every agent-published topic of its site but others' responses", () => {
    for (const kind of TOPIC_KINDS.filter((k) => TOPIC_SPECS[k].from === "agent" && k !== "res")) {
      expect([kind, op.canSubscribe(topicFilter(kind, "s1"))]).toEqual([kind, true]);
      expect([kind, op.canSubscribe(topicFilter(kind, "s2"))]).toEqual([kind, false]);
    }
    expect(op.canSubscribe(topicFilter("res", "s1"))).toBe(false);
  });
});

describe("the ACL follows the centre's topic (centre/topics.ts)", () => {
  it("lets a recorder publish exactly its own centre health topic, and monitors read it", () => {
    expect(CENTRE_TOPIC_PREFIX).toBe("roomgate/centre");
    expect(acl("rec").canPublish(centreTopics.health("rec"))).toBe(true);
    expect(acl("rec").canPublish(centreTopics.health("rec-2"))).toBe(false);
    expect(acl("mon-1").canRead(centreTopics.health("rec"))).toBe(true);
  });
});

describe("rules", () => {
  it("prints an operator's rules per site, the way the Mosquitto export writes them", () => {
    expect(rulesFor(identityOf("op-1", { role: "operator", sites: ["s1", "s2"] })).filter((r) => r.filter.startsWith("roomgate/v1/s2/"))).toEqual([
      { access: "write", filter: "roomgate/v1/s2/cmd/op-1" },
      { access: "write", filter: "roomgate/v1/s2/agent/rebirth" },
      { access: "read", filter: "roomgate/v1/s2/agent/state" },
      { access: "read", filter: "roomgate/v1/s2/agent/meta" },
      { access: "read", filter: "roomgate/v1/s2/dev/+/state" },
      { access: "read", filter: "roomgate/v1/s2/dev/+/health" },
      { access: "read", filter: "roomgate/v1/s2/alarm/+" },
      { access: "read", filter: "roomgate/v1/s2/event" },
      { access: "read", filter: "roomgate/v1/s2/readiness" },
      { access: "read", filter: "roomgate/v1/s2/res/op-1" },
    ]);
    expect(rulesFor(identityOf("m", { role: "monitor", sites: "*" })).every((r) => r.access === "read" && /^roomgate\/(v1|centre)\/\+\//.test(r.filter))).toBe(true);
  });

  it("gives the recorder reads of every site's recorded topics and one write, its own health", () => {
    expect(rulesFor(identityOf("rec", { role: "recorder" }))).toEqual([
      { access: "read", filter: "roomgate/v1/+/agent/state" },
      { access: "read", filter: "roomgate/v1/+/agent/meta" },
      { access: "read", filter: "roomgate/v1/+/dev/+/health" },
      { access: "read", filter: "roomgate/v1/+/alarm/+" },
      { access: "read", filter: "roomgate/v1/+/event" },
      { access: "read", filter: "roomgate/v1/+/readiness" },
      { access: "read", filter: "$SYS/roomgate/v1/security" },
      { access: "write", filter: "roomgate/centre/rec/health" },
    ]);
  });
});

describe("topic matching", () => {
  it.each([
    ["a/+/c", "a/b/c", true], ["a/+/c", "a/b/d", false], ["a/#", "a", true], ["a/#", "a/b/c", true], ["#", "a/b", true],
    ["+", "a/b", false], ["a/+", "a/", true], ["#", "$SYS/x", false], ["+/x", "$SYS/x", false], ["$SYS/#", "$SYS/x", true],
    ["a/b", "a/b/c", false], ["a/b/c", "a/b", false],
  ] as const)("%s matches %s: %s", (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it.each([
    ["#", "a/+/#", true], ["a/+/c", "a/b/c", true], ["a/+/c", "a/+/c", true], ["a/b/c", "a/+/c", false],
    ["a/+/+", "a/#", false], ["a/#", "a", true], ["a/#", "a/#", true], ["a/+/#", "a/#", false], ["a/+", "a", false],
    ["+/b", "$x/b", false], ["a/b", "a/b/#", false], ["a/b/#", "a/b", true],
  ] as const)("%s contains %s: %s", (outer, inner, expected) => {
    expect(filterContains(outer, inner)).toBe(expected);
  });

  it("refuses malformed filters", () => {
    expect(validFilter("a/#/b")).toBe(false);
    expect(validFilter("a/b+")).toBe(false);
    expect(validFilter("")).toBe(false);
    expect(validFilter("a/+/#")).toBe(true);
    expect(acl("root").canSubscribe("a/#/b")).toBe(false);
  });
});

describe("client ids", () => {
  it("binds an agent to roomgate-agent-{site} and reserves that form for agents", () => {
    const agent = identityOf("agent-s1", MATRIX_USERS["agent-s1"]);
    expect(checkClientId(agent, "roomgate-agent-s1")).toEqual({ ok: true });
    expect(checkClientId(agent, "roomgate-agent-s2")).toEqual({ ok: false, reason: "an agent of s1 must connect as roomgate-agent-s1" });
    expect(checkClientId(agent, "whatever")).toMatchObject({ ok: false });
    for (const u of ["op-1", "mon-1", "root"] as const) {
      expect(checkClientId(identityOf(u, MATRIX_USERS[u]), "roomgate-agent-s1")).toEqual({ ok: false, reason: "client ids roomgate-agent-* are reserved for agents" });
      expect(checkClientId(identityOf(u, MATRIX_USERS[u]), "console-7")).toEqual({ ok: true });
    }
  });
});
