/**
 * Every command of the registry explains itself, and its help and its parser come from one spec:
 * run in-process through the same dispatcher as the `roomgate` binary.
 */
import { describe, expect, it } from "vitest";
import { ROOT } from "./commands.js";
import { runCli } from "./dispatch.js";
import { commandHelp, flatten, type Command } from "./help.js";
import { commandLine, optionWithValue } from "./spec.js";

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { stdout: { write: (t: string) => (stdout += t) }, stderr: { write: (t: string) => (stderr += t) } });
  return { code, stdout, stderr };
}

const path = (c: Command) => (c.spec.name === "" ? [] : c.spec.name.split(" "));
const all = [ROOT, ...flatten(ROOT)];
const runnable = flatten(ROOT).filter((c) => c.run !== undefined);

describe("every command's help", () => {
  it("covers the commands a technician can type", () => {
    expect(all.map((c) => c.spec.name)).toEqual([
      "", "demo", "broker", "broker passwd", "broker acl", "centre", "history", "history audit", "history alarms", "history health",
      "history quarantine", "history verify", "report", "report availability", "reflector", "agent", "sim", "ctl", "watch", "check",
      "fleet", "fleet check", "discover", "doctor", "config", "config validate", "config schema", "help",
    ]);
  });

  for (const cmd of all) {
    const name = commandLine(cmd.spec);
    it(`${name} --help and -h print usage, every option and an example, and exit 0`, async () => {
      for (const flag of ["--help", "-h"]) {
        const r = await run([...path(cmd), flag]);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stderr).toBe("");
        expect(r.stdout).toContain(`usage: ${name}`);
        expect(r.stdout).toContain("examples:");
        expect(r.stdout).toContain(cmd.spec.examples[0].command);
        for (const [opt, o] of Object.entries(cmd.spec.options)) expect(r.stdout).toContain(optionWithValue(opt, o));
        for (const sub of cmd.subcommands ?? []) expect(r.stdout).toContain(sub.spec.summary);
      }
      // The same help from `roomgate help ...`.
      const viaHelp = await run(["help", ...path(cmd)]);
      expect(viaHelp.code).toBe(0);
      expect(viaHelp.stdout).toBe(commandHelp(cmd));
    });
  }

  it("leaves --help and -h to help, and only names options in a usage line that the command takes", () => {
    for (const cmd of all) {
      expect(Object.keys(cmd.spec.options), cmd.spec.name).not.toContain("help");
      expect(Object.values(cmd.spec.options).map((o) => o.short), cmd.spec.name).not.toContain("h");
      for (const flag of (cmd.spec.usage ?? "").match(/--[a-z-]+/g) ?? []) expect(Object.keys(cmd.spec.options), cmd.spec.name).toContain(flag.slice(2));
    }
  });
});

describe("every command parses with its spec", () => {
  // Each spec option goes in front of an option no command has: the command's own parser must take
  // the first and stop at the second, before it reads a file or opens a socket. An option the spec
  // shows but the parser refused, or a parser other than the spec's, fails here.
  for (const cmd of runnable) {
    const name = commandLine(cmd.spec);
    it(`${name} accepts every option its help shows, and names them all for an unknown one`, async () => {
      const known = Object.keys(cmd.spec.options);
      for (const [opt, o] of Object.entries(cmd.spec.options)) {
        const r = await run([...path(cmd), ...(o.type === "string" ? [`--${opt}`, "x"] : [`--${opt}`]), "--zz-not-an-option"]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`${name}: unknown option '--zz-not-an-option'`);
      }
      const r = await run([...path(cmd), "--zz-not-an-option"]);
      const takes = /takes: (.*) \(roomgate/.exec(r.stderr)?.[1]?.split(", ") ?? [];
      expect(takes).toEqual(known.map((k) => `--${k}`));
      expect(r.stderr).toContain(`(${name} --help)`);
    });
  }
});

describe("roomgate without a command, or with a wrong one", () => {
  it("lists every command, and exits 2 when none was given", async () => {
    const r = await run([]);
    expect(r.code).toBe(2);
    for (const cmd of flatten(ROOT)) expect(r.stdout).toContain(`  ${cmd.spec.name} `);
  });

  it("names a mistyped subcommand and the ones there are", async () => {
    const r = await run(["fleet", "chek"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('roomgate fleet: unknown subcommand "chek"; fleet has: check (roomgate fleet --help)\n');
    const g = await run(["config"]);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain("roomgate config: expected a subcommand: validate, schema");
  });
});
