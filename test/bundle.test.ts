/**
 * The gateway bundles, as a technician gets them: built from this checkout and the cached Node
 * runtime packages and node-pty binding package for the other architecture (`npm run bundle:fetch`
 * puts them there; .ci/run does it at install time, so this test needs no network), unpacked, and
 * run with no Node (and no socat) on PATH: `roomgate --version`, `config validate`, the demo, and
 * `doctor` against it. The arm64 bundle cannot run here: its binaries are
 * judged by their ELF headers. Installing twice into a DESTDIR shows an upgrade keeps config and state.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync, cpSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { stringify } from "yaml";
import { buildBundle, type BuiltBundle } from "../scripts/bundle.js";
import { NATIVE_PACKAGES, NODE_RUNTIME, PLATFORM_PACKAGES, elfArch, nativeBindings, nativeProblems, platformPackage } from "../scripts/bundle-natives.js";
import { relocatedSite } from "./helpers/demo-site.js";
import { Watcher } from "./helpers/mqtt.js";
import { freePort } from "./helpers/net.js";
import { startDemoProcess } from "./helpers/demo-process.js";
import { seedCentreRecord } from "./helpers/pglite-template.js";
import { describeWith, toolPath } from "./helpers/tools.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
const version = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
const MiB = 1024 * 1024;

// .ci/run fetches the runtimes at install time (npm run bundle:fetch, or $ROOMGATE_BUNDLE_CACHE).
describeWith("bundle-runtimes")("gateway bundles", () => {
  const work = mkdtempSync(path.join(tmpdir(), "roomgate-bundle-"));
  const built: Partial<Record<"x64" | "arm64", BuiltBundle & { dir: string; seconds: number }>> = {};
  /** A PATH with only what the bundle's wrapper needs from the system (sh, readlink): no node, no socat. */
  const bin = path.join(work, "path");
  const env = { PATH: bin, HOME: work, LANG: "C" };

  beforeAll(() => {
    mkdirSync(bin);
    for (const tool of ["sh", "readlink"]) {
      const where = ["/usr/bin", "/bin"].map((d) => path.join(d, tool)).find((p) => existsSync(p));
      if (where) symlinkSync(where, path.join(bin, tool));
    }
    const cacheDir = toolPath("bundle-runtimes");
    for (const arch of ["x64", "arm64"] as const) {
      const t0 = Date.now();
      // The x64 bundle runs below as a technician unpacks it. The arm64 one cannot run here, so it is
      // not packed at all (gzip is seconds of CPU, and the packing is the x64 one's code): its files
      // are read where they were staged.
      const b = buildBundle({ arch, outDir: path.join(work, "out"), cacheDir, fetch: false, gzipLevel: 1, pack: arch === "x64" });
      let dir = b.staged;
      if (dir === undefined) {
        const unpacked = path.join(work, arch);
        mkdirSync(unpacked);
        execFileSync("tar", ["-xzf", b.tarball!, "-C", unpacked]);
        dir = path.join(unpacked, b.name);
      }
      built[arch] = { ...b, dir, seconds: (Date.now() - t0) / 1000 };
      const packed = b.bytes === undefined ? "staged only" : `${(b.bytes / MiB).toFixed(1)} MiB`;
      process.stderr.write(`${b.name}.tar.gz: ${packed}, unpacked ${(b.unpacked.total / MiB).toFixed(1)} MiB, built${b.staged === undefined ? " and unpacked" : ""} in ${built[arch]!.seconds.toFixed(1)} s\n`);
    }
  }, 120_000);

  // Two unpacked bundles, a DESTDIR install and an upgrade's copy: some 600 MB, which took over the
  // default 20 s to delete on the busy 2-core machine.
  afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

  it("has no node on the PATH the bundle is run with", async () => {
    // `command -v` fails (dash: 127) and prints nothing when there is no node to find.
    await expect(run("sh", ["-c", "command -v node"], { env })).rejects.toMatchObject({ stdout: "" });
  });

  it("builds small, self-contained bundles for linux-x64 (packed) and linux-arm64 (staged)", () => {
    // gzip -1 here; `npm run bundle` (gzip -6) is smaller. The arm64 tree (not packed here) is the same
    // app with another Node of about the same size, so its unpacked size stands for its tarball's.
    expect(built.x64!.bytes).toBeLessThan(70 * MiB);
    for (const arch of ["x64", "arm64"] as const) {
      const b = built[arch]!;
      expect(b.name).toBe(`roomgate-${version}-linux-${arch}`);
      // The Node runtime is most of it (~120 MiB unpacked); the app and its dependencies stay small. The
      // centre's embedded PostgreSQL (PGlite, ~16 MiB of WebAssembly and data) rides along so the same
      // release runs the demo's centre and a province's centre; an agent never loads it.
      expect(b.unpacked.total).toBeLessThan(200 * MiB);
      expect(b.unpacked.app).toBeLessThan(45 * MiB); // ~17 MiB before PGlite (24 MiB unpacked)
      expect(readFileSync(path.join(b.dir, "bundle.env"), "utf8")).toContain(`NODE_VERSION=${NODE_RUNTIME.version}`);
      for (const f of ["bin/roomgate", "install.sh", "deploy/roomgate-agent.service", "deploy/99-roomgate-serial.rules.example", "app/config/examples/district-room.yaml", "DEPLOY.md"]) {
        expect(existsSync(path.join(b.dir, f)), f).toBe(true);
      }
      // Nothing of the development tree: no TypeScript compiler, test runner or tests.
      for (const dev of ["typescript", "vitest", "esbuild"]) expect(existsSync(path.join(b.dir, "app/node_modules", dev)), dev).toBe(false);
      expect(existsSync(path.join(b.dir, "app/dist/cli/main.js"))).toBe(true);
      expect(existsSync(path.join(b.dir, "app/dist/agent/router.test.js"))).toBe(false);
    }
  });

  it("carries arm64 binaries only in the arm64 bundle (ELF headers), and x64 only in the x64 one", () => {
    for (const arch of ["x64", "arm64"] as const) {
      const dir = built[arch]!.dir;
      expect(nativeProblems(dir, arch)).toEqual([]);
      expect(elfArch(path.join(dir, "node/bin/node"))).toBe(arch);
      const bindings = nativeBindings(path.join(dir, "app/node_modules"));
      for (const pkg of NATIVE_PACKAGES) expect(bindings.some((b) => b.startsWith(`${pkg}/prebuilds/linux-${arch}/`)), pkg).toBe(true);
      // node-pty's binding comes as one package per platform: this architecture's, and only that one.
      for (const { name, binding } of PLATFORM_PACKAGES) {
        expect(bindings.filter((b) => b.startsWith(`${name}-`))).toEqual([`${platformPackage(name, arch)}/${binding}`]);
      }
      for (const b of bindings) expect(elfArch(path.join(dir, "app/node_modules", b)), b).toBe(arch);
    }
  });

  it("runs from the unpacked x64 bundle with its own Node: --version, config validate, the demo and doctor", async () => {
    const dir = built.x64!.dir;
    const roomgate = path.join(dir, "bin/roomgate");
    const { stdout: v } = await run(roomgate, ["--version"], { env });
    expect(v.trim()).toBe(`roomgate ${version} (node v${NODE_RUNTIME.version}, linux-x64)`);
    const example = path.join(dir, "app/config/examples/district-room.yaml");
    const { stdout: valid } = await run(roomgate, ["config", "validate", example], { env });
    expect(valid).toContain("ok (site district-07, 13 devices)");

    const port = await freePort();
    const httpPort = await freePort();
    const site = await relocatedSite(path.join(work, "pty"), (c) => ({ ...c, broker: { ...c.broker, url: `mqtt://127.0.0.1:${port}` } }));
    mkdirSync(path.join(work, "pty"));
    const siteFile = path.join(work, "site.yaml");
    // The secrets as the bundle ships them (0640), not the world-readable checked-in copies.
    const secret = (name: string) => path.join(dir, "app/config/examples/secrets", name);
    const d = site.devices;
    const ssh = d["codec-meeting"]!.transport as Extract<typeof d[string]["transport"], { type: "ssh" }>;
    const devices = {
      ...d,
      "cam-lectern": { ...d["cam-lectern"]!, options: { ...d["cam-lectern"]!.options, passwordFile: secret("cam-lectern.password") } },
      "access-switch": { ...d["access-switch"]!, options: { ...d["access-switch"]!.options, communityFile: secret("access-switch.community") } },
      "codec-meeting": { ...d["codec-meeting"]!, transport: { ...ssh, passwordFile: secret("codec-meeting.password") } },
    };
    writeFileSync(siteFile, stringify({ ...site, devices }));
    const stateDir = path.join(work, "state");
    // The demo's centre opens a record that already exists (the tests' migrated template): PGlite from
    // the bundle still loads and opens it, without the seconds of initdb that test/centre-command.test.ts
    // proves already.
    await seedCentreRecord(stateDir);
    const { child: demo } = await startDemoProcess(roomgate, ["demo", "--config", siteFile, "--port", String(port), "--http-port", String(httpPort), "--centre-port", String(await freePort())], { env: { ...env, ROOMGATE_STATE_DIR: stateDir } });
    try {
      const w = await Watcher.connect(`mqtt://127.0.0.1:${port}`, "roomgate/v1/district-07/#");
      try {
        const birth = await w.waitFor((m) => m.topic === "roomgate/v1/district-07/agent/state" && m.json.state === "online", 15_000, "agent online");
        expect(birth.json.version).toBe(version);
        await w.waitFor((m) => m.topic === "roomgate/v1/district-07/dev/cam-main/health" && m.json.status === "ok", 15_000, "cam-main ok");
      } finally {
        await w.close();
      }
      const doctor = await run(roomgate, ["doctor", "--config", siteFile, "--state-dir", stateDir, "--time-url", `http://127.0.0.1:${httpPort}/`, "--json"], { env });
      const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { id: string; status: string; message: string }[] };
      expect(report.checks.filter((c) => c.status !== "pass")).toEqual([]);
      expect(report.checks.find((c) => c.id === "node")!.message).toContain(`Node ${NODE_RUNTIME.version} (${path.join(dir, "node/bin/node")})`);
      expect(report.ok).toBe(true);
      expect(JSON.parse(readFileSync(path.join(stateDir, "format.json"), "utf8"))).toEqual({ format: "roomgate-state", version: 1 });
    } finally {
      const exited = new Promise<number | null>((resolve) => demo.once("exit", resolve));
      demo.kill("SIGINT");
      expect(await exited).toBe(0);
    }
  }, 60_000);

  it("installs into a DESTDIR, and an upgrade keeps /etc/roomgate and /var/lib/roomgate", async () => {
    const dest = path.join(work, "root");
    const first = built.x64!.dir;
    const installEnv = { ...process.env, DESTDIR: dest };
    const r1 = await run("sh", [path.join(first, "install.sh")], { env: installEnv });
    expect(r1.stdout).toContain(`installed ${built.x64!.name}`);
    expect(r1.stdout).toContain("next: write /etc/roomgate/site.yaml");
    const etc = path.join(dest, "etc/roomgate");
    const state = path.join(dest, "var/lib/roomgate");
    writeFileSync(path.join(etc, "site.yaml"), "site: district-07\n");
    writeFileSync(path.join(etc, "secrets/broker.pass"), "pw\n", { mode: 0o640 });
    mkdirSync(path.join(state, "district-07.outbox"));
    writeFileSync(path.join(state, "district-07.outbox/outbox.log"), "owed");
    writeFileSync(path.join(state, "format.json"), '{"format":"roomgate-state","version":1}\n');

    // The next release: the same bundle under a newer name.
    const nextName = `roomgate-9.9.9-linux-x64`;
    const next = path.join(work, "next", nextName);
    // Hard links (a copy of 160 MiB is seconds of CPU); bundle.env is replaced, not written through.
    mkdirSync(path.dirname(next));
    execFileSync("cp", ["-al", first, next]);
    rmSync(path.join(next, "bundle.env"));
    writeFileSync(path.join(next, "bundle.env"), readFileSync(path.join(first, "bundle.env"), "utf8").replace(/NAME=.*/, `NAME=${nextName}`).replace(/VERSION=.*/, "VERSION=9.9.9"));
    const r2 = await run("sh", [path.join(next, "install.sh")], { env: installEnv });
    expect(r2.stdout).toContain(`installed ${nextName}`);
    expect(r2.stdout).toContain(`(previous: ${built.x64!.name})`);
    expect(r2.stdout).not.toContain("next: write");

    const opt = path.join(dest, "opt/roomgate");
    expect(readlinkSync(path.join(opt, "current"))).toBe(`releases/${nextName}`);
    expect(existsSync(path.join(opt, "releases", built.x64!.name))).toBe(true); // kept for a rollback
    expect(readFileSync(path.join(etc, "site.yaml"), "utf8")).toBe("site: district-07\n");
    expect(readFileSync(path.join(etc, "secrets/broker.pass"), "utf8")).toBe("pw\n");
    expect(readFileSync(path.join(state, "district-07.outbox/outbox.log"), "utf8")).toBe("owed");
    expect(existsSync(path.join(etc, "examples/district-room.yaml"))).toBe(true);
    expect(statSync(path.join(etc, "examples/secrets/cam-lectern.password")).mode & 0o777).toBe(0o640);
    expect(readlinkSync(path.join(dest, "usr/local/bin/roomgate"))).toBe("/opt/roomgate/current/bin/roomgate");
    expect(readFileSync(path.join(dest, "etc/systemd/system/roomgate-agent.service"), "utf8")).toContain("ExecStart=/opt/roomgate/current/bin/roomgate agent --config /etc/roomgate/site.yaml");
    const { stdout } = await run(path.join(opt, "current/bin/roomgate"), ["--version"], { env });
    expect(stdout).toContain(`node v${NODE_RUNTIME.version}`);

    // Installed, `roomgate doctor` needs no flags: the wrapper points it at the gateway's site file
    // and state directory. Whether the example's devices answer depends on the machine (a demo run
    // beside the tests answers on their ports, and its broker on 1883): what matters is what it looked at.
    cpSync(path.join(etc, "examples/district-room.yaml"), path.join(etc, "site.yaml"));
    // Every secret the example names (a camera password, a codec password, a switch community).
    for (const f of readdirSync(path.join(etc, "examples/secrets"))) cpSync(path.join(etc, "examples/secrets", f), path.join(etc, "secrets", f));
    const doctor = await run(path.join(opt, "current/bin/roomgate"), ["doctor", "--json"], { env }).catch((err: { stdout: string; code: number }) => err);
    const report = JSON.parse(doctor.stdout) as { ok: boolean; config: string; checks: { id: string; status: string; message: string }[] };
    expect(report.config).toBe(path.join(etc, "site.yaml"));
    expect(report.checks.find((c) => c.id === "config")!.status).toBe("pass");
    expect(report.checks.find((c) => c.id === "state")!.message).toBe(`${state}: format 1, writable`);
  }, 60_000);
});
