/**
 * A script for `node --input-type=module -e`, run in a directory holding dist/ and node_modules/ (the
 * checkout, or a bundle's app/): installs cli/lean-imports.ts's hooks, loads zod and the MQTT client
 * as the agent does, and prints one JSON line of what it saw.
 */
export const LEAN_PROBE = `const { installLeanImports } = await import("./dist/cli/lean-imports.js");
const installed = installLeanImports();
const { z } = await import("zod");
const mqttClient = await import("mqtt/lib/client");
const Client = mqttClient.default.default;
const { createRequire } = await import("node:module");
const loaded = Object.keys(createRequire(import.meta.url).cache);
process.stdout.write(JSON.stringify({
  installed,
  locales: Object.keys(z.locales),
  message: z.number().safeParse("x").error.issues[0].message,
  client: typeof Client,
  browserTimers: loaded.filter((f) => /worker-timers|@babel[\\\\/]runtime/.test(f)).length > 0,
}));`;

