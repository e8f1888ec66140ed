#!/usr/bin/env node
/**
 * `npm test`'s first step: the build (dist/, which the CLI and bench tests run) and both type-checks
 * (the whole tree with the tests, and the console), at once. Each tsc is one thread: run one after
 * another they left a core idle for about 15 s of every `npm test` on a 2-core machine.
 *
 * Plain JavaScript, not TypeScript: it runs before anything is compiled. Each tsc's output is printed
 * whole, in the order below, once it ends; the exit code is the first failure's (0 if none).
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

const steps = [
  { name: "build (tsconfig.build.json)", args: ["-p", "tsconfig.build.json"] },
  { name: "type-check (tsconfig.json, tests included)", args: ["--noEmit", "-p", "."] },
  { name: "type-check (console/tsconfig.json)", args: ["--noEmit", "-p", "console"] },
];

const results = await Promise.all(
  steps.map(
    (step) =>
      new Promise((resolve) => {
        const child = spawn(process.execPath, [tsc, ...step.args], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d) => (out += d));
        child.stderr.on("data", (d) => (out += d));
        child.on("error", (err) => resolve({ step, code: 1, out: `${out}${err.message}\n` }));
        child.on("close", (code, signal) => resolve({ step, code: code ?? (signal ? 1 : 0), out }));
      }),
  ),
);

let exit = 0;
for (const { step, code, out } of results) {
  if (out !== "") process.stdout.write(out);
  if (code !== 0) {
    process.stderr.write(`${step.name} failed (exit ${code})\n`);
    if (exit === 0) exit = code;
  }
}
process.exit(exit);
