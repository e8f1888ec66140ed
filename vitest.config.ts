import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    // Integration tests start real brokers, ptys and sockets: keep files isolated in forks.
    pool: "forks",
    setupFiles: ["test/helpers/fast-check-setup.ts"],
    testTimeout: 20_000,
    // One retry: on this 2-core CI machine two integration tests have each timed out once in a full
    // run (the VISCA pty unplug/replug; the Redis cluster's session move), while passing every time
    // alone, even beside two busy CPU loops. Their cause is not found yet; a test that fails twice
    // still fails.
    retry: 1,
    hookTimeout: 20_000,
  },
});
