/**
 * VISCA over a byte stream (RS-232/RS-422, or a TCP serial server): bytes -> FrameSplitter -> frames.
 *
 * Handshake (run on every open, and again after a `y0 38 FF` network change, by the driver):
 * AddressSet broadcast `88 30 01 FF` (answer `88 30 0n FF`, n = last address + 1), then
 * IF_Clear broadcast `88 01 00 01 FF` (echoed back). Both go through the correlator as urgent
 * control requests, so they never interleave with a command on the wire.
 */
import { DeviceError } from "../types.js";
import type { Transport } from "../transport/types.js";
import { BROADCAST, decodeReply, encodeCommand } from "./codec.js";
import type { ViscaCorrelator, OutboundRequest } from "./correlator.js";
import { FrameSplitter } from "./framer.js";
import type { LinkHandlers, LinkOptions, ViscaLink } from "./link.js";

/** Address-less replies (broadcast answers) that belong to the link handshake. */
export const BROADCAST_REPLIES = new Set(["addressSet", "ifClear"]);

export class SerialViscaLink implements ViscaLink {
  readonly mode = "serial" as const;
  readonly address: number;
  /** Cameras on the chain as counted by the last AddressSet (null before the first). */
  chainLength: number | null = null;
  private readonly splitter: FrameSplitter;
  private readonly handlers: LinkHandlers;
  private readonly replyTimeoutMs: number;

  constructor(
    private readonly transport: Transport,
    opts: LinkOptions,
  ) {
    this.address = opts.address;
    this.handlers = opts.handlers;
    this.replyTimeoutMs = opts.replyTimeoutMs;
    this.splitter = this.newSplitter();
  }

  receive(chunk: Buffer): void {
    for (const frame of this.splitter.push(chunk)) {
      const reply = decodeReply(frame);
      if (reply.type === "unknown") {
        this.handlers.onGarbage(frame, "bad_reply");
        continue;
      }
      if (BROADCAST_REPLIES.has(reply.type)) {
        // Answered by the chain, not necessarily by our camera: not proof that it is there.
        this.handlers.onReply(reply);
      } else if ("address" in reply && reply.address === this.address) {
        this.handlers.onContact();
        this.handlers.onReply(reply);
      } else {
        // Another camera on the chain answering someone else: not ours to match.
        this.handlers.onEvent({ type: "foreign_reply", data: { frame: frame.toString("hex") } });
      }
    }
  }

  send(req: OutboundRequest): Promise<void> {
    return this.transport.write(req.frame);
  }

  async handshake(correlator: ViscaCorrelator): Promise<void> {
    const opts = { urgent: true, replyTimeoutMs: this.replyTimeoutMs };
    const set = await correlator.control(
      encodeCommand(BROADCAST, { type: "addressSet" }),
      (r) => r.type === "addressSet",
      opts,
    );
    if (set.type === "addressSet") {
      this.chainLength = set.next - 1;
      if (this.address > this.chainLength) {
        throw new DeviceError(
          "device_error",
          `AddressSet counted ${this.chainLength} camera(s) on the chain; address ${this.address} is not there`,
          { visca: "address_absent", chainLength: this.chainLength },
        );
      }
    }
    await correlator.control(encodeCommand(BROADCAST, { type: "ifClear" }), (r) => r.type === "ifClear", opts);
  }

  reset(): void {
    // A partial frame from before the loss must not glue onto the first bytes after reconnect.
    // It is not garbage the device sent us (the line went away mid-frame), so it is not counted.
    this.splitter.reset();
  }

  private newSplitter(): FrameSplitter {
    const s = new FrameSplitter();
    s.onGarbage = (bytes: Buffer, reason: string) => this.handlers.onGarbage(bytes, reason);
    return s;
  }
}
