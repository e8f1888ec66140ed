/**
 * Finds the command in the arguments, answers `--help` anywhere in them (before `--`) from the
 * command's spec without running it, runs it otherwise, and turns what it throws into a message and
 * an exit code: 0 ok, 1 runtime failure, 2 bad usage or an invalid config file (a command may
 * return codes of its own, documented in its spec).
 */
import { UsageError } from "./args.js";
import { commandHelp, type Command } from "./help.js";
import { commandLine, parseCommand, wantsHelp } from "./spec.js";
import { helpSpec, ROOT } from "./commands.js";

/** Where help and errors go (process.stdout and process.stderr, or a test's buffers). */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * The command that `path` names (`["fleet", "check"]`) and the arguments after it. A word that is
 * not a subcommand of a group stops the walk there: `unknown` is that word.
 */
export function resolveCommand(path: readonly string[]): { command: Command; rest: string[]; unknown?: string } {
  let command = ROOT;
  let rest = [...path];
  for (;;) {
    const word = rest[0];
    const subs = command.subcommands ?? [];
    if (word === undefined || word.startsWith("-") || subs.length === 0) return { command, rest };
    const sub = subs.find((s) => leafName(s) === word);
    if (sub === undefined) return { command, rest, unknown: word };
    command = sub;
    rest = rest.slice(1);
  }
}

function leafName(command: Command): string {
  return command.spec.name.split(" ").at(-1)!;
}

function unknownCommand(command: Command, word: string): UsageError {
  if (command === ROOT) return new UsageError(`unknown command "${word}"`);
  return new UsageError(`unknown subcommand "${word}"; ${command.spec.name} has: ${(command.subcommands ?? []).map(leafName).join(", ")}`);
}

/** Runs `roomgate ...argv`; resolves with the exit code (long-running commands: once they stop). */
export async function runCli(argv: string[], io: CliIo = process): Promise<number> {
  let command: Command = ROOT;
  try {
    const found = resolveCommand(argv);
    command = found.command;
    const rest = found.rest;
    // `roomgate fleet chek --help` is still a mistyped subcommand: say so rather than print fleet's help.
    if (found.unknown !== undefined) throw unknownCommand(command, found.unknown);
    if (wantsHelp(rest)) {
      io.stdout.write(commandHelp(command));
      return 0;
    }
    if (command.spec === helpSpec) {
      const { positionals } = parseCommand(helpSpec, rest);
      const target = resolveCommand(positionals);
      if (target.unknown !== undefined) throw unknownCommand(target.command, target.unknown);
      io.stdout.write(commandHelp(target.command));
      return 0;
    }
    if (command === ROOT) return await runRoot(rest, io);
    if (command.run === undefined) {
      throw new UsageError(`expected a subcommand: ${(command.subcommands ?? []).map(leafName).join(", ")}`);
    }
    return await command.run(rest);
  } catch (err) {
    return report(err, command, io);
  }
}

async function runRoot(rest: string[], io: CliIo): Promise<number> {
  if (rest.length === 0) {
    // No command at all: the list of commands, as bad usage (exit 2), on stdout as always.
    io.stdout.write(commandHelp(ROOT));
    return 2;
  }
  const { values } = parseCommand(ROOT.spec, rest);
  if (values.version) {
    const { packageVersion } = await import("./version.js");
    io.stdout.write(`roomgate ${packageVersion()} (node ${process.version}, ${process.platform}-${process.arch})\n`);
  }
  return 0;
}

function report(err: unknown, command: Command, io: CliIo): number {
  if (err instanceof UsageError) {
    if (command === ROOT) {
      // An unknown command: the list of commands there are.
      io.stderr.write(`roomgate: ${err.message}\n\n${commandHelp(ROOT)}`);
    } else {
      const name = commandLine(command.spec);
      io.stderr.write(`${name}: ${err.message} (${name} --help)\n`);
    }
    return 2;
  }
  if ((err as { code?: unknown }).code === "bad_config") {
    io.stderr.write(`roomgate: invalid config\n${(err as Error).message}\n`);
    return 2;
  }
  if (err instanceof Error && typeof (err as Error & { code?: unknown }).code === "string") {
    // A coded error is an expected failure (broker unreachable, login refused): its message says it all.
    io.stderr.write(`roomgate: ${err.message} [${String((err as Error & { code: string }).code)}]\n`);
    return 1;
  }
  io.stderr.write(`roomgate: ${(err as Error).stack ?? String(err)}\n`);
  return 1;
}
