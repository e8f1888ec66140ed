/**
 * `roomgate history audit|alarms|health|quarantine|verify`: questions to the record, answered by
 * centre/queries through a reader (cli/read-record.ts), printed by cli/history-format.ts.
 */
import { readFile } from "node:fs/promises";
import type { ChainVerdict } from "../centre/chain/audit.js";
import { FilterError, parseSince, type HistoryFilter } from "../centre/queries/filters.js";
import type { GivenKey, HistoryReader } from "../centre/reader.js";
import { isId } from "../config/ids.js";
import { UsageError } from "./args.js";
import { alarmTable, auditTable, healthTable, quarantineTable, render, type Format, type Table } from "./history-format.js";
import { openReader } from "./read-record.js";
import { parseCommand } from "./spec.js";
import { historyAlarmsSpec, historyAuditSpec, historyHealthSpec, historyQuarantineSpec, historyVerifySpec } from "./specs/centre.js";

type FilterValues = { site?: string; device?: string; since?: string; until?: string; limit?: string; json?: boolean; csv?: boolean };

export function formatOf(v: { json?: boolean | undefined; csv?: boolean | undefined; html?: boolean | undefined }): Format | "html" {
  const chosen = (["json", "csv", "html"] as const).filter((k) => v[k] === true);
  if (chosen.length > 1) throw new UsageError(`--${chosen.join(" and --")} exclude each other`);
  return chosen[0] ?? "table";
}

export function filterOf(v: FilterValues, now = Date.now()): HistoryFilter {
  const f: HistoryFilter = {};
  for (const key of ["site", "device"] as const) {
    const id = v[key];
    if (id === undefined) continue;
    if (!isId(id)) throw new UsageError(`--${key}: expected an id (a-z, 0-9, -), got "${id}"`);
    f[key] = id;
  }
  try {
    if (v.since !== undefined) f.since = parseSince(v.since, now);
    if (v.until !== undefined) f.until = parseSince(v.until, now);
  } catch (err) {
    if (err instanceof FilterError) throw new UsageError(`--since/--until: ${err.message}`);
    throw err;
  }
  if (v.limit !== undefined) {
    const n = Number(v.limit);
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`--limit: expected a whole number >= 1, got "${v.limit}"`);
    f.limit = n;
  }
  return f;
}

async function withReader<T>(from: Parameters<typeof openReader>[0], fn: (r: HistoryReader) => Promise<T>): Promise<T> {
  const reader = await openReader(from);
  try {
    return await fn(reader);
  } finally {
    await reader.close();
  }
}

function listing<R>(spec: typeof historyAuditSpec, table: (rows: R[]) => Table, ask: (r: HistoryReader, f: HistoryFilter) => Promise<R[]>) {
  return async (argv: string[]): Promise<number> => {
    const { values } = parseCommand(spec, argv);
    const format = formatOf(values) as Format;
    const filter = filterOf(values);
    const rows = await withReader(values, (r) => ask(r, filter));
    process.stdout.write(render(table(rows), rows, format));
    return 0;
  };
}

export const historyAuditCommand = listing(historyAuditSpec, auditTable, (r, f) => r.audit(f));
export const historyAlarmsCommand = listing(historyAlarmsSpec, alarmTable, (r, f) => r.alarms(f));
export const historyHealthCommand = listing(historyHealthSpec, healthTable, (r, f) => r.health(f));
export const historyQuarantineCommand = listing(historyQuarantineSpec, quarantineTable, (r, f) => r.quarantine(f));

export function verdictLine(v: ChainVerdict): string {
  if (v.ok) {
    const span = v.rows === 0 ? "no rows" : `${v.rows} row${v.rows === 1 ? "" : "s"} (${v.firstSeq}..${v.headSeq}${v.anchors > 0 ? `, ${v.anchors} anchor${v.anchors === 1 ? "" : "s"}` : ""})`;
    return `${v.site}: intact, ${span}, head ${v.headHash?.slice(0, 16) ?? "-"}`;
  }
  return `${v.site}: BROKEN at row ${v.problem!.seq}: ${v.problem!.message}`;
}

export async function historyVerifyCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(historyVerifySpec, argv);
  if (values.site !== undefined && !isId(values.site)) throw new UsageError(`--site: expected an id (a-z, 0-9, -), got "${values.site}"`);
  const keys: GivenKey[] = [];
  if (values.key !== undefined) {
    try {
      keys.push({ pem: await readFile(values.key, "utf8"), source: `--key ${values.key}` });
    } catch (err) {
      throw new UsageError(`--key ${values.key}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const verdicts = await withReader(values, (r) => r.verify({ ...(values.site === undefined ? {} : { site: values.site }), keys }));
  if (values.json) process.stdout.write(`${JSON.stringify(verdicts, null, 2)}\n`);
  else if (verdicts.length === 0) process.stdout.write("no audit chain recorded yet\n");
  else process.stdout.write(verdicts.map((v) => `${verdictLine(v)}\n`).join(""));
  return verdicts.every((v) => v.ok) ? 0 : 1;
}
