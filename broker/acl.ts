/**
 * Who may publish and subscribe to what: the ACL derived from a user's role and the topic contract
 * of DESIGN.md. Pure: no I/O, no aedes. The aedes hooks (auth.ts) and the Mosquitto export
 * (mosquitto-policy.ts) both use `rulesFor`, so the two brokers enforce the same rules by construction.
 *
 * A rule is an MQTT topic filter with an access (read or write), exactly what a Mosquitto ACL line
 * says. Evaluation:
 * - publish: the topic must hold no wildcard and match at least one write rule;
 * - subscribe: the filter is allowed only if every topic it can match is readable, i.e. it is
 *   contained in one read rule (`roomgate/v1/s1/dev/+/health` inside `roomgate/v1/s1/dev/+/health`,
 *   `roomgate/v1/s1/dev/cam/health` inside it too; `roomgate/v1/+/#` inside nothing but `#`).
 *   One rule suffices: a filter's wildcard level matches values no rule names literally, so a filter
 *   covered by a union of rules is covered by one of them.
 *   (Mosquitto's acl_file grants any subscription and filters at delivery instead; what reaches
 *   the client is the same readable set, see docs in mosquitto-policy.ts.)
 *
 * Topics (kept in step with agent/topics.ts by acl.test.ts; the broker does not import the agent):
 * - agent of site S   write S/agent/state, S/agent/meta, S/dev/+/state, S/dev/+/health, S/alarm/+,
 *                     S/event, S/readiness, S/res/+; read S/cmd/+, S/agent/rebirth.
 * - operator U        per permitted site (or `+` for "*"): write site/cmd/U and site/agent/rebirth
 *                     (it only asks for a republish of retained state); read the state, meta, health,
 *                     alarm, event and readiness topics and its own site/res/U.
 * - monitor           read as an operator without res; writes nothing.
 * - admin             read and write `#`; read `$SYS/roomgate/v1/security` (below).
 * - recorder R        (the centre, `roomgate centre`) read, on every site, the agent state and meta,
 *                     device health, alarms, events and readiness, and the broker's security events
 *                     (below, for the SOC); write only its own health topic roomgate/centre/R/health.
 *                     No commands, no responses, no device state.
 * Operators and monitors also read roomgate/centre/+/health: whether the record is being kept is
 * something a monitoring script watches (the centre's topics are outside roomgate/v1/{site}, so a
 * site called `centre` cannot collide with them; kept in step with centre/topics.ts by acl.test.ts).
 *
 * The broker's own security events (security-events.ts) are on `$SYS/roomgate/v1/security`: a `$`
 * topic, which no leading wildcard matches (`#` included), so a role reads it only when given it by
 * name, and no client can publish there (no write rule names `$SYS/`; auth.ts also refuses it to
 * the anonymous). The centre's recorder gets the same read rule as the admin: its syslog forwarder
 * sends these events to the SOC (centre/syslog).
 */
import type { BrokerRole, BrokerUser } from "../config/broker.js";

export const PREFIX = "roomgate/v1";
/** Where the broker publishes refused connections and ACL denials (security-events.ts). */
export const SECURITY_TOPIC = "$SYS/roomgate/v1/security";
/** Every agent connects as `roomgate-agent-{site}` (agent/agent.ts). */
export const AGENT_CLIENT_PREFIX = "roomgate-agent-";
/** The centre's own topics: `roomgate/centre/{recorder user}/health`. */
export const CENTRE_PREFIX = "roomgate/centre";

export type Access = "read" | "write";

export interface Rule {
  access: Access;
  filter: string;
}

/** An authenticated user as the ACL needs it. */
export interface Identity {
  username: string;
  role: BrokerRole;
  /** Agent: its one site. */
  site?: string;
  /** Operator / monitor: permitted sites, or "*". */
  sites?: readonly string[] | "*";
}

/** The identity of a configured user. */
export function identityOf(username: string, user: BrokerUser): Identity {
  switch (user.role) {
    case "agent":
      return { username, role: "agent", site: user.site };
    case "operator":
    case "monitor":
      return { username, role: user.role, sites: user.sites };
    case "admin":
      return { username, role: "admin" };
    case "recorder":
      return { username, role: "recorder" };
  }
}

/** Topics a reader (operator or monitor) sees on one site level (`+` for all sites). */
const READABLE = ["agent/state", "agent/meta", "dev/+/state", "dev/+/health", "alarm/+", "event", "readiness"] as const;
const AGENT_WRITES = [...READABLE, "res/+"] as const;
/** What the centre's recorder keeps, on every site: no device state (too chatty, not history), no cmd/res. */
const RECORDED = ["agent/state", "agent/meta", "dev/+/health", "alarm/+", "event", "readiness"] as const;

/** The rules of one identity, in a stable order (the Mosquitto export prints them as they come). */
export function rulesFor(id: Identity): Rule[] {
  const rules: Rule[] = [];
  const add = (access: Access, filter: string) => rules.push({ access, filter });
  switch (id.role) {
    case "admin":
      add("read", "#");
      add("write", "#");
      add("read", SECURITY_TOPIC);
      break;
    case "agent": {
      const root = `${PREFIX}/${id.site}`;
      for (const t of AGENT_WRITES) add("write", `${root}/${t}`);
      add("read", `${root}/cmd/+`);
      add("read", `${root}/agent/rebirth`);
      break;
    }
    case "operator":
    case "monitor":
      for (const site of siteLevels(id)) {
        const root = `${PREFIX}/${site}`;
        if (id.role === "operator") {
          add("write", `${root}/cmd/${id.username}`);
          add("write", `${root}/agent/rebirth`);
        }
        for (const t of READABLE) add("read", `${root}/${t}`);
        if (id.role === "operator") add("read", `${root}/res/${id.username}`);
      }
      add("read", `${CENTRE_PREFIX}/+/health`);
      break;
    case "recorder":
      for (const t of RECORDED) add("read", `${PREFIX}/+/${t}`);
      add("read", SECURITY_TOPIC);
      add("write", `${CENTRE_PREFIX}/${id.username}/health`);
      break;
  }
  return rules;
}

function siteLevels(id: Identity): string[] {
  if (id.sites === undefined || id.sites === "*") return ["+"];
  return [...id.sites];
}

/**
 * Verdicts a client's Acl remembers, per kind. A client publishes on the same few dozen topics for
 * its whole connection (an agent: a health and a state topic per device), so after the first message
 * each check is one map lookup; bench/fleet found the rule matching among the broker's top costs.
 * Bounded: a client cycling through topics gets its memory emptied, never grown without limit.
 */
const VERDICTS_KEPT = 256;

/** Compiled rules of a connected client: checks without re-deriving. */
export class Acl {
  readonly rules: readonly Rule[];
  private readonly published = new Map<string, boolean>();
  private readonly read = new Map<string, boolean>();
  constructor(readonly identity: Identity) {
    this.rules = rulesFor(identity);
  }

  canPublish(topic: string): boolean {
    return remembered(this.published, topic, () => validTopic(topic) && this.rules.some((r) => r.access === "write" && topicMatches(r.filter, topic)));
  }

  /** May this client receive a message on `topic` (the per-message question Mosquitto asks). */
  canRead(topic: string): boolean {
    return remembered(this.read, topic, () => validTopic(topic) && this.rules.some((r) => r.access === "read" && topicMatches(r.filter, topic)));
  }

  canSubscribe(filter: string): boolean {
    return validFilter(filter) && this.rules.some((r) => r.access === "read" && filterContains(r.filter, filter));
  }
}

/** A verdict on a client id, with the reason when refused. */
export function checkClientId(id: Identity, clientId: string): { ok: true } | { ok: false; reason: string } {
  const expected = id.site === undefined ? undefined : `${AGENT_CLIENT_PREFIX}${id.site}`;
  if (id.role === "agent") {
    return clientId === expected ? { ok: true } : { ok: false, reason: `an agent of ${id.site} must connect as ${expected}` };
  }
  // Taking over an agent's id would disconnect that agent (MQTT session takeover): reserved to agents.
  if (clientId.startsWith(AGENT_CLIENT_PREFIX)) return { ok: false, reason: `client ids ${AGENT_CLIENT_PREFIX}* are reserved for agents` };
  return { ok: true };
}

/** A topic name a client may publish to: non-empty, no wildcard, no NUL. */
export function validTopic(topic: string): boolean {
  return topic.length > 0 && !/[+#\u0000]/.test(topic);
}

/** A well-formed subscription filter: `#` only as the last level, wildcards alone in their level. */
export function validFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes("\u0000")) return false;
  const levels = filter.split("/");
  return levels.every((l, i) => {
    if (l === "#") return i === levels.length - 1;
    if (l === "+") return true;
    return !l.includes("+") && !l.includes("#");
  });
}

/** MQTT matching of a topic name against a filter (topics starting with `$` never match a leading wildcard). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  if (topic.startsWith("$") && (f[0] === "+" || f[0] === "#")) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true; // also matches the parent level: `a/#` matches `a`
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** True when every topic `inner` can match is matched by `outer` (both filters). */
export function filterContains(outer: string, inner: string): boolean {
  const o = outer.split("/");
  const n = inner.split("/");
  if (inner.startsWith("$") && (o[0] === "+" || o[0] === "#")) return false;
  for (let i = 0; i < n.length; i++) {
    const ol = o[i];
    if (ol === "#") return true;
    if (ol === undefined) return false;
    const nl = n[i]!;
    if (nl === "#") return false; // inner reaches any depth here; only `#` in outer covers that
    if (nl === "+" && ol !== "+") return false;
    if (ol !== "+" && ol !== nl) return false;
  }
  // inner ended: outer must end too, or continue with a lone `#` (which matches the parent level).
  return o.length === n.length || (o.length === n.length + 1 && o[n.length] === "#");
}

function remembered(verdicts: Map<string, boolean>, topic: string, decide: () => boolean): boolean {
  const known = verdicts.get(topic);
  if (known !== undefined) return known;
  const verdict = decide();
  if (verdicts.size >= VERDICTS_KEPT) verdicts.clear();
  verdicts.set(topic, verdict);
  return verdict;
}
