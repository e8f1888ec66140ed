import { existsSync, readFileSync } from "node:fs";

/** The package version, read from package.json (one level up from cli/, two from dist/cli/). */
export function packageVersion(): string {
  for (const rel of ["../package.json", "../../package.json"]) {
    const url = new URL(rel, import.meta.url);
    if (!existsSync(url)) continue;
    const pkg = JSON.parse(readFileSync(url, "utf8")) as { name?: string; version?: string };
    if (pkg.name === "roomgate" && pkg.version) return pkg.version;
  }
  return "0.0.0";
}
