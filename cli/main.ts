#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 node
/**
 * The `roomgate` command. The commands and their options are in cli/commands.ts and cli/specs/;
 * `roomgate <command> --help` prints one's. Subcommands load their modules lazily, so `roomgate ctl`
 * never loads serialport, the agent never loads aedes, and help loads neither.
 *
 * Exit codes: 0 ok, 1 runtime failure, 2 bad usage or an invalid config file (cli/dispatch.ts).
 */
import { readFileSync } from "node:fs";
import v8 from "node:v8";
import { runCli } from "./dispatch.js";
import { installLeanImports } from "./lean-imports.js";
import { siteNeedsWebAssembly } from "./node-flags.js";

const argv = process.argv.slice(2);

/**
 * Started without the gateway flags (cli/node-flags.ts), e.g. `node dist/cli/main.js agent`: on Node 20
 * lite mode can still be switched on before any heavy module loads (Node 24 ignores it this late).
 * ROOMGATE_V8_LITE=0 leaves V8 as it is.
 */
function tuneForGateway(command: string | undefined): void {
  if (command !== "agent") return;
  // Before the agent's modules load (runCli imports them): cli/lean-imports.ts.
  installLeanImports();
  if (process.env.ROOMGATE_V8_LITE === "0") return;
  if (process.execArgv.includes("--lite-mode")) return;
  if (siteNeedsWebAssembly(siteText())) return;
  v8.setFlagsFromString("--lite-mode");
}

/** The agent's site file as text (--config, else ROOMGATE_CONFIG), or "" when there is none to read yet. */
function siteText(): string {
  const at = argv.indexOf("--config");
  const file = at >= 0 ? argv[at + 1] : argv.find((a) => a.startsWith("--config="))?.slice("--config=".length) ?? process.env.ROOMGATE_CONFIG;
  if (file === undefined) return "";
  try {
    return readFileSync(file, "utf8");
  } catch {
    return ""; // the agent reports an unreadable file itself
  }
}

tuneForGateway(argv[0]);
// Long-running commands resolve only when they are stopped; short ones exit with their code.
void runCli(argv).then((code) => {
  process.exitCode = code;
});
