/**
 * A VISCA link turns transport bytes into decoded replies and requests into bytes on the wire.
 * Two kinds: the serial link (a byte stream, also used for TCP serial servers) and the IP link
 * (VISCA over IP, one UDP datagram per message). The driver owns the transport listeners and feeds
 * `receive()`; the link never subscribes to anything itself, so there is nothing to remove on stop.
 */
import type { Clock, DeviceError, DriverEvent } from "../types.js";
import type { Transport } from "../transport/types.js";
import type { ViscaReply } from "./codec.js";
import type { OutboundRequest, ViscaCorrelator } from "./correlator.js";
import { SerialViscaLink } from "./link-serial.js";
import { IpViscaLink } from "./link-ip.js";

export interface LinkHandlers {
  /** A well-formed VISCA reply addressed to us. */
  onReply(reply: ViscaReply): void;
  /** Anything well-formed from our camera (an addressed VISCA reply or an IP control reply): proof of life. */
  onContact(): void;
  /** Bytes that were not a frame (reason from the framer, or `bad_header` / `bad_reply` on IP). */
  onGarbage(bytes: Buffer, reason: string): void;
  /** The link failed this request itself (IP `0F 02` malformed, or a sequence reset that failed). */
  onRequestFailed(id: number, err: DeviceError): void;
  /** Things worth telling the centre: `sequence_reset`, `foreign_reply`, `unexpected_datagram`. */
  onEvent(event: DriverEvent): void;
}

export interface LinkOptions {
  /** Camera address 1..7 (serial). The IP link always uses 1 (`81` out, `90` back). */
  address: number;
  /** Deadline for link-level answers (AddressSet, IF_Clear, IP control reset). */
  replyTimeoutMs: number;
  clock: Clock;
  handlers: LinkHandlers;
}

export interface ViscaLink {
  readonly mode: "serial" | "ip";
  /** The camera address to put in outgoing frames. */
  readonly address: number;
  /** Bytes (serial) or one datagram (IP) from the transport. */
  receive(chunk: Buffer): void;
  /** Puts one request on the wire (used as the correlator's send function). */
  send(req: OutboundRequest): Promise<void>;
  /** Runs the link handshake after the transport opens (serial: AddressSet + IF_Clear; IP: sequence reset). */
  handshake(correlator: ViscaCorrelator): Promise<void>;
  /** The transport left `open`: drop partial frames and link state. */
  reset(): void;
}

/** Picks the link for a transport: UDP speaks VISCA over IP, serial and TCP carry the raw byte stream. */
export function createLink(transport: Transport, opts: LinkOptions): ViscaLink {
  return transport.kind === "udp" ? new IpViscaLink(transport, opts) : new SerialViscaLink(transport, opts);
}
