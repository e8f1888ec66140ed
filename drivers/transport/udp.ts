/**
 * UDP transport (VISCA over IP 52381, OSC 10023): one udp4 socket bound to
 * `localAddress:localPort` (default 0.0.0.0:0) and *connected* to the device's host:port.
 *
 * Why connect a UDP socket: it is the only way the kernel reports ICMP "port/host unreachable"
 * back to us (as ECONNREFUSED/EHOSTUNREACH on the socket), which is how a device that went away
 * shows up here: the socket errors, and we rebind with backoff. Connecting also makes the kernel
 * drop datagrams from anyone else; we still check every datagram's source, because datagrams that
 * arrived between bind and connect are already queued. Those are dropped, counted and logged.
 *
 * "open" means bound and connected: UDP has no handshake, so it says nothing about the device.
 * `data` carries exactly one datagram per event.
 */
import dgram from "node:dgram";
import dns from "node:dns/promises";
import net from "node:net";
import { ReconnectingTransport, type TransportDeps } from "./reconnecting.js";
import { TransportError } from "./types.js";

export interface UdpOptions {
  host: string;
  port: number;
  localPort?: number;
  localAddress?: string;
}

export class UdpTransport extends ReconnectingTransport {
  readonly kind = "udp" as const;
  private readonly opts: UdpOptions;
  private socket: dgram.Socket | undefined;
  /** The remote address as the kernel reports it in rinfo (host resolved once per bind). */
  private remoteAddress = "";
  private droppedCount = 0;

  /** Throws a TransportError `bad_config` for a host or port that can never work. */
  constructor(opts: UdpOptions, deps: TransportDeps) {
    super(`udp:${opts.host}:${opts.port}`, deps);
    if (typeof opts.host !== "string" || opts.host === "") {
      throw new TransportError("bad_config", "udp.host: expected a host name or IPv4 address; got an empty value");
    }
    if (!Number.isInteger(opts.port) || opts.port < 1 || opts.port > 65535) {
      throw new TransportError("bad_config", `udp.port: expected an integer 1..65535; got ${opts.port}`);
    }
    const lp = opts.localPort;
    if (lp !== undefined && (!Number.isInteger(lp) || lp < 0 || lp > 65535)) {
      throw new TransportError("bad_config", `udp.localPort: expected an integer 0..65535; got ${lp}`);
    }
    if (opts.localAddress !== undefined && net.isIPv4(opts.localAddress) === false) {
      throw new TransportError("bad_config", `udp.localAddress: expected an IPv4 address; got ${opts.localAddress}`);
    }
    this.opts = opts;
  }

  /** The device's host and port as configured (for drivers whose library owns its socket: net-snmp). */
  get endpoint(): { host: string; port: number } {
    return { host: this.opts.host, port: this.opts.port };
  }

  /** Datagrams dropped because they did not come from host:port. */
  get dropped(): number {
    return this.droppedCount;
  }

  /** The bound local port (0 while not bound): the device must answer to it. */
  get localPort(): number {
    try {
      return this.socket?.address().port ?? 0;
    } catch (err) {
      // address() throws ERR_SOCKET_DGRAM_NOT_RUNNING between create and bind.
      this.logger.trace({ err: (err as Error).message }, "localPort asked before bind");
      return 0;
    }
  }

  protected async connect(): Promise<void> {
    // Resolved on every attempt: a DNS answer may change while the device is away.
    this.remoteAddress = net.isIPv4(this.opts.host)
      ? this.opts.host
      : (await dns.lookup(this.opts.host, { family: 4 })).address;
    const socket = dgram.createSocket("udp4");
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      let ready = false;
      socket.on("error", (err) => {
        if (!ready) return reject(err);
        if (this.socket === socket) this.lost(err);
      });
      socket.on("message", (msg, rinfo) => {
        if (this.socket !== socket) return;
        if (rinfo.address !== this.remoteAddress || rinfo.port !== this.opts.port) {
          this.droppedCount += 1;
          this.logger.debug({ from: `${rinfo.address}:${rinfo.port}`, bytes: msg.length, dropped: this.droppedCount },
            "datagram from an unexpected source dropped");
          return;
        }
        this.received(msg);
      });
      socket.once("close", () => {
        if (!ready) reject(Object.assign(new Error("socket closed while binding"), { code: "ECONNABORTED" }));
      });
      socket.bind({ port: this.opts.localPort ?? 0, address: this.opts.localAddress ?? "0.0.0.0" }, () => {
        socket.connect(this.opts.port, this.remoteAddress, () => {
          ready = true;
          resolve();
        });
      });
    });
  }

  protected async release(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch (err) {
        // ERR_SOCKET_DGRAM_NOT_RUNNING: it was never bound or is already closed.
        this.logger.trace({ err: (err as Error).message }, "socket already closed");
        resolve();
      }
    });
  }

  protected send(data: Buffer): Promise<void> {
    const socket = this.socket;
    if (!socket) return Promise.reject(new TransportError("not_open", `${this.description} has no socket`));
    return new Promise<void>((resolve, reject) => {
      socket.send(data, (err) => (err ? reject(err) : resolve()));
    });
  }
}
