/**
 * VISCA over IP (UDP 52381): each request goes out as one datagram with the 8-byte header of ip.ts
 * (command 0100, inquiry 0110) and our own sequence number; replies (0111) echo it.
 *
 * Sequence rules: on open (handshake) the link sends the control reset `01` and, once the camera
 * answers 0201 `01`, numbers requests from 0. A control reply 0201 `0F 01` (sequence out of order)
 * triggers the same reset, then the request it names is sent again, once. 0201 `0F 02` (malformed)
 * fails that request with `device_error` {visca: "malformed"}. Requests issued during a reset wait for it.
 */
import type { Clock, TimerHandle } from "../types.js";
import type { Transport } from "../transport/types.js";
import { DeviceError } from "../types.js";
import { decodeReply } from "./codec.js";
import type { OutboundRequest } from "./correlator.js";
import { FrameSplitter } from "./framer.js";
import {
  CONTROL_ERR_MESSAGE,
  CONTROL_ERR_SEQUENCE,
  CONTROL_RESET,
  decodeIpMessage,
  encodeIpMessage,
  nextSequence,
  PayloadType,
  type ViscaIpMessage,
} from "./ip.js";
import type { LinkHandlers, LinkOptions, ViscaLink } from "./link.js";

/** How many sent datagrams we remember, to resend or fail the one a control reply names. */
const SENT_MEMORY = 16;

interface ResetWaiter {
  resolve: () => void;
  reject: (err: DeviceError) => void;
  timer: TimerHandle;
}

export class IpViscaLink implements ViscaLink {
  readonly mode = "ip" as const;
  /** Over IP the camera is always `81` out / `90` back. */
  readonly address = 1;
  /** The sequence number the next request will carry. */
  sequence = 0;
  private readonly handlers: LinkHandlers;
  private readonly replyTimeoutMs: number;
  private readonly clock: Clock;
  private readonly sent = new Map<number, OutboundRequest>();
  private readonly resent = new Set<number>();
  private resetting: Promise<void> | null = null;
  private waiter: ResetWaiter | null = null;

  constructor(
    private readonly transport: Transport,
    opts: LinkOptions,
  ) {
    this.handlers = opts.handlers;
    this.replyTimeoutMs = opts.replyTimeoutMs;
    this.clock = opts.clock;
  }

  receive(datagram: Buffer): void {
    let msg: ViscaIpMessage;
    try {
      msg = decodeIpMessage(datagram);
    } catch {
      // decodeIpMessage throws only for a short datagram or a wrong length field: count it as garbage.
      this.handlers.onGarbage(datagram, "bad_header");
      return;
    }
    if (msg.payloadType === PayloadType.reply) this.receiveReply(msg);
    else if (msg.payloadType === PayloadType.controlReply) this.receiveControl(msg);
    else {
      this.handlers.onEvent({
        type: "unexpected_datagram",
        data: { payloadType: msg.payloadType, sequence: msg.sequence },
      });
    }
  }

  async send(req: OutboundRequest): Promise<void> {
    while (this.resetting) await this.resetting.catch(() => undefined); // the reset's failure is reported by its owner
    const seq = this.sequence;
    this.sequence = nextSequence(seq);
    this.sent.set(seq, req);
    if (this.sent.size > SENT_MEMORY) {
      const oldest = this.sent.keys().next().value;
      if (oldest !== undefined) this.sent.delete(oldest);
    }
    const payloadType = req.kind === "inquiry" ? PayloadType.inquiry : PayloadType.command;
    await this.transport.write(encodeIpMessage({ payloadType, sequence: seq, payload: req.frame }));
  }

  handshake(): Promise<void> {
    return this.resetSequence();
  }

  reset(): void {
    this.sent.clear();
    this.resent.clear();
    this.failWaiter(new DeviceError("not_connected", "link lost during sequence reset"));
  }

  /** Sends control `01`, waits for 0201 `01`, then numbers from 0. Concurrent callers share one reset. */
  resetSequence(): Promise<void> {
    if (this.resetting) return this.resetting;
    const run = new Promise<void>((resolve, reject) => {
      const timer = this.clock.setTimeout(
        () => this.failWaiter(new DeviceError("timeout", `no answer to the sequence reset within ${this.replyTimeoutMs} ms`, { stage: "reply" })),
        this.replyTimeoutMs,
      );
      this.waiter = { resolve, reject, timer };
      const datagram = encodeIpMessage({ payloadType: PayloadType.control, sequence: this.sequence, payload: CONTROL_RESET });
      this.transport.write(datagram).catch((e: unknown) => {
        const message = e instanceof Error ? e.message : String(e);
        this.failWaiter(new DeviceError("not_connected", `sequence reset not sent: ${message}`));
      });
    }).finally(() => {
      this.resetting = null;
    });
    this.resetting = run;
    return run;
  }

  private receiveReply(msg: ViscaIpMessage): void {
    // One datagram carries whole frames: a fresh splitter keeps a torn payload from gluing onto the next.
    const splitter = new FrameSplitter();
    splitter.onGarbage = (bytes: Buffer, reason: string) => this.handlers.onGarbage(bytes, reason);
    const frames = splitter.push(msg.payload);
    const leftover = splitter.reset();
    if (leftover.length > 0) this.handlers.onGarbage(leftover, "truncated");
    for (const frame of frames) {
      const reply = decodeReply(frame);
      if (reply.type === "unknown") {
        this.handlers.onGarbage(frame, "bad_reply");
        continue;
      }
      this.handlers.onContact();
      this.handlers.onReply(reply);
    }
  }

  private receiveControl(msg: ViscaIpMessage): void {
    this.handlers.onContact();
    if (msg.payload.equals(CONTROL_RESET)) {
      const w = this.waiter;
      if (!w) return;
      this.waiter = null;
      this.clock.clearTimeout(w.timer);
      this.sequence = 0;
      this.sent.clear();
      w.resolve();
      return;
    }
    const req = this.sent.get(msg.sequence);
    if (msg.payload.equals(CONTROL_ERR_SEQUENCE)) {
      void this.recoverSequence(req);
      return;
    }
    if (msg.payload.equals(CONTROL_ERR_MESSAGE)) {
      if (req) {
        this.handlers.onRequestFailed(
          req.id,
          new DeviceError("device_error", "camera rejected the message as malformed (0F 02)", { visca: "malformed" }),
        );
      }
      return;
    }
    this.handlers.onEvent({ type: "unexpected_datagram", data: { payloadType: msg.payloadType, payload: msg.payload.toString("hex") } });
  }

  /** `0F 01`: reset the sequence, then send the named request again (once; a second refusal fails it). */
  private async recoverSequence(req: OutboundRequest | undefined): Promise<void> {
    if (req && this.resent.has(req.id)) {
      this.handlers.onRequestFailed(
        req.id,
        new DeviceError("device_error", "camera refused the sequence number again after a reset", { visca: "sequence" }),
      );
      return;
    }
    this.handlers.onEvent({ type: "sequence_reset", message: "camera reported sequence out of order; resetting" });
    try {
      await this.resetSequence();
    } catch (e) {
      if (req) this.handlers.onRequestFailed(req.id, asDeviceError(e));
      return;
    }
    if (!req) return;
    this.resent.add(req.id);
    if (this.resent.size > SENT_MEMORY) {
      const oldest = this.resent.values().next().value;
      if (oldest !== undefined) this.resent.delete(oldest);
    }
    try {
      await this.send(req);
    } catch (e) {
      this.handlers.onRequestFailed(req.id, asDeviceError(e));
    }
  }

  private failWaiter(err: DeviceError): void {
    const w = this.waiter;
    if (!w) return;
    this.waiter = null;
    this.clock.clearTimeout(w.timer);
    w.reject(err);
  }
}

function asDeviceError(e: unknown): DeviceError {
  if (e instanceof DeviceError) return e;
  return new DeviceError("not_connected", e instanceof Error ? e.message : String(e));
}
