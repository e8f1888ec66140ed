/**
 * `roomgate report availability --month YYYY-MM`: a month's figures from the record
 * (centre/queries/availability.ts through a reader), printed by cli/report-format.ts.
 */
import { writeFile } from "node:fs/promises";
import { FilterError, monthRange } from "../centre/queries/filters.js";
import { isId } from "../config/ids.js";
import { UsageError } from "./args.js";
import { formatOf } from "./history.js";
import { openReader } from "./read-record.js";
import { reportCsv, reportHtml, reportText } from "./report-format.js";
import { parseCommand } from "./spec.js";
import { reportAvailabilitySpec } from "./specs/centre.js";

export async function reportAvailabilityCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(reportAvailabilitySpec, argv);
  const format = formatOf(values);
  try {
    monthRange(values.month);
  } catch (err) {
    if (err instanceof FilterError) throw new UsageError(`--month: ${err.message}`);
    throw err;
  }
  if (values.site !== undefined && !isId(values.site)) throw new UsageError(`--site: expected an id (a-z, 0-9, -), got "${values.site}"`);
  const reader = await openReader(values);
  let text: string;
  try {
    const report = await reader.availability({ month: values.month, ...(values.site === undefined ? {} : { site: values.site }) });
    text = format === "json" ? `${JSON.stringify(report, null, 2)}\n` : format === "csv" ? reportCsv(report) : format === "html" ? reportHtml(report) : reportText(report);
  } finally {
    await reader.close();
  }
  if (values.out === undefined) process.stdout.write(text);
  else await writeFile(values.out, text);
  return 0;
}
