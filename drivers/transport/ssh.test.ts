import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../../test/helpers/logger.js";
import { fakeClock } from "../../test/helpers/clock.js";
import { startSshEndpoint, type SshEndpoint, type SshShell } from "../../simulators/ssh-endpoint.js";
import { CONFORMANCE_BACKOFF, trackingClock, transportConformance, until, type Fixture } from "./conformance.js";
import type { TransportDeps } from "./reconnecting.js";
import { SshTransport } from "./ssh.js";
import type { TransportStatus } from "./types.js";

const USER = "admin";
const PASSWORD = "s3cret-Pa55";

/** An SSH endpoint whose shells echo on demand, as the conformance suite's peer. */
async function sshPeer(users: Record<string, string> = { [USER]: PASSWORD }) {
  const errors: Error[] = [];
  const emitter = new EventEmitter<{ data: [Buffer] }>();
  let shell: SshShell | undefined;
  const peer = {
    echo: false,
    endpoint: undefined as unknown as SshEndpoint,
    on: emitter.on.bind(emitter),
    off: emitter.off.bind(emitter),
    async send(data: Buffer) {
      await until(emitter, "data", () => shell, "a shell to send on", 5000).catch(() => undefined);
      shell?.write(data);
    },
    drop: () => peer.endpoint.unplug(),
    back: () => peer.endpoint.replug(),
  };
  peer.endpoint = await startSshEndpoint({
    port: 0,
    users,
    errors: { add: (err) => void errors.push(err as Error) },
    onShell(s) {
      shell = s;
      // The suite may wait for a shell before any data flows: nudge `until` listeners.
      queueMicrotask(() => emitter.emit("data", Buffer.alloc(0)));
      return {
        onData(chunk) {
          if (chunk.length === 0) return;
          emitter.emit("data", chunk);
          if (peer.echo) s.write(chunk);
        },
        onClose() {
          if (shell === s) shell = undefined;
        },
      };
    },
  });
  return { peer, errors };
}

async function sshFixture(deps: TransportDeps): Promise<Fixture> {
  const { peer } = await sshPeer();
  const transport = new SshTransport({ host: "127.0.0.1", port: peer.endpoint.port, username: USER, password: PASSWORD, keepaliveMs: 0 }, deps);
  return { transport, peer, absentErrorCode: "ECONNREFUSED", teardown: () => peer.endpoint.close() };
}

transportConformance("ssh", sshFixture);

describe("ssh transport", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  const deps = (logger = memoryLogger()) => ({ clock: trackingClock(), logger, backoff: CONFORMANCE_BACKOFF });
  function statusesOf(t: SshTransport): TransportStatus[] {
    const out: TransportStatus[] = [];
    t.on("status", (s) => out.push(s));
    return out;
  }

  it("refuses options that can never work, naming the field, and describes its endpoint without the password", () => {
    const d = { clock: fakeClock(), logger: memoryLogger() };
    expect(() => new SshTransport({ host: "c", username: "admin" }, d)).toThrow(expect.objectContaining({ code: "bad_config", message: "ssh: give password or passwordFile" }));
    expect(() => new SshTransport({ host: "c", username: "admin", password: "x", hostFingerprint: "MD5:ab:cd" }, d)).toThrow(
      expect.objectContaining({ code: "bad_config", message: expect.stringContaining("ssh.hostFingerprint: expected SHA256:") }),
    );
    const t = new SshTransport({ host: "10.1.2.3", username: "admin", password: PASSWORD }, d);
    expect([t.kind, t.description]).toEqual(["ssh", "ssh:admin@10.1.2.3:22"]);
  });

  it("a wrong password is status error auth_failed, retried with backoff, and the password is never logged", async () => {
    const { peer } = await sshPeer();
    cleanups.push(() => peer.endpoint.close());
    const logger = memoryLogger();
    const t = new SshTransport({ host: "127.0.0.1", port: peer.endpoint.port, username: USER, password: "wrong-one", keepaliveMs: 0 }, deps(logger));
    cleanups.push(() => t.close());
    const statuses = statusesOf(t);
    void t.open();
    await until(t, "status", () => (statuses.filter((s) => s.state === "backoff").length >= 2 ? true : undefined), "two refused logins");
    expect(statuses.find((s) => s.state === "backoff")!.error).toEqual({ code: "auth_failed", message: "the codec refused the user name or password" });
    expect(peer.endpoint.refusedLogins).toBeGreaterThanOrEqual(2);
    expect(JSON.stringify(logger.records)).not.toContain("wrong-one");
  });

  it("reads the password from its file at each connect, and logs in with keyboard-interactive too", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-ssh-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, "codec.pass");
    writeFileSync(file, `${PASSWORD}\nignored second line\n`);
    const { peer } = await sshPeer();
    cleanups.push(() => peer.endpoint.close());
    const t = new SshTransport({ host: "127.0.0.1", port: peer.endpoint.port, username: USER, passwordFile: file, keepaliveMs: 0 }, deps());
    cleanups.push(() => t.close());
    await t.open();
    peer.echo = true;
    const echoed = new Promise<Buffer>((resolve) => t.once("data", resolve));
    await t.write(Buffer.from("xStatus Standby\n"));
    expect((await echoed).toString()).toBe("xStatus Standby\n");
  });

  it("accepts the host key it was pinned to and refuses another one (host_key_mismatch), never sending the password", async () => {
    const { peer } = await sshPeer();
    cleanups.push(() => peer.endpoint.close());
    const pinned = new SshTransport(
      { host: "127.0.0.1", port: peer.endpoint.port, username: USER, password: PASSWORD, hostFingerprint: peer.endpoint.hostFingerprint, keepaliveMs: 0 },
      deps(),
    );
    cleanups.push(() => pinned.close());
    await pinned.open();
    expect(pinned.state).toBe("open");

    const other = await sshPeer();
    cleanups.push(() => other.peer.endpoint.close());
    const logger = memoryLogger();
    const t = new SshTransport(
      { host: "127.0.0.1", port: other.peer.endpoint.port, username: USER, password: PASSWORD, hostFingerprint: peer.endpoint.hostFingerprint, keepaliveMs: 0 },
      deps(logger),
    );
    cleanups.push(() => t.close());
    const statuses = statusesOf(t);
    void t.open();
    const refused = await until(t, "status", () => statuses.find((s) => s.state === "backoff"), "the mismatch");
    expect(refused.error!.code).toBe("host_key_mismatch");
    expect(other.peer.endpoint.refusedLogins).toBe(0);
    expect(other.peer.endpoint.shells).toBe(0);
    expect(logger.records.some((r) => r.msg?.includes("does not match transport.hostFingerprint"))).toBe(true);
  });

  it("without a pin, logs the host key's fingerprint once so it can be pinned", async () => {
    const { peer } = await sshPeer();
    cleanups.push(() => peer.endpoint.close());
    const logger = memoryLogger();
    const t = new SshTransport({ host: "127.0.0.1", port: peer.endpoint.port, username: USER, password: PASSWORD, keepaliveMs: 0 }, deps(logger));
    cleanups.push(() => t.close());
    await t.open();
    const warned = logger.records.filter((r) => r.msg?.startsWith("SSH host key accepted without a pin"));
    expect(warned).toHaveLength(1);
    expect(JSON.stringify(warned[0])).toContain(peer.endpoint.hostFingerprint);
  });

  it("what a device says as the shell opens (a codec's banner) is delivered, not lost before the link reports open", async () => {
    const endpoint = await startSshEndpoint({
      port: 0,
      users: { [USER]: PASSWORD },
      errors: { add: () => undefined },
      onShell: (s) => {
        s.write("Hi, my name is : ROOM-101\r\r\n"); // at once, before the client has even seen the channel
        return { onData: () => undefined };
      },
    });
    cleanups.push(() => endpoint.close());
    const t = new SshTransport({ host: "127.0.0.1", port: endpoint.port, username: USER, password: PASSWORD, keepaliveMs: 0 }, deps());
    cleanups.push(() => t.close());
    const got: Buffer[] = [];
    t.on("data", (b) => got.push(b));
    await t.open();
    await until(t, "data", () => (Buffer.concat(got).toString().includes("ROOM-101") ? true : undefined), "the banner");
    expect(Buffer.concat(got).toString()).toBe("Hi, my name is : ROOM-101\r\r\n");
  });

  it("a shell the device ends (it logged us out) is a lost link, and the transport logs in again", async () => {
    const shells: SshShell[] = [];
    const endpoint = await startSshEndpoint({
      port: 0,
      users: { [USER]: PASSWORD },
      errors: { add: () => undefined },
      onShell: (s) => (shells.push(s), { onData: () => undefined }),
    });
    cleanups.push(() => endpoint.close());
    const t = new SshTransport({ host: "127.0.0.1", port: endpoint.port, username: USER, password: PASSWORD, keepaliveMs: 0 }, deps());
    cleanups.push(() => t.close());
    const statuses = statusesOf(t);
    await t.open();
    shells[0]!.end();
    await until(t, "status", () => (statuses.filter((s) => s.state === "open").length >= 2 ? true : undefined), "open again");
    expect(shells).toHaveLength(2);
  });
});
