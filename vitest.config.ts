import { defineConfig } from "vitest/config";
import { ToolSummaryReporter } from "./test/helpers/tool-summary.js";
import { chooseWorkers } from "./test/helpers/workers.js";

/** One line per tool whose absence skipped tests, at the end of every run (test/helpers/tools.ts). */
const toolSummary = new ToolSummaryReporter();

/** Four files at once on a quiet 2-core machine, fewer when other processes hold the cores (test/helpers/workers.ts). */
const workers = chooseWorkers();
if (workers.note !== undefined) process.stderr.write(`${workers.note}\n`);

export default defineConfig({
  plugins: [
    {
      name: "roomgate:tool-summary",
      // `--reporter` on the command line replaces the config's reporters (vitest 4.1 resolveConfig),
      // so .ci/run's `--reporter=default --reporter=json` would drop the summary: put it back. This
      // hook runs after the config is resolved and before the reporters are created.
      configureVitest({ vitest }) {
        if (!vitest.config.reporters.includes(toolSummary)) vitest.config.reporters.push(toolSummary);
      },
    },
  ],
  test: {
    include: ["**/*.test.ts"],
    // Transformed modules are kept on disk between runs (node_modules/.experimental-vitest-cache,
    // keyed by each file's content): at the start of a run the workers ask the one vitest process
    // for the whole module graph at once, and without the cache it transforms it again every run.
    experimental: { fsModuleCache: true },
    exclude: ["node_modules/**", "dist/**"],
    reporters: ["default", toolSummary],
    // Integration tests start real brokers, ptys and sockets, and load native modules (serialport,
    // node-pty, classic-level): child processes, not threads.
    pool: "forks",
    // Most of the suite waits on real I/O (sockets, ptys, child processes), so files run four at a
    // time even on 2 cores: one worker (vitest's default there) made every file wait for the last,
    // three left the cores a third idle (2,243 tests: 194 s with 3 workers, 149 s with 4); five
    // filled them, but a worker's share of a core then made a driver's first poll miss its deadline.
    // When other processes already hold the cores, fewer (test/helpers/workers.ts; docs/performance.md,
    // "The test suite").
    maxWorkers: workers.workers,
    // A worker runs file after file in one process instead of a fresh process per file: the module
    // graph (aedes, zod, the drivers) is loaded once per worker, which halves the suite's CPU time.
    // So a test file must leave no global state behind (no process.env edits, no listeners, no
    // fake timers, nothing plugged); `--sequence.shuffle.files` runs check that order does not matter.
    isolate: false,
    setupFiles: ["test/helpers/fast-check-setup.ts"],
    testTimeout: 20_000,
    // No retries: a test that fails once has a cause. The two that used to time out under load had
    // theirs: the VISCA pty test's port used serialport's stock binding, which never closes when a
    // hang-up beats its next read (simulators/visca/serial.test.ts); the cluster's session move met a
    // broker that sent a resumed session a message before its CONNACK (broker/connack-first.ts).
    retry: 0,
    hookTimeout: 20_000,
  },
});
