/**
 * The UDP socket every datagram simulator (VISCA over IP, X32, the STAMP reflector) binds, as
 * `startTcpListener` is for the TCP ones: bound on loopback with its port kept across unplug/replug
 * (port 0 picks one, once), a send that is lost when unplugged (as on the wire) and whose failure
 * goes to the log, and every socket error in the endpoint's log, never thrown. What the device
 * makes of a datagram stays with each simulator.
 */
import dgram from "node:dgram";
import type { ErrorSink } from "./serial-endpoint.js";

export interface Peer {
  address: string;
  port: number;
}

export interface UdpEndpointOptions {
  host: string;
  /** 0: a port the kernel picks, kept for replug. */
  port: number;
  errors: ErrorSink;
  onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void;
}

export interface UdpEndpoint {
  readonly port: number;
  readonly plugged: boolean;
  /** Sends from the endpoint's port; nothing when unplugged (lost on the way). */
  send(data: Buffer, peer: Peer): void;
  /** Closes the socket: datagrams to the port are lost until replug. */
  unplug(): Promise<void>;
  /** Binds again on the same port (nothing when plugged). */
  replug(): Promise<void>;
}

/** Binds the socket; rejects (the socket closed) when the port cannot be had. */
export async function startUdpEndpoint(opts: UdpEndpointOptions): Promise<UdpEndpoint> {
  let socket: dgram.Socket | undefined;
  let port = opts.port;

  async function bind(): Promise<void> {
    const s = dgram.createSocket("udp4");
    s.on("message", opts.onMessage);
    s.on("error", (err) => opts.errors.add(err, "socket error"));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      s.once("error", onError);
      s.bind(port, opts.host, () => {
        s.off("error", onError);
        resolve();
      });
    }).catch((err: unknown) => {
      s.close();
      throw err;
    });
    port = s.address().port;
    socket = s;
  }

  await bind();
  return {
    get port() {
      return port;
    },
    get plugged() {
      return socket !== undefined;
    },
    send(data, peer) {
      if (socket === undefined) return;
      socket.send(data, peer.port, peer.address, (err) => {
        if (err) opts.errors.add(err, "send failed");
      });
    },
    async unplug() {
      const s = socket;
      socket = undefined;
      if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    async replug() {
      if (socket === undefined) await bind();
    },
  };
}
