/**
 * The help a technician reads: `roomgate <command> --help`, `roomgate help <command>` and the top
 * level's list of commands, all printed from the specs (cli/spec.ts), never written by hand.
 */
import { commandLine, optionWithValue, positionalsUsage, type CommandSpec } from "./spec.js";

/** A command of the registry (cli/commands.ts): its spec, how to run it, and its subcommands. */
export interface Command {
  readonly spec: CommandSpec;
  /** Loads the command's module only when it runs. Absent for a group such as `fleet`. */
  readonly run?: (argv: string[]) => Promise<number>;
  readonly subcommands?: readonly Command[];
}

/** The usage line's arguments: the spec's own, or required options, `[options]` and positionals. */
export function usageArgs(cmd: Command): string {
  const { spec } = cmd;
  if (spec.usage !== undefined) return spec.usage;
  const parts: string[] = [];
  if (cmd.subcommands && cmd.subcommands.length > 0 && !cmd.run) parts.push("<subcommand>");
  for (const [name, o] of Object.entries(spec.options)) if (o.required) parts.push(optionWithValue(name, o));
  if (Object.values(spec.options).some((o) => !o.required)) parts.push("[options]");
  const positionals = positionalsUsage(spec.positionals ?? []);
  if (positionals !== "") parts.push(positionals);
  return parts.join(" ");
}

function usageLine(cmd: Command): string {
  return `${commandLine(cmd.spec)} ${usageArgs(cmd)}`.trimEnd();
}

/** Help fits a gateway's 100-column console: longer text wraps under its own column. */
const LINE_WIDTH = 100;

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines;
}

/** Two columns, the left padded to its widest entry; a long left entry puts its text on the next line. */
function table(rows: readonly (readonly [string, string])[], indent = "  "): string[] {
  const width = Math.min(28, Math.max(...rows.map(([left]) => left.length)));
  const hang = `${indent}${" ".repeat(width + 2)}`;
  return rows.map(([left, right]) => {
    const text = wrap(right, Math.max(40, LINE_WIDTH - hang.length));
    const first = left.length > width ? [`${indent}${left}`, `${hang}${text[0]}`] : [`${indent}${left.padEnd(width)}  ${text[0]}`];
    return [...first, ...text.slice(1).map((t) => `${hang}${t}`)].map((l) => l.trimEnd()).join("\n");
  });
}

function optionRows(spec: CommandSpec): [string, string][] {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, o]) => {
    const left = `${o.short === undefined ? "    " : `-${o.short}, `}${optionWithValue(name, o)}${o.multiple ? " ..." : ""}`;
    const notes = [o.required ? "required" : undefined, o.multiple ? "repeatable" : undefined, o.default === undefined ? undefined : `default: ${o.default}`].filter(Boolean);
    return [left, `${o.description}${notes.length > 0 ? ` (${notes.join("; ")})` : ""}`];
  });
  rows.push(["-h, --help", "print this help"]);
  return rows;
}

/** Every runnable command under `cmd`, depth first (`broker`, `broker passwd`, `broker acl`, ...). */
export function flatten(cmd: Command): Command[] {
  return (cmd.subcommands ?? []).flatMap((sub) => [sub, ...flatten(sub)]);
}

/** The help of one command: summary, usage, arguments, options, subcommands, exit codes, examples. */
export function commandHelp(cmd: Command): string {
  const { spec } = cmd;
  const root = spec.name === "";
  const out: string[] = [`${commandLine(spec)}: ${spec.summary}`, "", `usage: ${usageLine(cmd)}`];
  if (root) out.push(`       roomgate <command> --help   (or roomgate help <command>): a command's options and examples`);
  if (spec.notes && spec.notes.length > 0) out.push("", ...spec.notes.flatMap((n) => wrap(n, LINE_WIDTH)));
  if (spec.positionals && spec.positionals.length > 0) {
    out.push("", "arguments:", ...table(spec.positionals.map((p) => [p.variadic ? `${p.name}...` : p.name, `${p.description}${p.optional ? " (optional)" : ""}`])));
  }
  const subs = root ? flatten(cmd) : (cmd.subcommands ?? []);
  if (subs.length > 0) {
    out.push("", root ? "commands:" : "subcommands:");
    out.push(...table(subs.map((s) => [root ? s.spec.name : s.spec.name.split(" ").at(-1)!, s.spec.summary])));
  }
  out.push("", "options:", ...table(optionRows(spec)));
  if (spec.exitCodes && spec.exitCodes.length > 0) {
    out.push("", "exit codes:", ...table(spec.exitCodes.map(([code, meaning]) => [String(code), meaning])));
  }
  out.push("", "examples:");
  for (const e of spec.examples) out.push(`  ${e.command}`, ...wrap(e.what, LINE_WIDTH - 6).map((w) => `      ${w}`));
  if (!root && subs.length > 0) out.push("", `${commandLine(spec)} <subcommand> --help: a subcommand's options and examples`);
  return `${out.join("\n")}\n`;
}
