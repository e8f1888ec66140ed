import { describe, expect, it } from "vitest";
import { UsageError } from "./args.js";
import { defineCommand, parseCommand, wantsHelp } from "./spec.js";

const spec = defineCommand({
  name: "probe",
  summary: "a command for the parser's tests",
  positionals: [
    { name: "SITE", description: "a site" },
    { name: "DEVICE", description: "a device", optional: true },
  ],
  options: {
    config: { type: "string", value: "FILE", description: "a file", required: true },
    json: { type: "boolean", short: "j", description: "JSON" },
    arg: { type: "string", multiple: true, value: "k=v", description: "repeatable" },
    deadline: { type: "string", value: "MS", description: "a deadline" },
  },
  examples: [{ command: "roomgate probe --config f s1", what: "probe s1" }],
});

function usageError(argv: string[]): string {
  try {
    parseCommand(spec, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error(`parsed: ${argv.join(" ")}`);
}

describe("parseCommand", () => {
  it("returns the options of the spec, short aliases and repeated values included", () => {
    const { values, positionals } = parseCommand(spec, ["s1", "--config", "site.yaml", "-j", "--arg", "a=1", "--arg=b=2", "cam"]);
    expect(values).toEqual({ config: "site.yaml", json: true, arg: ["a=1", "b=2"] });
    expect(positionals).toEqual(["s1", "cam"]);
  });

  it("names an unknown option and every option the command takes, suggesting a near one", () => {
    expect(usageError(["s1", "--config", "f", "--frobnicate"])).toBe("unknown option '--frobnicate'. probe takes: --config, --json, --arg, --deadline");
    expect(usageError(["s1", "--config", "f", "--dedline", "5"])).toContain("unknown option '--dedline' (did you mean --deadline?)");
    expect(usageError(["s1", "-x"])).toContain("unknown option '-x'");
  });

  it("says which option lacks its value, and what the value is", () => {
    expect(usageError(["s1", "--config"])).toBe("--config needs a value: --config FILE");
    expect(usageError(["s1", "--config", "--json"])).toContain('--config needs a value: --config FILE, got the option "--json"');
    expect(usageError(["s1", "--config", "f", "--json=yes"])).toBe('--json takes no value, got "yes"');
  });

  it("names a missing required option and a wrong number of arguments", () => {
    expect(usageError(["s1"])).toBe("needs --config FILE");
    expect(usageError(["--config", "f"])).toBe("missing SITE");
    expect(usageError(["--config", "f", "s1", "cam", "extra"])).toBe('too many arguments: expected SITE [DEVICE], got "s1" "cam" "extra"');
  });
});

describe("wantsHelp", () => {
  it("finds --help or -h anywhere before --, not after it", () => {
    expect(wantsHelp(["--fix", "--help"])).toBe(true);
    expect(wantsHelp(["s1", "-h", "--json"])).toBe(true);
    expect(wantsHelp(["--", "--help"])).toBe(false);
    expect(wantsHelp(["--arg=--help"])).toBe(false);
  });
});
