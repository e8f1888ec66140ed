/**
 * Two modules the agent's libraries import at load time and the agent never runs, left unloaded
 * where Node can redirect an import (module.registerHooks: Node 22.15 and later, so the gateway
 * bundle's Node 24; on Node 20 everything loads as before). Together they are 2.7 MB of the agent's
 * RSS on Node 24, out of a 64 MB budget (docs/performance.md):
 *
 * - `worker-timers` (with @babel/runtime, 1.3 MB): mqtt.js's timers for browsers' Web Workers. In
 *   Node mqtt.js always uses the global timers (its timerVariant "auto"), so `node:timers`, which has
 *   the same four functions, stands in for it;
 * - zod's 48 translations of its messages (1.4 MB): loaded by `zod`'s index for `z.locales`, which
 *   nothing here uses; the agent answers in English, zod's default, which stays (cli/lean/zod-locales.ts).
 *
 * Only a resolved module's address changes; no library file is edited, and the agent's own imports
 * are untouched.
 */
import module from "node:module";

const ZOD_LOCALES_INDEX = /\/node_modules\/zod\/v4\/locales\/index\.js$/;

type ResolveHook = (
  specifier: string,
  context: { parentURL?: string | undefined },
  nextResolve: (specifier: string, context?: unknown) => { url: string; format?: string | null | undefined },
) => { url: string; format?: string | null | undefined; shortCircuit?: boolean };

/** Installs the redirections; false (nothing done) on a Node without module.registerHooks. */
export function installLeanImports(): boolean {
  const register = (module as unknown as { registerHooks?: (hooks: { resolve: ResolveHook }) => unknown }).registerHooks;
  if (typeof register !== "function") return false;
  const zodEnglishOnly = new URL("./lean/zod-locales.js", import.meta.url).href;
  register({
    resolve(specifier, context, nextResolve) {
      if (specifier === "worker-timers" && context.parentURL?.includes("/node_modules/mqtt/") === true) {
        return { url: "node:timers", format: "builtin", shortCircuit: true };
      }
      const resolved = nextResolve(specifier, context);
      if (ZOD_LOCALES_INDEX.test(resolved.url)) return { url: zodEnglishOnly, format: "module", shortCircuit: true };
      return resolved;
    },
  });
  return true;
}
