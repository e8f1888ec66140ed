/**
 * What a `roomgate` command accepts, written once: the same spec parses its arguments
 * (`parseCommand`) and prints its help (cli/help.ts), so the two cannot drift apart.
 * This module and the spec files (cli/specs/) import nothing heavy: printing help loads no driver,
 * no broker and no MQTT client.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./args.js";

/** One option, `--name`. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** One letter: `-x` means the same as `--name`. */
  readonly short?: string;
  /** May be given more than once; the command gets every value, in order. */
  readonly multiple?: boolean;
  /** What the value looks like in help and errors (FILE, MS, URL). String options only. */
  readonly value?: string;
  /** One line: what it does. */
  readonly description: string;
  /** What applies when the option is not given, as help shows it. Documentation only: it sets nothing. */
  readonly default?: string;
  /** The command refuses to run without it (help shows it in the usage line). */
  readonly required?: boolean;
}

export type Options = Readonly<Record<string, OptionSpec>>;

/** One positional argument, in order. Only the last may be `variadic`; optional ones come last. */
export interface PositionalSpec {
  readonly name: string;
  readonly description: string;
  readonly optional?: boolean;
  readonly variadic?: boolean;
}

export interface Example {
  /** The whole command line, starting with `roomgate`. */
  readonly command: string;
  /** What it does, in one line. */
  readonly what: string;
}

/**
 * A command or subcommand. `name` is its path without `roomgate` ("fleet check"; "" is the top
 * level). Every command has at least one example; `exitCodes` only where it has codes of its own
 * beyond 0 ok, 1 runtime failure, 2 bad usage.
 */
export interface CommandSpec<O extends Options = Options> {
  readonly name: string;
  readonly summary: string;
  /** The usage line after `roomgate <name> `; generated from the positionals and required options when absent. */
  readonly usage?: string;
  /** Lines printed after the usage line: what a user must know that no single option says. */
  readonly notes?: readonly string[];
  readonly positionals?: readonly PositionalSpec[];
  readonly options: O;
  readonly exitCodes?: readonly (readonly [code: number, meaning: string])[];
  readonly examples: readonly [Example, ...Example[]];
}

/** A spec whose option types stay literal, so `parseCommand` can type the values. */
export function defineCommand<const O extends Options>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

type Value<O extends OptionSpec> = O extends { type: "boolean" }
  ? O extends { multiple: true } ? boolean[] : boolean
  : O extends { multiple: true } ? string[] : string;

/** The parsed options: required ones always present, the others possibly undefined. */
export type Values<O extends Options> = {
  -readonly [K in keyof O as O[K] extends { required: true } ? K : never]: Value<O[K]>;
} & {
  -readonly [K in keyof O as O[K] extends { required: true } ? never : K]?: Value<O[K]>;
};

/** `roomgate fleet check`, `roomgate` for the top level. */
export function commandLine(spec: Pick<CommandSpec, "name">): string {
  return spec.name === "" ? "roomgate" : `roomgate ${spec.name}`;
}

/** `--config FILE`, `--json`. */
export function optionWithValue(name: string, opt: OptionSpec): string {
  return opt.type === "string" ? `--${name} ${opt.value ?? "VALUE"}` : `--${name}`;
}

/** True when the arguments ask for help: `--help` or `-h` anywhere before a `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === "--") return false;
    if (arg === "--help" || arg === "-h") return true;
  }
  return false;
}

/** The node:util parseArgs options of a spec (only what parseArgs reads: no defaults are applied). */
export function parseArgsOptions(options: Options): Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> {
  const out: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(options)) {
    out[name] = { type: o.type, ...(o.short === undefined ? {} : { short: o.short }), ...(o.multiple ? { multiple: true } : {}) };
  }
  return out;
}

/**
 * Parses a command's arguments (after its name) against its spec. Throws a UsageError that says
 * what is wrong and what the command does take: an unknown option (with the options it knows), an
 * option without its value, a value for a flag, a missing required option, too few or too many
 * positional arguments. The message has no command prefix: the CLI adds `roomgate <name>: ` and
 * the pointer to `--help`.
 */
export function parseCommand<O extends Options>(spec: CommandSpec<O>, argv: string[]): { values: Values<O>; positionals: string[] } {
  const options = parseArgsOptions(spec.options);
  // Tokens first, not strict: the errors below name the option and what it expects, which
  // parseArgs' own strict messages do not do in a technician's words.
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    const opt = Object.hasOwn(spec.options, t.name) ? spec.options[t.name] : undefined;
    if (opt === undefined) throw new UsageError(unknownOption(spec, t.rawName));
    const shown = optionWithValue(t.name, opt); // `--config FILE`: what the value should be
    if (opt.type === "boolean" && t.value !== undefined) throw new UsageError(`${t.rawName} takes no value, got "${t.value}"`);
    if (opt.type === "string" && t.value === undefined) throw new UsageError(`${t.rawName} needs a value: ${shown}`);
    if (opt.type === "string" && !t.inlineValue && t.value !== undefined && t.value.startsWith("-")) {
      throw new UsageError(`${t.rawName} needs a value: ${shown}, got the option "${t.value}"; write ${t.rawName}=${t.value} if that is the value`);
    }
  }
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message); // not reached for what the tokens above check
  }
  const values = parsed.values as Record<string, unknown>;
  const missing = Object.entries(spec.options).filter(([name, o]) => o.required && values[name] === undefined);
  if (missing.length > 0) throw new UsageError(`needs ${missing.map(([name, o]) => optionWithValue(name, o)).join(" and ")}`);
  checkPositionals(spec, parsed.positionals);
  return { values: parsed.values as Values<O>, positionals: parsed.positionals };
}

function checkPositionals(spec: CommandSpec, got: string[]): void {
  const declared = spec.positionals ?? [];
  const min = declared.filter((p) => !p.optional).length;
  const max = declared.some((p) => p.variadic) ? Infinity : declared.length;
  if (got.length >= min && got.length <= max) return;
  const quoted = got.map((g) => `"${g}"`).join(" ");
  if (max === 0) throw new UsageError(`takes no arguments, got ${quoted}`);
  const expected = positionalsUsage(declared);
  if (got.length < min) {
    const missing = declared.slice(got.length).filter((p) => !p.optional).map((p) => p.name).join(" ");
    throw new UsageError(got.length === 0 ? `missing ${missing}` : `missing ${missing} (expected ${expected}, got ${quoted})`);
  }
  throw new UsageError(`too many arguments: expected ${expected}, got ${quoted}`);
}

/** `SITE DEVICE ACTION`, `[SITE]`, `[COMMAND...]`. */
export function positionalsUsage(declared: readonly PositionalSpec[]): string {
  return declared.map((p) => {
    const name = p.variadic ? `${p.name}...` : p.name;
    return p.optional ? `[${name}]` : name;
  }).join(" ");
}

function unknownOption(spec: CommandSpec, raw: string): string {
  const names = Object.keys(spec.options);
  const who = spec.name === "" ? "roomgate" : spec.name;
  const near = raw.startsWith("--") ? closest(raw.slice(2), names) : undefined;
  const hint = near === undefined ? "" : ` (did you mean --${near}?)`;
  if (names.length === 0) return `unknown option '${raw}'${hint}. ${who} takes no options`;
  return `unknown option '${raw}'${hint}. ${who} takes: ${names.map((n) => `--${n}`).join(", ")}`;
}

/** The known name within two edits of a mistyped one (`--dedline`), if exactly one is closest. */
function closest(typed: string, names: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const d = editDistance(typed, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
    else if (d === bestDistance) best = undefined;
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
