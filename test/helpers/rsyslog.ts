/**
 * Debian's rsyslogd as the SOC's collector, for the forwarder's tests: run as a non-daemon (`-n`)
 * with a config of its own in a temporary directory (imtcp with octet-counted framing, over TCP or
 * TLS with the GnuTLS driver), its own pid file and work directory, writing what it receives to a
 * file there. Nothing under /etc, /var or /run is read or written.
 *
 * Each message is one JSON line: rsyslog's own reading of it (MSGID, facility, severity, APP-NAME,
 * structured data, as its RFC 5424 parser saw them) and the raw message, which `received()` parses
 * with the stand-in's independent parser (syslog-receiver.ts).
 *
 * Ready when rsyslog logs its own "start" line (internal messages are written to a second file,
 * watched, never polled); stopped with SIGTERM, as systemd stops it, which lets it write out what
 * it has read. Gate tests with describeWith("rsyslog") (and "rsyslog-gnutls" for TLS).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./net.js";
import { parseRfc5424, type ReceivedMessage, type SyslogReceiver } from "./syslog-receiver.js";
import { toolPath } from "./tools.js";

/** What rsyslog itself made of a message. */
export interface RsyslogView {
  msgid: string;
  facility: string;
  severity: string;
  app: string;
  sd: string;
  raw: string;
}

export interface RsyslogOptions {
  /** TLS (RFC 5425) with rsyslog's gtls driver: its certificate, and the CA file it is given. */
  tls?: { caFile: string; certFile: string; keyFile: string };
}

export class RsyslogCollector implements SyslogReceiver {
  readonly kind = "rsyslog";
  private child: ChildProcess | undefined;
  private readonly out: string;
  private readonly internal: string;
  private readonly conf: string;
  private readonly pidFile: string;
  /** rsyslogd's stderr, for failure messages. */
  stderr = "";
  /** "start" lines rsyslog has logged (one per start). */
  private starts = 0;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly opts: RsyslogOptions,
  ) {
    this.out = path.join(dir, "received.jsonl");
    this.internal = path.join(dir, "rsyslogd.log");
    this.conf = path.join(dir, "rsyslog.conf");
    this.pidFile = path.join(dir, "rsyslogd.pid");
    writeFileSync(this.conf, this.config());
  }

  static async start(opts: RsyslogOptions = {}): Promise<RsyslogCollector> {
    const c = new RsyslogCollector(await freePort(), mkdtempSync(path.join(tmpdir(), "roomgate-rsyslog-")), opts);
    await c.start();
    return c;
  }

  private config(): string {
    const t = this.opts.tls;
    const q = (s: string) => JSON.stringify(s); // paths in a temp dir: no quotes or backslashes to escape beyond JSON's
    return `${[
      `global(workDirectory=${q(this.dir)} maxMessageSize="64k" net.enableDNS="off"`,
      // Internal messages (the "start" line) through our rules, not to the system's log socket.
      `       processInternalMessages="on" parser.escapeControlCharactersOnReceive="off"`,
      ...(t ? [`       defaultNetstreamDriver="gtls" defaultNetstreamDriverCAFile=${q(t.caFile)}`, `       defaultNetstreamDriverCertFile=${q(t.certFile)} defaultNetstreamDriverKeyFile=${q(t.keyFile)}`] : []),
      `)`,
      // Octet-counted framing is imtcp's default (RFC 6587 3.4.1); with TLS, no client certificate asked.
      t ? `module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1" streamDriver.authMode="anon")` : `module(load="imtcp")`,
      `input(type="imtcp" address="127.0.0.1" port="${this.port}" ruleset="soc" supportOctetCountedFraming="on")`,
      `template(name="soc" type="list") {`,
      `  constant(value="{")`,
      `  property(name="msgid" format="jsonf" outname="msgid") constant(value=",")`,
      `  property(name="syslogfacility-text" format="jsonf" outname="facility") constant(value=",")`,
      `  property(name="syslogseverity-text" format="jsonf" outname="severity") constant(value=",")`,
      `  property(name="app-name" format="jsonf" outname="app") constant(value=",")`,
      `  property(name="structured-data" format="jsonf" outname="sd") constant(value=",")`,
      `  property(name="rawmsg" format="jsonf" outname="raw")`,
      `  constant(value="}")`,
      `  constant(value="\\n")`,
      `}`,
      `ruleset(name="soc") { action(type="omfile" file=${q(this.out)} template="soc") }`,
      `*.* action(type="omfile" file=${q(this.internal)})`,
    ].join("\n")}\n`;
  }

  /**
   * Starts rsyslogd on the same port (again); resolves at its "start" line. Bounded: 5 s, or 30 s with
   * TLS, because the gtls driver of rsyslog 8.2302 generates fresh Diffie-Hellman parameters at every
   * start (gnutls_dh_params_generate2, no option to skip it): 0.5 to 3 s measured here, more on a busy machine.
   */
  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error("rsyslogd is already running");
    const want = this.starts + 1;
    const child = spawn(toolPath("rsyslog"), ["-n", "-f", this.conf, "-i", this.pidFile], { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    child.stderr!.on("data", (d: Buffer) => (this.stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        watcher.close();
        child.off("exit", exited);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        this.starts = this.internalLines().filter((l) => /\] start$/.test(l)).length;
        if (this.starts >= want) done();
      };
      const exited = (code: number | null) => done(new Error(`rsyslogd exited with ${code}: ${this.stderr}`));
      const bound = this.opts.tls ? 30_000 : 5000;
      const timer = setTimeout(() => done(new Error(`rsyslogd did not start within ${bound} ms: ${this.stderr}`)), bound);
      const watcher = watch(this.dir, () => check());
      child.once("exit", exited);
      check();
    });
  }

  private internalLines(): string[] {
    return existsSync(this.internal) ? readFileSync(this.internal, "utf8").split("\n") : [];
  }

  /**
   * What rsyslog wrote, in its order, as it read each message: whole lines only. rsyslogd may be
   * half way through appending a line when the file is read (seen under two busy loops: "Unterminated
   * string in JSON"), and that line is read whole the next time.
   */
  views(): RsyslogView[] {
    if (!existsSync(this.out)) return [];
    const text = readFileSync(this.out, "utf8");
    return text
      .slice(0, text.lastIndexOf("\n") + 1)
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as RsyslogView);
  }

  received(): ReceivedMessage[] {
    return this.views().map((v) => parseRfc5424(Buffer.from(v.raw, "utf8")));
  }

  /** Resolves once rsyslog has written `n` messages in all (its output file watched; bounded). */
  waitFor(n: number, ms = 8000): Promise<ReceivedMessage[]> {
    return new Promise((resolve, reject) => {
      let watcher: FSWatcher | undefined;
      const done = (err?: Error) => {
        clearTimeout(timer);
        watcher?.close();
        if (err) reject(err);
        else resolve(this.received());
      };
      const check = () => {
        if (this.views().length >= n) done();
      };
      const timer = setTimeout(() => done(new Error(`rsyslog: ${this.views().length} of ${n} messages within ${ms} ms; its log: ${this.internalLines().slice(-5).join(" | ")} ${this.stderr}`)), ms);
      watcher = watch(this.dir, () => check());
      check();
    });
  }

  /** SIGTERM, as systemd stops it; resolves when it has exited (it writes out what it read first). */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await exited;
  }

  /** Stops it and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
