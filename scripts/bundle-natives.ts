/**
 * What a gateway bundle must carry to run on its architecture with nothing fetched: the Node runtime
 * (an npm package per architecture) and the prebuilt native bindings of the production dependencies.
 * The bundle build and its test both judge binaries by their ELF header, not by file names.
 */
import { closeSync, openSync, readSync, readdirSync } from "node:fs";
import path from "node:path";

export type BundleArch = "x64" | "arm64";
export const BUNDLE_ARCHES: readonly BundleArch[] = ["x64", "arm64"];

/**
 * The Node runtime in the bundle: Node 24 LTS, as the npm registry's `node-linux-{arch}` packages
 * (the official binaries, repackaged). Pinned with the registry's integrity, checked at every build.
 */
export const NODE_RUNTIME = {
  version: "24.22.3",
  integrity: {
    x64: "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==",
    arm64: "sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==",
  } satisfies Record<BundleArch, string>,
} as const;

export const runtimePackage = (arch: BundleArch) => `node-linux-${arch}`;
export const runtimeTarball = (arch: BundleArch) => `${runtimePackage(arch)}-${NODE_RUNTIME.version}.tgz`;

/** The production dependencies with native code; each loads `prebuilds/linux-{arch}/*.node` through node-gyp-build. */
export const NATIVE_PACKAGES = ["@serialport/bindings-cpp", "classic-level"] as const;

/**
 * Production dependencies whose binding comes as one npm package per platform (`NAME-linux-ARCH`,
 * optional dependencies: npm installs only this machine's). A bundle carries its architecture's
 * package and no other: from node_modules when npm installed it here, else from the cache, where
 * `npm run bundle:fetch` puts it (`npm pack`), checked against the integrity package-lock.json pins.
 */
export const PLATFORM_PACKAGES = [{ name: "@lydell/node-pty", binding: "pty.node" }] as const;

/** The per-platform package of `name` for a linux gateway of `arch`. */
export const platformPackage = (name: string, arch: BundleArch) => `${name}-linux-${arch}`;

/** The file `npm pack` writes for `pkg@version`: the scope without "@", its "/" as "-". */
export const packTarball = (pkg: string, version: string) => `${pkg.replace(/^@/, "").replace("/", "-")}-${version}.tgz`;

/** ELF e_machine of each architecture. */
const ELF_MACHINE: Record<number, BundleArch | "other"> = { 0x3e: "x64", 0xb7: "arm64" };

/** The architecture an ELF file is built for; undefined when the file is not ELF. */
export function elfArch(file: string): BundleArch | "other" | undefined {
  const fd = openSync(file, "r");
  const head = Buffer.alloc(20);
  try {
    readSync(fd, head, 0, 20, 0);
  } finally {
    closeSync(fd);
  }
  if (head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  // e_machine sits at byte 18, in the byte order given by EI_DATA (1 little, 2 big).
  const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
  return ELF_MACHINE[machine] ?? "other";
}

/** Every `.node` binding under a node_modules tree, relative to it. */
export function nativeBindings(nodeModules: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(".node")) out.push(path.relative(nodeModules, p));
    }
  };
  walk(nodeModules);
  return out.sort();
}

/**
 * The problems of an unpacked bundle for `arch`: a runtime or binding missing or built for another
 * machine. Empty when the bundle can run there.
 */
export function nativeProblems(bundleDir: string, arch: BundleArch): string[] {
  const problems: string[] = [];
  const runtime = path.join(bundleDir, "node/bin/node");
  const rt = safeElfArch(runtime);
  if (rt !== arch) problems.push(`node/bin/node: expected a linux-${arch} ELF executable, found ${rt ?? "no ELF file"}`);
  const nm = path.join(bundleDir, "app/node_modules");
  const bindings = nativeBindings(nm);
  for (const pkg of NATIVE_PACKAGES) {
    if (!bindings.some((b) => b.startsWith(`${pkg}/prebuilds/linux-${arch}/`))) problems.push(`${pkg}: no prebuilds/linux-${arch}/*.node`);
  }
  for (const { name, binding } of PLATFORM_PACKAGES) {
    const own = `${platformPackage(name, arch)}/${binding}`;
    if (!bindings.includes(own)) problems.push(`${name}: no ${own}`);
    for (const b of bindings) if (b.startsWith(`${name}-`) && b !== own) problems.push(`node_modules/${b}: another platform's package of ${name}`);
  }
  for (const b of bindings) {
    const a = safeElfArch(path.join(nm, b));
    if (a !== arch) problems.push(`node_modules/${b}: built for ${a ?? "no ELF"}, not ${arch}`);
  }
  return problems;
}

function safeElfArch(file: string): BundleArch | "other" | undefined {
  try {
    return elfArch(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
