/**
 * The topics of the contract (agent/topics.ts has the rest: payload schemas, QoS, docs): how to
 * build one, how to read one, the filter of a kind. Apart from the schemas so that the agent, which
 * only builds and reads topics, does not hold the ~400 zod schemas of every payload in memory
 * (docs/performance.md); agent/topics.ts re-exports all of it.
 */
import { ID_MAX, SITE_ID_MAX, isId } from "../config/ids.js";

export const TOPIC_PREFIX = "roomgate/v1";

// ---------------------------------------------------------------- topics

/** A topic could not be built: an id outside [a-z0-9-] would break the fixed-depth tree (or inject `+`/`#`/`/`). */
export class TopicError extends Error {
  readonly code = "invalid_id" as const;
  constructor(message: string) {
    super(message);
    this.name = "TopicError";
  }
}

function seg(what: string, value: string, max = ID_MAX): string {
  if (!isId(value, max)) throw new TopicError(`${what} ${JSON.stringify(value)} is not an id ([a-z0-9-], 1..${max})`);
  return value;
}
const root = (site: string): string => `${TOPIC_PREFIX}/${seg("site", site, SITE_ID_MAX)}`;

/** Topic builders. Each throws a TopicError for an id outside [a-z0-9-]. */
export const topics = {
  agentState: (site: string) => `${root(site)}/agent/state`,
  agentMeta: (site: string) => `${root(site)}/agent/meta`,
  /** Operator -> agent: republish every retained topic (any payload). */
  rebirth: (site: string) => `${root(site)}/agent/rebirth`,
  deviceState: (site: string, device: string) => `${root(site)}/dev/${seg("device", device)}/state`,
  deviceHealth: (site: string, device: string) => `${root(site)}/dev/${seg("device", device)}/health`,
  alarm: (site: string, alarm: string) => `${root(site)}/alarm/${seg("alarm", alarm)}`,
  event: (site: string) => `${root(site)}/event`,
  readiness: (site: string) => `${root(site)}/readiness`,
  cmd: (site: string, user: string) => `${root(site)}/cmd/${seg("user", user)}`,
  res: (site: string, user: string) => `${root(site)}/res/${seg("user", user)}`,
} as const;

export type TopicKind = keyof typeof topics;
export const TOPIC_KINDS = Object.keys(topics) as TopicKind[];

export interface ParsedTopic {
  site: string;
  kind: TopicKind;
  device?: string;
  user?: string;
  alarm?: string;
}

/** Reads a v1 topic; null for anything else (another version, wrong depth, an id outside [a-z0-9-]). Never throws. */
export function parseTopic(topic: string): ParsedTopic | null {
  const parts = topic.split("/");
  if (parts[0] !== "roomgate" || parts[1] !== "v1") return null;
  const site = parts[2];
  if (site === undefined || !isId(site, SITE_ID_MAX)) return null;
  const rest = parts.slice(3);
  const [a, b, c] = rest;
  const id = (v: string | undefined): v is string => isId(v);
  switch (rest.length) {
    case 1:
      if (a === "event") return { site, kind: "event" };
      if (a === "readiness") return { site, kind: "readiness" };
      return null;
    case 2:
      if (a === "agent" && b === "state") return { site, kind: "agentState" };
      if (a === "agent" && b === "meta") return { site, kind: "agentMeta" };
      if (a === "agent" && b === "rebirth") return { site, kind: "rebirth" };
      if (a === "alarm" && id(b)) return { site, kind: "alarm", alarm: b };
      if (a === "cmd" && id(b)) return { site, kind: "cmd", user: b };
      if (a === "res" && id(b)) return { site, kind: "res", user: b };
      return null;
    case 3:
      if (a === "dev" && id(b) && c === "state") return { site, kind: "deviceState", device: b };
      if (a === "dev" && id(b) && c === "health") return { site, kind: "deviceHealth", device: b };
      return null;
    default:
      return null;
  }
}

/** Each kind's topic with its placeholders, as in DESIGN.md. */
export const TOPIC_PATTERNS: Readonly<Record<TopicKind, string>> = {
  agentState: `${TOPIC_PREFIX}/{site}/agent/state`,
  agentMeta: `${TOPIC_PREFIX}/{site}/agent/meta`,
  rebirth: `${TOPIC_PREFIX}/{site}/agent/rebirth`,
  deviceState: `${TOPIC_PREFIX}/{site}/dev/{device}/state`,
  deviceHealth: `${TOPIC_PREFIX}/{site}/dev/{device}/health`,
  alarm: `${TOPIC_PREFIX}/{site}/alarm/{alarm}`,
  event: `${TOPIC_PREFIX}/{site}/event`,
  readiness: `${TOPIC_PREFIX}/{site}/readiness`,
  cmd: `${TOPIC_PREFIX}/{site}/cmd/{user}`,
  res: `${TOPIC_PREFIX}/{site}/res/{user}`,
};

/** A subscription filter for a kind: placeholders become `+` (the site too, unless given). */
export function topicFilter(kind: TopicKind, site?: string): string {
  const p = TOPIC_PATTERNS[kind].replace(/\{(device|alarm|user)\}/g, "+");
  return site === undefined ? p.replace("{site}", "+") : p.replace("{site}", seg("site", site, SITE_ID_MAX));
}
