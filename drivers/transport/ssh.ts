/**
 * SSH client transport (ssh2, pure JavaScript here: its optional native crypto is not built): one
 * connection and one interactive shell channel at a time, the way a technician's `ssh admin@codec`
 * reaches a Poly or Cisco codec's API. The channel's bytes are the link's bytes.
 *
 * - Credentials: a user name and a password, read from `passwordFile` at every connect (a rotated
 *   password is picked up at the next reconnect); offered as `password` and as keyboard-interactive,
 *   which codecs use. Never logged, never in `description`.
 * - The host key: pinned by `hostFingerprint` (`SHA256:` + base64, as `ssh-keygen -lf` prints it);
 *   a different key is refused (`host_key_mismatch`) and retried with backoff, since an attacker in
 *   the path must not get the password. Without a pin, any key is accepted and its fingerprint logged
 *   once at warn, so the operator can pin it.
 * - A refused login is status error `auth_failed`: retried with backoff like any failure, so a
 *   codec that locks accounts after N failures is not hammered (the backoff grows to its ceiling).
 * - SSH keepalives (`keepaliveMs`, 3 unanswered end the link) find a silent peer that TCP would not.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import { ReconnectingTransport, type TransportDeps } from "./reconnecting.js";
import { TransportError } from "./types.js";

export interface SshOptions {
  host: string;
  port?: number;
  username: string;
  /** The password itself (prefer `passwordFile`). */
  password?: string;
  /** A file whose first line is the password. */
  passwordFile?: string;
  /** `SHA256:<base64>` of the server's host key; absent: accept any (logged). */
  hostFingerprint?: string;
  /** Give up a connect (TCP, key exchange, login, shell) after this long. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** SSH keepalive interval; the link ends after 3 unanswered. Default 10 000 ms; 0: none. */
  keepaliveMs?: number;
}

/** `SHA256:<base64 without padding>` of a raw public key blob, as OpenSSH prints it. */
export function sshFingerprint(key: Buffer): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

export class SshTransport extends ReconnectingTransport {
  readonly kind = "ssh" as const;
  private readonly opts: Required<Pick<SshOptions, "port" | "connectTimeoutMs" | "keepaliveMs">> & SshOptions;
  private client: Client | undefined;
  private channel: ClientChannel | undefined;
  private warnedKey = false;

  /** Throws a TransportError `bad_config` for options that can never work. */
  constructor(opts: SshOptions, deps: TransportDeps) {
    super(`ssh:${opts.username}@${opts.host}:${opts.port ?? 22}`, deps);
    const bad = (msg: string): never => {
      throw new TransportError("bad_config", msg);
    };
    if (typeof opts.host !== "string" || opts.host === "") bad("ssh.host: expected a host name or address; got an empty value");
    const port = opts.port ?? 22;
    if (!Number.isInteger(port) || port < 1 || port > 65535) bad(`ssh.port: expected an integer 1..65535; got ${port}`);
    if (typeof opts.username !== "string" || opts.username === "") bad("ssh.username: expected a user name");
    if (opts.password === undefined && opts.passwordFile === undefined) bad("ssh: give password or passwordFile");
    if (opts.hostFingerprint !== undefined && !FINGERPRINT.test(opts.hostFingerprint)) {
      bad(`ssh.hostFingerprint: expected SHA256:<43 base64 characters>, as ssh-keygen -lf prints it; got ${opts.hostFingerprint}`);
    }
    this.opts = { connectTimeoutMs: 10_000, keepaliveMs: 10_000, ...opts, port };
  }

  protected async connect(): Promise<void> {
    const password = await this.password();
    await new Promise<void>((resolve, reject) => {
      const client = new Client();
      this.client = client;
      let settled = false;
      let lastError: Error | undefined;
      const fail = (err: Error): void => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(deadline);
        client.end();
        reject(err);
      };
      const deadline = this.clock.setTimeout(() => {
        fail(Object.assign(new Error(`no SSH shell within ${this.opts.connectTimeoutMs} ms`), { code: "ETIMEDOUT" }));
        client.destroy();
      }, this.opts.connectTimeoutMs);
      client.on("error", (err: Error & { level?: string; code?: string }) => {
        lastError = classify(err);
        this.logger.debug({ err: { code: lastError && (lastError as { code?: string }).code, message: err.message } }, "ssh error");
        if (!settled) fail(lastError);
      });
      client.on("close", () => {
        if (!settled) fail(lastError ?? Object.assign(new Error("connection closed during login"), { code: "ECONNABORTED" }));
        else if (this.client === client) this.lost(lastError ?? Object.assign(new Error("peer closed the SSH connection"), { code: "ECONNRESET" }));
      });
      client.on("keyboard-interactive", (_name, _instructions, _lang, prompts, finish) => {
        // Codecs ask one "Password:" prompt; answer every prompt with the password (never logged).
        finish(prompts.map(() => password));
      });
      client.on("ready", () => {
        // An API session is a stream of small requests and replies: like OpenSSH's interactive
        // sessions, no Nagle delay (with it each round trip waits on the peer's delayed ACK).
        client.setNoDelay(true);
        client.shell(false, (err, channel) => {
          if (err) return fail(Object.assign(err, { code: (err as { code?: string }).code ?? "shell_refused" }));
          this.channel = channel;
          channel.on("data", (chunk: Buffer) => {
            if (this.channel === channel) this.received(chunk);
          });
          // A device greets as the shell opens (a codec's banner: Poly's `Hi, my name is`, Cisco's
          // `*r Login successful` ... `OK`), often in the same packet as the channel's confirmation:
          // those bytes would reach the base before it reports open, and be dropped. Hold them in the
          // channel until then.
          channel.pause();
          const resume = (s: { state: string }): void => {
            if (s.state !== "open" && s.state !== "closed" && s.state !== "backoff") return;
            this.off("status", resume);
            if (s.state === "open" && this.channel === channel) channel.resume();
          };
          this.on("status", resume);
          channel.stderr.on("data", (chunk: Buffer) => {
            if (this.channel === channel) this.received(chunk);
          });
          channel.on("close", () => {
            // The shell ended (the codec logged us out): the link is lost even if TCP stays up.
            if (this.channel === channel) client.end();
          });
          settled = true;
          this.clock.clearTimeout(deadline);
          resolve();
        });
      });
      const config: ConnectConfig = {
        host: this.opts.host,
        port: this.opts.port,
        username: this.opts.username,
        password,
        tryKeyboard: true,
        readyTimeout: this.opts.connectTimeoutMs,
        keepaliveInterval: this.opts.keepaliveMs,
        keepaliveCountMax: 3,
        hostVerifier: (key: Buffer) => this.verifyHost(key),
      };
      client.connect(config);
    });
  }

  private async password(): Promise<string> {
    if (this.opts.password !== undefined) return this.opts.password;
    try {
      const text = await readFile(this.opts.passwordFile!, "utf8");
      const first = text.split(/\r?\n/, 1)[0] ?? "";
      if (first === "") throw Object.assign(new Error(`${this.opts.passwordFile} is empty`), { code: "bad_config" });
      return first;
    } catch (err) {
      const code = (err as { code?: string }).code ?? "EIO";
      // A missing file may appear (provisioning): retried, with the file named and never its content.
      throw Object.assign(new Error(`cannot read the SSH password file ${this.opts.passwordFile} (${code})`), { code: "password_file" });
    }
  }

  private verifyHost(key: Buffer): boolean {
    const seen = sshFingerprint(key);
    if (this.opts.hostFingerprint === undefined) {
      if (!this.warnedKey) {
        this.warnedKey = true;
        this.logger.warn({ hostFingerprint: seen }, "SSH host key accepted without a pin: set transport.hostFingerprint to this value");
      }
      return true;
    }
    if (seen === this.opts.hostFingerprint) return true;
    this.logger.error({ expected: this.opts.hostFingerprint, seen }, "SSH host key does not match transport.hostFingerprint: refused");
    return false;
  }

  protected async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.channel = undefined;
    if (!client) return;
    await new Promise<void>((resolve) => {
      const done = this.clock.setTimeout(resolve, 1000);
      client.once("close", () => {
        this.clock.clearTimeout(done);
        resolve();
      });
      // No goodbye: end() would wait on a peer that may be gone (the reason we are releasing).
      client.destroy();
    });
  }

  protected send(data: Buffer): Promise<void> {
    const channel = this.channel;
    if (!channel) return Promise.reject(new TransportError("not_open", `${this.description} has no shell`));
    return new Promise<void>((resolve, reject) => {
      channel.write(data, (err?: Error | null) => (err ? reject(err) : resolve()));
    });
  }
}

/** ssh2's errors carry a `level`; give the ones a user can act on a code of their own. */
function classify(err: Error & { level?: string; code?: string }): Error {
  if (err.level === "client-authentication") return Object.assign(new Error("the codec refused the user name or password"), { code: "auth_failed" });
  if (err.level === "client-timeout") return Object.assign(new Error(err.message), { code: "ETIMEDOUT" });
  if (/host key/i.test(err.message) || err.level === "handshake" && /verif/i.test(err.message)) {
    return Object.assign(new Error("the host key does not match transport.hostFingerprint"), { code: "host_key_mismatch" });
  }
  return err.code ? err : Object.assign(err, { code: err.level ?? "ssh_error" });
}
