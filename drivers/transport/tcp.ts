/**
 * TCP client transport (Samsung MDC 1515, NovaStar 5200, Tesira telnet...): one net.Socket at a
 * time, Nagle off (device commands are small and latency-bound), keepalive on so a peer that
 * vanished without a FIN is noticed, and a connect deadline on the injected clock so a
 * black-holed address costs `connectTimeoutMs`, not the kernel's two minutes of SYN retries.
 */
import net from "node:net";
import { ReconnectingTransport, type TransportDeps } from "./reconnecting.js";
import { TransportError } from "./types.js";

export interface TcpOptions {
  host: string;
  port: number;
  /** Give up one connect attempt after this long. Default 5 000 ms. */
  connectTimeoutMs?: number;
  /** Idle time before the first TCP keepalive probe. Default 10 000 ms. */
  keepAliveMs?: number;
}

export class TcpTransport extends ReconnectingTransport {
  readonly kind = "tcp" as const;
  private readonly opts: Required<TcpOptions>;
  private socket: net.Socket | undefined;

  /** Throws a TransportError `bad_config` for a host or port that can never work. */
  constructor(opts: TcpOptions, deps: TransportDeps) {
    super(`tcp:${opts.host}:${opts.port}`, deps);
    if (typeof opts.host !== "string" || opts.host === "") {
      throw new TransportError("bad_config", "tcp.host: expected a host name or address; got an empty value");
    }
    if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
      throw new TransportError("bad_config", `tcp.port: expected an integer 1..65535; got ${opts.port}`);
    }
    this.opts = { connectTimeoutMs: 5_000, keepAliveMs: 10_000, ...opts };
  }

  protected connect(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const socket = new net.Socket();
      this.socket = socket;
      let connected = false;
      let lastError: Error | undefined;
      const deadline = this.clock.setTimeout(() => {
        const err = Object.assign(new Error(`connect timed out after ${this.opts.connectTimeoutMs} ms`), {
          code: "ETIMEDOUT",
        });
        socket.destroy(err);
      }, this.opts.connectTimeoutMs);

      socket.on("error", (err) => {
        // Always handled here; the `close` that follows decides what it means.
        lastError = err;
        this.logger.debug({ err: { code: (err as NodeJS.ErrnoException).code, message: err.message } }, "socket error");
      });
      socket.on("data", (chunk: Buffer) => {
        if (this.socket === socket) this.received(chunk);
      });
      socket.once("connect", () => {
        connected = true;
        this.clock.clearTimeout(deadline);
        socket.setNoDelay(true);
        socket.setKeepAlive(true, this.opts.keepAliveMs);
        resolve();
      });
      socket.once("close", () => {
        this.clock.clearTimeout(deadline);
        if (!connected) {
          reject(lastError ?? Object.assign(new Error("socket closed while connecting"), { code: "ECONNABORTED" }));
        } else if (this.socket === socket) {
          this.lost(lastError ?? Object.assign(new Error("peer closed the connection"), { code: "ECONNRESET" }));
        }
      });
      socket.connect({ host: this.opts.host, port: this.opts.port });
    });
  }

  protected async release(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.destroy();
    });
  }

  protected send(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new TransportError("not_open", `${this.description} has no socket`));
    return new Promise<void>((resolve, reject) => {
      socket.write(data, (err) => (err ? reject(err) : resolve()));
    });
  }
}
