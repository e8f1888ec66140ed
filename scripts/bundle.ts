/**
 * `npm run bundle`: one self-contained tarball per gateway architecture (linux-x64, linux-arm64):
 *
 *   roomgate-VERSION-linux-ARCH/
 *     bin/roomgate        sh wrapper that runs the bundled Node (never the system's)
 *     node/bin/node       Node 24 LTS for ARCH (npm package node-linux-ARCH, integrity pinned)
 *     app/                dist/ (no tests, benchmarks or maps), console/, config/examples/, package.json,
 *                         node_modules/ (production dependencies only, prebuilds of ARCH only)
 *     deploy/             the systemd unit, a udev rule example
 *     install.sh          install or upgrade, keeping /etc/roomgate and /var/lib/roomgate
 *     bundle.env, BUNDLE.json, DEPLOY.md
 *
 * What it fetches, on the connected build machine only: the two Node runtime packages, with
 * `npm pack` into the cache (`--cache DIR`, default .cache/bundle; `npm run bundle:fetch` fetches
 * them alone). Everything else comes from this checkout: the production dependencies are copied from
 * node_modules/ as package-lock.json lists them (the native ones ship prebuilds for every platform,
 * so one `npm ci` serves both architectures). The gateway fetches nothing, at install or at run time.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BUNDLE_ARCHES, NATIVE_PACKAGES, NODE_RUNTIME, nativeProblems, runtimePackage, runtimeTarball, type BundleArch } from "./bundle-natives.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url)).replace(/\/dist\/$/, "/");

export interface BundleOptions {
  arch: BundleArch;
  /** Where the tarball goes. */
  outDir: string;
  /** Where the Node runtime packages are kept between builds. */
  cacheDir: string;
  /** Fetch a missing runtime package with npm (default true); tests say false: no network at test time. */
  fetch?: boolean;
  /** gzip level, 1..9 (default 6). The test uses 1: it runs beside the rest of the suite on two cores. */
  gzipLevel?: number;
  root?: string;
}

export interface BuiltBundle {
  name: string;
  tarball: string;
  /** Compressed size of the tarball, bytes. */
  bytes: number;
  /** Size of the unpacked bundle and of its parts, bytes. */
  unpacked: { total: number; runtime: number; app: number; nodeModules: number };
}

/** Bundle-build failures, each with what to do. */
export class BundleError extends Error {
  constructor(
    readonly code: "runtime_missing" | "runtime_integrity" | "natives" | "not_built",
    message: string,
  ) {
    super(message);
  }
}

/** The runtime package of `arch` in the cache, fetched with `npm pack` when absent, integrity checked. */
export function ensureRuntime(arch: BundleArch, cacheDir: string, fetch = true): string {
  const file = path.join(cacheDir, runtimeTarball(arch));
  if (!existsSync(file)) {
    if (!fetch) throw new BundleError("runtime_missing", `${file} is missing: run \`npm run bundle:fetch\` on a machine that reaches the npm registry`);
    mkdirSync(cacheDir, { recursive: true });
    execFileSync("npm", ["pack", `${runtimePackage(arch)}@${NODE_RUNTIME.version}`, "--pack-destination", cacheDir, "--silent"], { stdio: ["ignore", "ignore", "inherit"] });
  }
  const digest = `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
  if (digest !== NODE_RUNTIME.integrity[arch]) {
    throw new BundleError("runtime_integrity", `${file} does not match the pinned integrity of ${runtimePackage(arch)}@${NODE_RUNTIME.version}: delete it and fetch again`);
  }
  return file;
}

/** Production packages (not dev) of package-lock.json, as paths like node_modules/a/node_modules/b. */
function productionPackages(root: string): string[] {
  const lock = JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; link?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([key, p]) => key.startsWith("node_modules/") && p.dev !== true && p.link !== true)
    .map(([key]) => key)
    .sort();
}

/** Files a running gateway never reads: docs, type declarations, maps, sources of the native code. */
const DROP_FILE = /(\.md|\.markdown|\.d\.[cm]?ts|\.map|\.ts|\.gypi?|\.cc|\.cpp|\.h)$/i;
const DROP_DIR = new Set([".github", "test", "tests", "__tests__", "example", "examples", "docs", "benchmark", "benchmarks", ".bin"]);
/** The native packages' C++ sources (node-gyp-build loads from prebuilds/ only); their JavaScript is in no `src/` or `deps/`. */
const NATIVE_SOURCE_DIRS = new Set(["src", "deps"]);
const NATIVE_SET = new Set<string>(NATIVE_PACKAGES);

function copyProductionModules(root: string, dest: string, arch: BundleArch): void {
  for (const key of productionPackages(root)) {
    const from = path.join(root, key);
    if (!existsSync(from)) continue; // an optional dependency npm skipped on this machine
    const pkgName = key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    const native = NATIVE_SET.has(pkgName);
    cpSync(from, path.join(dest, key), {
      recursive: true,
      filter: (src) => {
        const rel = path.relative(from, src);
        if (rel === "") return true;
        const parts = rel.split(path.sep);
        // Nested packages are copied from their own lock entries (a nested dev-only one is never copied).
        if (parts[0] === "node_modules") return false;
        if (parts.length >= 2 && parts[0] === "prebuilds" && parts[1] !== `linux-${arch}`) return false;
        const base = parts.at(-1)!;
        const isDir = statSync(src).isDirectory();
        if (isDir) return !DROP_DIR.has(base) && !(native && NATIVE_SOURCE_DIRS.has(base));
        return !DROP_FILE.test(base);
      },
    });
  }
}

function copyApp(root: string, app: string): void {
  if (!existsSync(path.join(root, "dist/cli/main.js"))) throw new BundleError("not_built", "dist/ is missing: run `npm run build` first");
  for (const part of ["agent", "broker", "cli", "config", "drivers", "simulators"]) {
    cpSync(path.join(root, "dist", part), path.join(app, "dist", part), {
      recursive: true,
      filter: (src) => !/\.(test|prop\.test)\.js$|\.map$/.test(src),
    });
  }
  for (const f of ["console/index.html", "console/console.css", "console/dist/console.js", "console/dist/console.js.LEGAL.txt"]) {
    cpSync(path.join(root, f), path.join(app, f));
  }
  cpSync(path.join(root, "config/examples"), path.join(app, "config/examples"), { recursive: true });
  // Secrets readable by their owner and group only, as on a gateway (roomgate doctor checks it).
  const secrets = path.join(app, "config/examples/secrets");
  for (const f of readdirSync(secrets)) chmodSync(path.join(secrets, f), 0o640);
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as Record<string, unknown>;
  const { name, version, description, type, license, engines, bin, dependencies } = pkg;
  writeFileSync(path.join(app, "package.json"), `${JSON.stringify({ name, version, description, type, private: true, license, engines, bin, dependencies }, null, 2)}\n`);
}

function duBytes(p: string): number {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((n, e) => n + duBytes(path.join(p, e)), 0);
}

/** Builds the bundle of one architecture (see the header). */
export function buildBundle(opts: BundleOptions): BuiltBundle {
  const root = opts.root ?? ROOT;
  const version = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
  const name = `roomgate-${version}-linux-${opts.arch}`;
  const runtime = ensureRuntime(opts.arch, opts.cacheDir, opts.fetch ?? true);
  mkdirSync(opts.outDir, { recursive: true });
  const staging = mkdtempSync(path.join(opts.outDir, ".staging-"));
  try {
    const dir = path.join(staging, name);
    const app = path.join(dir, "app");
    copyApp(root, app);
    copyProductionModules(root, app, opts.arch);
    mkdirSync(path.join(dir, "node"), { recursive: true });
    execFileSync("tar", ["-xzf", runtime, "-C", path.join(dir, "node"), "--strip-components=1", "package/bin/node", "package/LICENSE"]);
    const deploy = path.join(root, "deploy");
    mkdirSync(path.join(dir, "bin"));
    cpSync(path.join(deploy, "roomgate"), path.join(dir, "bin/roomgate"));
    cpSync(path.join(deploy, "install.sh"), path.join(dir, "install.sh"));
    for (const f of ["roomgate-agent.service", "99-roomgate-serial.rules.example"]) cpSync(path.join(deploy, f), path.join(dir, "deploy", f));
    cpSync(path.join(root, "docs/deploy.md"), path.join(dir, "DEPLOY.md"));
    writeFileSync(path.join(dir, "bundle.env"), `NAME=${name}\nVERSION=${version}\nARCH=${opts.arch}\nNODE_VERSION=${NODE_RUNTIME.version}\n`);
    const problems = nativeProblems(dir, opts.arch);
    if (problems.length > 0) throw new BundleError("natives", `${name}: ${problems.join("; ")}`);
    const unpacked = {
      total: 0,
      runtime: duBytes(path.join(dir, "node")),
      app: duBytes(app),
      nodeModules: duBytes(path.join(app, "node_modules")),
    };
    writeFileSync(path.join(dir, "BUNDLE.json"), `${JSON.stringify({ name, version, arch: opts.arch, node: NODE_RUNTIME.version, natives: NATIVE_PACKAGES }, null, 2)}\n`);
    unpacked.total = duBytes(dir);
    const tarball = path.join(opts.outDir, `${name}.tar.gz`);
    // Owner root and fixed modes: what the gateway's root unpacks is what was tested.
    execFileSync("tar", ["-C", staging, "--owner=0", "--group=0", "--numeric-owner", "-I", `gzip -${opts.gzipLevel ?? 6}`, "-cf", tarball, name]);
    return { name, tarball, bytes: statSync(tarball).size, unpacked };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({
    options: { arch: { type: "string" }, out: { type: "string" }, cache: { type: "string" }, "fetch-only": { type: "boolean" } },
  });
  const arches = (values.arch?.split(",") ?? BUNDLE_ARCHES) as BundleArch[];
  for (const a of arches) if (!BUNDLE_ARCHES.includes(a)) throw new Error(`--arch: expected x64 and/or arm64, got "${a}"`);
  const cacheDir = path.resolve(values.cache ?? process.env.ROOMGATE_BUNDLE_CACHE ?? path.join(ROOT, ".cache/bundle"));
  if (values["fetch-only"]) {
    for (const a of arches) process.stdout.write(`${ensureRuntime(a, cacheDir)}\n`);
  } else {
    const outDir = path.resolve(values.out ?? path.join(ROOT, "bundle"));
    for (const arch of arches) {
      const t0 = Date.now();
      const b = buildBundle({ arch, outDir, cacheDir });
      process.stdout.write(
        `${b.tarball}: ${mib(b.bytes)} (unpacked ${mib(b.unpacked.total)}: Node runtime ${mib(b.unpacked.runtime)}, ` +
          `app ${mib(b.unpacked.app)} of which node_modules ${mib(b.unpacked.nodeModules)}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
      );
    }
  }
}
