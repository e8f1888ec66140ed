/**
 * The VISCA camera over IP (Sony VISCA-over-IP, UDP). Each datagram carries the 8-byte header of
 * drivers/visca/ip.ts. Commands (0100) and inquiries (0110) go to the camera; every reply goes back
 * to the sender as 0111 with the request's sequence number. Control (0200) `01` resets the
 * expected sequence; an out-of-order sequence is answered 0201 `0F 01`, a malformed datagram
 * 0201 `0F 02`.
 */
import type dgram from "node:dgram";
import { systemClock } from "../../drivers/clock.js";
import type { Clock, Logger, TimerHandle } from "../../drivers/types.js";
import { decodeRequest } from "../../drivers/visca/codec.js";
import {
  CONTROL_ERR_MESSAGE, CONTROL_ERR_SEQUENCE, CONTROL_RESET, decodeIpMessage, encodeIpMessage, nextSequence, PayloadType,
} from "../../drivers/visca/ip.js";
import { startUdpEndpoint, type Peer, type UdpEndpoint } from "../udp-endpoint.js";
import { ViscaCamera, type ViscaCameraOptions, type ViscaFaults } from "./camera.js";
import { ErrorLog } from "./errors.js";

export interface UdpCameraOptions extends Omit<ViscaCameraOptions, "address"> {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 = an ephemeral port (read it from the handle). */
  port: number;
  logger?: Logger;
}

export interface UdpCameraHandle {
  readonly camera: ViscaCamera;
  readonly faults: ViscaFaults;
  readonly host: string;
  /** The bound port (stays the same across unplug/replug). */
  readonly port: number;
  readonly errors: readonly Error[];
  /** Stops answering and closes the socket. */
  unplug(): Promise<void>;
  /** Binds again on the same port. */
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
}

interface Origin { peer: Peer; sequence: number }

export async function startUdpCamera(options: UdpCameraOptions): Promise<UdpCameraHandle> {
  const clock: Clock = options.clock ?? systemClock;
  const host = options.host ?? "127.0.0.1";
  const errors = new ErrorLog(options.logger, { sim: "visca", link: `udp:${host}:${options.port}` });
  // Over IP the payload address is always 81 out, 90 back.
  const camera = new ViscaCamera({ ...options, clock, address: 1, announceNetworkChange: false });
  let udp: UdpEndpoint | undefined;
  /** Next sequence number we accept; null after a reset (or at start): anything becomes the base. */
  let expected: number | null = null;
  let lastOrigin: Origin | undefined;
  const delayed = new Set<TimerHandle>();

  function send(payloadType: number, sequence: number, payload: Buffer, peer: Peer): void {
    udp?.send(encodeIpMessage({ payloadType, sequence, payload }), peer);
  }

  /** Control replies come from the endpoint, not the camera, but obey the same faults. */
  function control(payload: Buffer, sequence: number, peer: Peer): void {
    if (camera.faults.silent) return;
    if (camera.faults.slowMs <= 0) return send(PayloadType.controlReply, sequence, payload, peer);
    const timer = clock.setTimeout(() => {
      delayed.delete(timer);
      send(PayloadType.controlReply, sequence, payload, peer);
    }, camera.faults.slowMs);
    delayed.add(timer);
  }

  camera.output = (frame, origin) => {
    // Replies without a request (junk on demand) go to whoever spoke last.
    const o = (origin as Origin | undefined) ?? lastOrigin;
    if (o !== undefined) send(PayloadType.reply, o.sequence, frame, o.peer);
  };

  function onMessage(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    const peer = { address: rinfo.address, port: rinfo.port };
    let msg;
    try {
      msg = decodeIpMessage(buf);
    } catch {
      // decodeIpMessage only throws for a bad header: that is the "malformed" answer, not a lost error.
      return control(CONTROL_ERR_MESSAGE, buf.length >= 8 ? buf.readUInt32BE(4) : 0, peer);
    }
    const { payloadType, sequence, payload } = msg;
    if (payloadType === PayloadType.control) {
      if (!payload.equals(CONTROL_RESET)) return control(CONTROL_ERR_MESSAGE, sequence, peer);
      expected = null;
      return control(CONTROL_RESET, sequence, peer);
    }
    if (payloadType !== PayloadType.command && payloadType !== PayloadType.inquiry) {
      return control(CONTROL_ERR_MESSAGE, sequence, peer);
    }
    if (expected !== null && sequence !== expected) return control(CONTROL_ERR_SEQUENCE, sequence, peer);
    expected = nextSequence(sequence);
    const origin: Origin = { peer, sequence };
    lastOrigin = origin;
    const request = decodeRequest(payload);
    // Not a VISCA frame at all (no 8x header): the datagram is malformed, not a camera error.
    if (request.kind === "malformed" && request.address === 0) return control(CONTROL_ERR_MESSAGE, sequence, peer);
    // The header must say what the payload is: a command sent as an inquiry (or the reverse) is a syntax error.
    const typeMatches = request.kind !== "command" && request.kind !== "inquiry"
      ? true
      : (request.kind === "command") === (payloadType === PayloadType.command);
    try {
      if (typeMatches) camera.handle(request, origin);
      else camera.handle({ kind: "unknown", address: request.address, frame: payload }, origin);
    } catch (err) {
      errors.add(err, "camera failed on a request");
    }
  }

  const ep = await startUdpEndpoint({ host, port: options.port, errors, onMessage });
  udp = ep;
  let closed: Promise<void> | undefined;
  return {
    camera,
    faults: camera.faults,
    host,
    get port() {
      return ep.port;
    },
    get errors() {
      return errors.list;
    },
    unplug: () => ep.unplug(),
    replug: () => ep.replug(),
    close() {
      closed ??= (async () => {
        camera.close();
        for (const t of delayed) clock.clearTimeout(t);
        await ep.unplug();
      })();
      return closed;
    },
    describe() {
      return `visca udp ${host}:${ep.port} ${ep.plugged ? "listening" : "unplugged"}`;
    },
  };
}
