/**
 * ssh2 needs WebAssembly, which V8's lite mode turns off. The agent switches lite mode on itself on
 * Node 20 (cli/main.ts), and deploy/roomgate passes it on the gateway: a site with an SSH device (the
 * demo's Cisco codec) must run without it. Before this, the compiled agent with a Cisco codec over SSH
 * aborted in V8 (SIGTRAP, exit 133) on Node 20 the moment ssh2 loaded, and on the bundle's Node 24 ran
 * with no WebAssembly for ssh2.
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { siteNeedsWebAssembly } from "../cli/node-flags.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(path.join(tmpdir(), "roomgate-ssh-lite-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SSH_SITE = `site: s1
broker:
  url: mqtt://127.0.0.1:1
devices:
  codec:
    kind: codec
    protocol: cisco
    transport: { type: ssh, host: 127.0.0.1, port: 1, username: admin, passwordFile: codec.password }
`;
const TCP_SITE = `site: s1
broker: { url: "mqtt://127.0.0.1:1" }
devices:
  dsp: { kind: audio, protocol: tesira, transport: { type: tcp, host: 127.0.0.1, port: 23 } } # not ssh
`;

describe("lite mode and SSH devices", () => {
  it("recognises an SSH transport in block and flow style, quoted or not, and nothing else", () => {
    expect(siteNeedsWebAssembly(SSH_SITE)).toBe(true);
    expect(siteNeedsWebAssembly("devices:\n  c:\n    transport:\n      type: \"ssh\"\n")).toBe(true);
    expect(siteNeedsWebAssembly("    transport: {type: 'ssh', host: h}\n")).toBe(true);
    expect(siteNeedsWebAssembly(TCP_SITE)).toBe(false);
    expect(siteNeedsWebAssembly("  options: { type: sshd }\n  name: type ssh\n")).toBe(false);
  });

  it("deploy/roomgate gives the agent lite mode only when its site has no SSH device", () => {
    // A fake install tree whose node prints the flags it was given.
    const tree = path.join(dir, "tree");
    mkdirSync(path.join(tree, "bin"), { recursive: true });
    mkdirSync(path.join(tree, "node/bin"), { recursive: true });
    copyFileSync(path.join(root, "deploy/roomgate"), path.join(tree, "bin/roomgate"));
    writeFileSync(path.join(tree, "node/bin/node"), '#!/bin/sh\necho "$@"\n');
    chmodSync(path.join(tree, "node/bin/node"), 0o755);
    writeFileSync(path.join(dir, "ssh.yaml"), SSH_SITE);
    writeFileSync(path.join(dir, "tcp.yaml"), TCP_SITE);
    const flags = (args: string[]) => execFileSync("sh", [path.join(tree, "bin/roomgate"), ...args], { encoding: "utf8" });
    expect(flags(["agent", "--config", path.join(dir, "ssh.yaml")])).not.toContain("--lite-mode");
    expect(flags(["agent", "--config", path.join(dir, "ssh.yaml")])).toContain("--expose-gc");
    expect(flags(["agent", `--config=${path.join(dir, "tcp.yaml")}`])).toContain("--lite-mode");
    expect(flags(["agent", "--config", path.join(dir, "tcp.yaml")])).toContain("--lite-mode");
  });

  it("the compiled agent with a Cisco codec over SSH runs and reports the codec, instead of aborting in V8", async () => {
    const site = path.join(dir, "site.yaml");
    writeFileSync(site, SSH_SITE);
    writeFileSync(path.join(dir, "codec.password"), "pw\n");
    const env = { ...process.env };
    delete env.ROOMGATE_V8_LITE;
    const child = spawn(process.execPath, [path.join(root, "dist/cli/main.js"), "agent", "--config", site, "--state-dir", path.join(dir, "state")], { env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const outcome = await new Promise<string>((resolve) => {
      const look = (chunk: Buffer) => {
        out += chunk.toString();
        // ssh2 has loaded and tried the link: the codec's health is reported.
        if (/"device":"codec".*"msg":"health changed"/.test(out)) resolve("reported");
      };
      child.stdout.on("data", look);
      child.stderr.on("data", look);
      child.once("exit", (code, signal) => resolve(`exited ${code ?? signal}`));
    });
    if (child.exitCode === null && child.signalCode === null) {
      const exited = once(child, "exit");
      child.kill("SIGTERM");
      await exited;
    }
    expect(outcome, out.slice(-2000)).toBe("reported");
  }, 30_000);
});
