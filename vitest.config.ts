import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "dist/**"],
    // Integration tests start real brokers, ptys and sockets: keep files isolated in forks.
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
