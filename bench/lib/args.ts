/**
 * Flag parsing for the benches: `--name value` pairs declared once with a default and a help line.
 * Bad input exits with code 2 and the usage, like the `roomgate` command.
 */
import { parseArgs } from "node:util";

export interface FlagSpec {
  /** "number" flags must be finite and >= min (default 0); "boolean" flags take no value. */
  type: "number" | "string" | "boolean";
  default: number | string | boolean;
  help: string;
  min?: number;
}

export type FlagValues<S extends Record<string, FlagSpec>> = {
  [K in keyof S]: S[K]["type"] extends "number" ? number : S[K]["type"] extends "boolean" ? boolean : string;
};

export function usage(name: string, specs: Record<string, FlagSpec>): string {
  const lines = Object.entries(specs).map(([k, s]) => {
    const flag = s.type === "boolean" ? `--${k}` : `--${k} ${s.type === "number" ? "N" : "S"}`;
    return `  ${flag.padEnd(24)} ${s.help} (default ${String(s.default)})`;
  });
  return `usage: node dist/bench/${name}.js [flags]\n${lines.join("\n")}`;
}

/** Parses argv against `specs`; prints usage and exits 2 on an unknown flag or a bad number. */
export function parseFlags<S extends Record<string, FlagSpec>>(name: string, specs: S, argv = process.argv.slice(2)): FlagValues<S> {
  const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const [k, s] of Object.entries(specs)) options[k] = { type: s.type === "boolean" ? "boolean" : "string" };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, allowPositionals: false, strict: true }).values as typeof values;
  } catch (err) {
    fail(name, specs, (err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${usage(name, specs)}\n`);
    process.exit(0);
  }
  const out: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(specs)) {
    const v = values[k];
    if (v === undefined) out[k] = s.default;
    else if (s.type === "number") {
      const n = Number(v);
      if (!Number.isFinite(n) || n < (s.min ?? 0)) fail(name, specs, `--${k}: expected a number >= ${s.min ?? 0}, got "${String(v)}"`);
      out[k] = n;
    } else out[k] = v;
  }
  return out as FlagValues<S>;
}

function fail(name: string, specs: Record<string, FlagSpec>, message: string): never {
  process.stderr.write(`${name}: ${message}\n\n${usage(name, specs)}\n`);
  process.exit(2);
}
