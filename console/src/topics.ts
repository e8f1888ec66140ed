/**
 * The part of the v1 topic contract (docs/topics.md) the console reads and writes. The page cannot
 * import agent/topics.ts (it pulls zod and Node into the bundle), so the few patterns live here and
 * console/src/topics.test.ts keeps them equal to the agent's builders.
 */
export const PREFIX = "roomgate/v1";

export type SiteTopic =
  | { site: string; kind: "agent-state" | "agent-meta" | "readiness" | "event" }
  | { site: string; kind: "device-state" | "device-health"; device: string }
  | { site: string; kind: "alarm"; alarm: string }
  | { site: string; kind: "res"; user: string };

export const topics = {
  cmd: (site: string, user: string) => `${PREFIX}/${site}/cmd/${user}`,
  res: (site: string, user: string) => `${PREFIX}/${site}/res/${user}`,
  rebirth: (site: string) => `${PREFIX}/${site}/agent/rebirth`,
};

/** What the console subscribes to for one site level (`+` for every site): the readable retained topics. */
export function subscriptions(siteLevel: string, user: string | undefined): string[] {
  const root = `${PREFIX}/${siteLevel}`;
  const list = [`${root}/agent/state`, `${root}/agent/meta`, `${root}/dev/+/state`, `${root}/dev/+/health`, `${root}/alarm/+`, `${root}/readiness`];
  if (user !== undefined) list.push(`${root}/res/${user}`);
  return list;
}

export function parseTopic(topic: string): SiteTopic | undefined {
  const p = topic.split("/");
  if (p[0] !== "roomgate" || p[1] !== "v1" || p[2] === undefined) return undefined;
  const site = p[2];
  const [a, b, c] = [p[3], p[4], p[5]];
  if (p.length === 5 && a === "agent" && b === "state") return { site, kind: "agent-state" };
  if (p.length === 5 && a === "agent" && b === "meta") return { site, kind: "agent-meta" };
  if (p.length === 4 && a === "readiness") return { site, kind: "readiness" };
  if (p.length === 4 && a === "event") return { site, kind: "event" };
  if (p.length === 6 && a === "dev" && b !== undefined && (c === "state" || c === "health")) {
    return { site, kind: c === "state" ? "device-state" : "device-health", device: b };
  }
  if (p.length === 5 && a === "alarm" && b !== undefined) return { site, kind: "alarm", alarm: b };
  if (p.length === 5 && a === "res" && b !== undefined) return { site, kind: "res", user: b };
  return undefined;
}
