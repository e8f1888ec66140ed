import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    // Integration tests start real brokers, ptys and sockets: keep files isolated in forks.
    pool: "forks",
    setupFiles: ["test/helpers/fast-check-setup.ts"],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
