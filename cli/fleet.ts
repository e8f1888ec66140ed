/**
 * `roomgate fleet check [--sites a,b | --all] [--json] [--deadline MS]`: the operators' board.
 * Asks every site for a readiness check over MQTT at once, waits until the deadline, and prints one
 * table: site, overall, failing items; a site that did not answer is marked. `--all` learns the
 * sites from the retained agent/state and agent/meta topics (needs an operator allowed on all sites).
 *
 * Exit: 0 every site pass or warn, 1 a site failed or did not answer, 2 bad usage.
 */
import type { MqttClient } from "mqtt";
import type { Readiness } from "../agent/topics.js";
import { parseTopic } from "../agent/topics.js";
import { isId, SITE_ID_MAX } from "../config/ids.js";
import { UsageError, defaultBrokerUrl } from "./args.js";
import { parseCommand } from "./spec.js";
import { fleetCheckSpec } from "./specs/operator.js";
import { connectTool, toolAuth } from "./mqtt-client.js";
import { askReadiness } from "./readiness-client.js";
import { fleetTable, styleFor, type FleetRow } from "./readiness-format.js";

/** How long --all listens for retained agent topics after the last one arrived (and at most). */
export const DISCOVERY_QUIET_MS = 500;
export const DISCOVERY_MAX_MS = 3000;

/** `roomgate fleet check` (its arguments after `check`). */
export async function fleetCheckCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(fleetCheckSpec, argv);
  if ((values.sites === undefined) === (values.all !== true)) throw new UsageError("needs --sites a,b,... or --all (one of the two)");
  const deadlineMs = Number(values.deadline ?? 30_000);
  if (!Number.isInteger(deadlineMs) || deadlineMs < 1000) throw new UsageError(`--deadline: expected milliseconds >= 1000, got "${values.deadline}"`);
  const auth = await toolAuth(values, "operator");
  const user = auth.username!;
  const url = values.broker ?? defaultBrokerUrl();
  const client = await connectTool(url, "fleet", auth);
  try {
    let sites: Map<string, string | undefined>;
    if (values.all) sites = await discoverSites(client);
    else {
      sites = new Map(values.sites!.split(",").map((s) => [s.trim(), undefined] as [string, string | undefined]).filter(([s]) => s !== ""));
      const bad = [...sites.keys()].filter((s) => !isId(s, SITE_ID_MAX));
      if (bad.length > 0) throw new UsageError(`--sites: not site ids: ${bad.join(", ")}`);
    }
    if (sites.size === 0) {
      process.stderr.write(`no sites found on ${url} (no retained agent/state)\n`);
      return 1;
    }
    // The agent's own deadline is a little shorter than ours, so its report can still reach us.
    const agentDeadline = Math.max(1000, deadlineMs - 2000);
    const rows = await Promise.all(
      [...sites].map(async ([site, state]): Promise<FleetRow> => {
        const args = { deadlineMs: agentDeadline, fix: values.fix === true };
        const res = await askReadiness(client, { site, user, args, timeoutMs: deadlineMs }).catch((err: Error) => err);
        if (res instanceof Error) return { site, overall: "error", failing: [], note: res.message };
        if (!res) return { site, overall: "no answer", failing: [], note: state && state !== "online" ? `agent ${state}` : `no answer within ${deadlineMs} ms` };
        if (res.status !== "ok") return { site, overall: res.error?.code === "busy" ? "busy" : "error", failing: [], note: res.error?.message ?? res.status };
        const r = res.data as Readiness;
        return { site, overall: r.result, failing: r.checks.filter((i) => i.result === "fail").map((i) => `${i.id} (${i.code ?? "fail"})`) };
      }),
    );
    rows.sort((a, b) => a.site.localeCompare(b.site));
    if (values.json) process.stdout.write(`${JSON.stringify({ ts: Date.now(), sites: rows }, null, 2)}\n`);
    else process.stdout.write(`${fleetTable(rows, styleFor(process.stdout))}\n`);
    return rows.every((r) => r.overall === "pass" || r.overall === "warn") ? 0 : 1;
  } finally {
    await client.endAsync();
  }
}

/**
 * The sites of the broker: every site with a retained agent/state or agent/meta, with its last
 * agent state (`online`, `lost`, `offline`). Retained messages arrive right after the subscription;
 * MQTT has no end-of-retained marker, so listening stops once they have been quiet a moment.
 */
async function discoverSites(client: MqttClient): Promise<Map<string, string | undefined>> {
  const sites = new Map<string, string | undefined>();
  let quiet: NodeJS.Timeout | undefined;
  let max: NodeJS.Timeout | undefined;
  let onMessage: ((topic: string, payload: Buffer, packet: { retain: boolean }) => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const settle = () => {
        clearTimeout(quiet);
        quiet = setTimeout(resolve, DISCOVERY_QUIET_MS);
      };
      max = setTimeout(resolve, DISCOVERY_MAX_MS);
      onMessage = (topic, payload, packet) => {
        const t = parseTopic(topic);
        if (!t || !packet.retain || (t.kind !== "agentState" && t.kind !== "agentMeta")) return;
        if (!sites.has(t.site)) sites.set(t.site, undefined);
        if (t.kind === "agentState") sites.set(t.site, readState(payload));
        settle();
      };
      client.on("message", onMessage);
      client.subscribe(["roomgate/v1/+/agent/state", "roomgate/v1/+/agent/meta"], { qos: 1 }, (err, granted) => {
        if (err) return reject(err);
        if ((granted ?? []).some((g) => g.qos === 128)) {
          return reject(new UsageError("--all needs an operator allowed on every site (sites: \"*\"); name the sites with --sites"));
        }
        settle();
      });
    });
  } finally {
    clearTimeout(quiet);
    clearTimeout(max);
    if (onMessage) client.off("message", onMessage);
    client.unsubscribe(["roomgate/v1/+/agent/state", "roomgate/v1/+/agent/meta"]);
  }
  return sites;
}

function readState(payload: Buffer): string | undefined {
  try {
    const s = (JSON.parse(payload.toString("utf8")) as { state?: unknown }).state;
    return typeof s === "string" ? s : undefined;
  } catch (err) {
    void err; // an unreadable retained state says nothing about the site: it is still asked
    return undefined;
  }
}
