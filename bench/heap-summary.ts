/**
 * What a V8 heap snapshot holds, by type (bench/lib/heap-summary.ts):
 *
 *   node dist/bench/heap-summary.js FILE.heapsnapshot [--top N] [--json]
 *
 * `npm run bench:fleet -- --heap-snapshot DIR` writes one of the aedes broker at the end of its
 * measured window and prints this summary itself.
 */
import { heapSummaryText, summarizeHeapSnapshot } from "./lib/heap-summary.js";

const args = process.argv.slice(2);
const topAt = args.indexOf("--top");
const file = args.find((a, i) => !a.startsWith("--") && (topAt < 0 || i !== topAt + 1));
if (file === undefined) {
  process.stderr.write("usage: node dist/bench/heap-summary.js FILE.heapsnapshot [--top N] [--json]\n");
  process.exit(2);
}
const summary = await summarizeHeapSnapshot(file, { top: topAt >= 0 ? Number(args[topAt + 1]) : 25 });
process.stdout.write(args.includes("--json") ? `${JSON.stringify(summary)}\n` : `${heapSummaryText(summary)}\n`);
