/**
 * `roomgate broker passwd` and `roomgate broker acl --mosquitto` as an administrator runs them
 * (the compiled CLI, dist/, built by `npm test`): the password from stdin, the file kept and 0600,
 * and a Mosquitto that accepts the generated files and the password.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBrokerConfig } from "../config/load.js";
import { Mosquitto } from "./helpers/mosquitto.js";
import { freePort } from "./helpers/net.js";
import { itWith } from "./helpers/tools.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(root, "dist/cli/main.js");

function roomgate(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [cli, ...args], { cwd: root, timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin!.end(stdin);
  });
}

let dir: string;
beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first (npm test does)`);
  dir = mkdtempSync(path.join(tmpdir(), "roomgate-passwd-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("roomgate broker passwd / acl --mosquitto", () => {
  it("adds users from a stdin line, keeps the file's comments, writes it 0600, and exports a Mosquitto policy", async () => {
    const file = path.join(dir, "broker.yaml");
    writeFileSync(file, "# the province broker\nlogLevel: info # keep\n", { mode: 0o644 });
    const a = await roomgate(["broker", "passwd", "--config", file, "op-chi", "--role", "operator", "--sites", "district-07", "--mosquitto"], "s3cret pass\n");
    expect(a).toMatchObject({ code: 0, stderr: `added user op-chi in ${file} (with its Mosquitto hash)\n` });
    const text = readFileSync(file, "utf8");
    expect(text.startsWith("# the province broker\nlogLevel: info # keep\nusers:\n  op-chi:\n    role: operator\n    sites: [ district-07 ]\n")).toBe(true);
    expect(text).not.toContain("s3cret");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(parseBrokerConfig(text, file).users?.["op-chi"]).toMatchObject({ role: "operator", sites: ["district-07"] });

    // A new user without a role fails before reading any password, and leaves the file alone.
    const bad = await roomgate(["broker", "passwd", "--config", file, "ghost"], "x\n");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("users.ghost: a new user needs --role");
    expect(readFileSync(file, "utf8")).toBe(text);

    const out = path.join(dir, "mosq");
    const e = await roomgate(["broker", "acl", "--mosquitto", "--config", file, "--out", out], "");
    expect(e.code).toBe(0);
    expect(readFileSync(path.join(out, "acl"), "utf8")).toContain("user op-chi\ntopic write roomgate/v1/district-07/cmd/op-chi\n");
    expect(readFileSync(path.join(out, "roomgate.conf"), "utf8")).toContain(`password_file ${path.join(out, "passwd")}\n`);
    expect(statSync(path.join(out, "passwd")).mode & 0o777).toBe(0o600);
  }, 20_000);

  itWith("mosquitto")("exports a policy Mosquitto accepts, with the password given on stdin", async () => {
    const file = path.join(dir, "b-mosq.yaml");
    expect((await roomgate(["broker", "passwd", "--config", file, "op-chi", "--role", "operator", "--sites", "district-07", "--mosquitto"], "s3cret pass\n")).code).toBe(0);
    const out = path.join(dir, "mosq-live");
    expect((await roomgate(["broker", "acl", "--mosquitto", "--config", file, "--out", out], "")).code).toBe(0);
    const mosq = new Mosquitto(await freePort(), { passwordFile: path.join(out, "passwd"), aclFile: path.join(out, "acl"), allowAnonymous: false });
    await mosq.start();
    try {
      // The default 210,000 PBKDF2 iterations are read from the hash by Mosquitto itself.
      const c = await mqtt.connectAsync(mosq.url, { username: "op-chi", password: "s3cret pass", protocolVersion: 4, reconnectPeriod: 0 });
      await c.endAsync(true);
      await expect(mqtt.connectAsync(mosq.url, { username: "op-chi", password: "s3cret", protocolVersion: 4, reconnectPeriod: 0 })).rejects.toMatchObject({ code: 5 });
    } finally {
      await mosq.dispose();
    }
  }, 20_000);

  it("refuses to export users that have no Mosquitto hash, naming them", async () => {
    const file = path.join(dir, "b2.yaml");
    expect((await roomgate(["broker", "passwd", "--config", file, "mon", "--role", "monitor"], "pw\n")).code).toBe(0);
    const e = await roomgate(["broker", "acl", "--mosquitto", "--config", file, "--out", path.join(dir, "m2")], "");
    expect(e.code).toBe(1);
    expect(e.stderr).toContain("no Mosquitto hash for mon");
  });
});
