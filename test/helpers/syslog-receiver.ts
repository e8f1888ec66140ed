/**
 * Syslog receivers for the forwarder's tests: the common shape, and a pure-JS stand-in collector
 * (TCP or TLS, octet counting) so a machine with Node only still tests the forwarder. The real,
 * independent check is rsyslog (test/helpers/rsyslog.ts).
 *
 * The stand-in shares no code with the forwarder: its deframer and its RFC 5424 parser are written
 * here from the RFCs, so a bug in centre/syslog/rfc5424.ts cannot hide behind a receiver that
 * shares it. Like rsyslog, it reads a connection to its end and then closes it. Faults: `stop()`
 * (the collector goes away; unread bytes are lost), `hold` (accepts, never reads, never closes),
 * `resetAfter` (resets a connection after reading that many messages of it, once).
 */
import { EventEmitter } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { freePort } from "./net.js";

export interface ReceivedMessage {
  pri: number;
  facility: number;
  severity: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** SD-ID -> param -> value (unescaped). */
  sd: Record<string, Record<string, string>>;
  /** The free text, without its BOM. */
  msg: string;
  bom: boolean;
}

export interface SyslogReceiver {
  readonly kind: string;
  readonly port: number;
  received(): ReceivedMessage[];
  /** Resolves once `n` messages in all have arrived (bounded; fails with what did). */
  waitFor(n: number, ms?: number): Promise<ReceivedMessage[]>;
  /** The collector goes away: listener closed, connections dropped. */
  stop(): Promise<void>;
  /** Back on the same port. */
  start(): Promise<void>;
}

// ---------------------------------------------------------------- octet counting, from RFC 6587 §3.4.1

/** Splits a byte stream into `MSG-LEN SP SYSLOG-MSG` frames, whatever the chunking. */
export class OctetDeframer {
  private buf = Buffer.alloc(0);

  /** The complete frames in `chunk` (and what came before); throws on a malformed length. */
  push(chunk: Buffer): Buffer[] {
    this.buf = Buffer.concat([this.buf, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const sp = this.buf.indexOf(0x20);
      if (sp < 0) {
        if (this.buf.length > 10) throw new Error(`no SP after ${this.buf.length} octets of MSG-LEN`);
        return out;
      }
      const digits = this.buf.subarray(0, sp).toString("latin1");
      // MSG-LEN = NONZERO-DIGIT *DIGIT
      if (!/^[1-9][0-9]{0,9}$/.test(digits)) throw new Error(`bad MSG-LEN ${JSON.stringify(digits)}`);
      const len = Number(digits);
      if (this.buf.length < sp + 1 + len) return out;
      out.push(this.buf.subarray(sp + 1, sp + 1 + len));
      this.buf = this.buf.subarray(sp + 1 + len);
    }
  }

  /** Bytes of an unfinished frame. */
  get rest(): number {
    return this.buf.length;
  }
}

// ---------------------------------------------------------------- RFC 5424, read back

/** Parses one SYSLOG-MSG (RFC 5424 §6); throws on what the ABNF does not allow. */
export function parseRfc5424(bytes: Buffer): ReceivedMessage {
  const text = bytes.toString("utf8");
  const m = /^<([0-9]{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) /.exec(text);
  if (m === null) throw new Error(`not an RFC 5424 header: ${JSON.stringify(text.slice(0, 80))}`);
  const pri = Number(m[1]);
  if (pri > 191) throw new Error(`PRI ${pri} > 191`);
  let i = m[0].length;
  const sd: Record<string, Record<string, string>> = {};
  if (text[i] === "-") {
    i += 1;
  } else {
    while (text[i] === "[") {
      i += 1;
      const idEnd = text.slice(i).search(/[ \]]/);
      if (idEnd <= 0) throw new Error("bad SD-ID");
      const id = text.slice(i, i + idEnd);
      i += idEnd;
      const params: Record<string, string> = {};
      while (text[i] === " ") {
        const eq = text.indexOf('="', i);
        if (eq < 0) throw new Error("bad SD-PARAM");
        const name = text.slice(i + 1, eq);
        i = eq + 2;
        let value = "";
        for (;;) {
          const ch = text[i];
          if (ch === undefined) throw new Error("unterminated PARAM-VALUE");
          if (ch === '"') break;
          // §6.3.3: \" \\ \] stand for the character; any other backslash is an ordinary one.
          if (ch === "\\" && (text[i + 1] === '"' || text[i + 1] === "\\" || text[i + 1] === "]")) {
            value += text[i + 1];
            i += 2;
            continue;
          }
          if (ch === "]") throw new Error("unescaped ] in PARAM-VALUE");
          value += ch;
          i += 1;
        }
        i += 1;
        params[name] = value;
      }
      if (text[i] !== "]") throw new Error(`SD-ELEMENT not closed at ${i}`);
      i += 1;
      sd[id] = params;
    }
    if (Object.keys(sd).length === 0) throw new Error("STRUCTURED-DATA is neither - nor an element");
  }
  let msg = "";
  if (i < text.length) {
    if (text[i] !== " ") throw new Error(`no SP before MSG at ${i}`);
    msg = text.slice(i + 1);
  }
  const bom = msg.startsWith("\ufeff");
  return {
    pri,
    facility: pri >> 3,
    severity: pri & 7,
    timestamp: m[2]!,
    hostname: m[3]!,
    appName: m[4]!,
    procId: m[5]!,
    msgId: m[6]!,
    sd,
    msg: bom ? msg.slice(1) : msg,
    bom,
  };
}

// ---------------------------------------------------------------- the stand-in collector

export interface StandInOptions {
  /** TLS (RFC 5425): our certificate; with caFile, client certificates signed by it are required. */
  tls?: { certFile: string; keyFile: string; caFile?: string };
}

export class StandInCollector implements SyslogReceiver {
  readonly kind = "stand-in";
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  private readonly events = new EventEmitter();
  private readonly messages: ReceivedMessage[] = [];
  /** Accept, never read, never close. */
  hold = false;
  /** Reset the next connection after reading this many of its messages (then back to normal). */
  resetAfter: number | undefined;
  /** Connections accepted, and how many ended with the sender's clean close. */
  connections = 0;
  cleanCloses = 0;
  /** Frames or messages the stand-in could not read (a test expects none). */
  readonly errors: string[] = [];

  private constructor(
    readonly port: number,
    private readonly opts: StandInOptions,
  ) {}

  static async start(opts: StandInOptions = {}): Promise<StandInCollector> {
    const c = new StandInCollector(await freePort(), opts);
    await c.start();
    return c;
  }

  received(): ReceivedMessage[] {
    return this.messages.slice();
  }

  waitFor(n: number, ms = 8000): Promise<ReceivedMessage[]> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.messages.length < n) return;
        clearTimeout(timer);
        this.events.off("message", check);
        resolve(this.messages.slice());
      };
      const timer = setTimeout(() => {
        this.events.off("message", check);
        reject(new Error(`stand-in collector: ${this.messages.length} of ${n} messages within ${ms} ms; errors: ${this.errors.join("; ")}`));
      }, ms);
      this.events.on("message", check);
      check();
    });
  }

  /** Resolves once `n` connections in all were accepted (bounded). */
  waitForConnections(n: number, ms = 5000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.connections < n) return;
        clearTimeout(timer);
        this.events.off("connection", check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.events.off("connection", check);
        reject(new Error(`stand-in collector: ${this.connections} of ${n} connections within ${ms} ms`));
      }, ms);
      this.events.on("connection", check);
      check();
    });
  }

  async start(): Promise<void> {
    const t = this.opts.tls;
    const server = t
      ? tls.createServer(
          {
            cert: readFileSync(t.certFile),
            key: readFileSync(t.keyFile),
            ...(t.caFile ? { ca: readFileSync(t.caFile), requestCert: true, rejectUnauthorized: true } : {}),
          },
          (s) => this.serve(s),
        )
      : net.createServer((s) => this.serve(s));
    server.on("tlsClientError", (err) => this.errors.push(`tls: ${err.message}`));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) reset(s);
    await closed;
  }

  private serve(socket: net.Socket): void {
    this.connections += 1;
    this.events.emit("connection");
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => undefined); // resets are what some tests do on purpose
    if (this.hold) {
      socket.pause();
      return;
    }
    const deframer = new OctetDeframer();
    let here = 0;
    const resetAt = this.resetAfter;
    this.resetAfter = undefined;
    socket.on("data", (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = deframer.push(chunk);
      } catch (err) {
        this.errors.push((err as Error).message);
        socket.destroy();
        return;
      }
      for (const f of frames) {
        if (resetAt !== undefined && here >= resetAt) {
          reset(socket);
          return;
        }
        here += 1;
        try {
          this.messages.push(parseRfc5424(f));
        } catch (err) {
          this.errors.push((err as Error).message);
        }
        this.events.emit("message");
      }
    });
    // Like rsyslog: read to the end of the stream, then close.
    socket.on("end", () => {
      if (deframer.rest > 0) this.errors.push(`${deframer.rest} octets of an unfinished frame at the end of a connection`);
      this.cleanCloses += 1;
      socket.end();
    });
  }
}

/** An abrupt end (RST where the socket allows it): what a collector that dies does to its peers. */
function reset(s: net.Socket): void {
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy(); // a TLS socket cannot always send RST; destroying it still ends it unread
  }
}
