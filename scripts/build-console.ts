/**
 * Bundles the operator console (console/src/main.ts, lit-html and mqtt.js's browser build) into
 * console/dist/console.js with esbuild. The bundle is committed: the broker serves it as is, on a
 * gateway with no build tools and no Internet, and test/console-bundle.test.ts fails when it no
 * longer matches the sources (`npm run build:console` refreshes it). The licences of the bundled
 * code go to console/dist/console.js.LEGAL.txt (not served: it names web addresses).
 *
 * `bundleConsole()` is pure (file name -> content); run as a program it writes the files.
 */
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/dist\/$/, "/");

export async function bundleConsole(root = ROOT): Promise<Record<string, string>> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: ["console/src/main.ts"],
    outfile: "console/dist/console.js",
    bundle: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    minify: true,
    legalComments: "external",
    charset: "utf8",
    write: false,
    logLevel: "silent",
  });
  const files: Record<string, string> = {};
  for (const f of result.outputFiles) files[basename(f.path)] = f.text;
  return files;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = await bundleConsole();
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(`${ROOT}console/dist/${name}`, text);
    process.stderr.write(`wrote console/dist/${name} (${Buffer.byteLength(text)} bytes)\n`);
  }
}
