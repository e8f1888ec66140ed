import { defineConfig } from "vitest/config";
import { ToolSummaryReporter } from "./test/helpers/tool-summary.js";

/** One line per tool whose absence skipped tests, at the end of every run (test/helpers/tools.ts). */
const toolSummary = new ToolSummaryReporter();

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
    exclude: ["node_modules/**", "dist/**"],
    reporters: ["default", toolSummary],
    // Integration tests start real brokers, ptys and sockets: keep files isolated in forks.
    pool: "forks",
    setupFiles: ["test/helpers/fast-check-setup.ts"],
    testTimeout: 20_000,
    // One retry, left for the VISCA pty unplug/replug test: it has timed out once in a full run on
    // this 2-core CI machine, cause not found yet; a test that fails twice still fails. The other
    // test it was for, the Redis cluster's session move, no longer needs it: the broker sent a
    // resumed session a message before its CONNACK (broker/connack-first.ts).
    retry: 1,
    hookTimeout: 20_000,
  },
});
