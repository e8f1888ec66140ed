/**
 * Property tests of the VISCA codec (issue 9, item 5): every command and inquiry the driver may send
 * survives the trip through the simulator's decoder, and the decoders never throw on any bytes.
 * Arbitraries are built from the ranges in codec-tables.ts, so a range change there shows up here.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BROADCAST, decodeReply, decodeRequest, encodeCommand, encodeInquiry, encodeInquiryValue, encodeReply, errorByte,
  PAN_SPEED_MAX, parseInquiryValue, PRESET_MAX, TILT_SPEED_MAX, ViscaCodecError, ZOOM_MAX, ZOOM_SPEED_MAX,
  type PanTiltDirection, type ViscaCommand, type ViscaErrorCode, type ViscaInquiry, type ViscaReply,
} from "./codec.js";

const RUNS = 1000;

const DIRECTIONS: PanTiltDirection[] = [
  "up", "down", "left", "right", "up-left", "up-right", "down-left", "down-right", "stop",
];
const INQUIRIES: ViscaInquiry[] = ["power", "panTiltPosition", "zoomPosition", "focusMode"];
const ERROR_CODES: ViscaErrorCode[] = ["message_length", "syntax", "buffer_full", "cancelled", "no_socket", "not_executable"];

const panSpeed = fc.integer({ min: 1, max: PAN_SPEED_MAX });
const tiltSpeed = fc.integer({ min: 1, max: TILT_SPEED_MAX });
const s16 = fc.integer({ min: -0x8000, max: 0x7fff });
const notFF = fc.integer({ min: 0, max: 0xfe });

/** Every ViscaCommand encodeCommand accepts. */
const commandArb: fc.Arbitrary<ViscaCommand> = fc.oneof(
  fc.record({ type: fc.constant("power" as const), on: fc.boolean() }),
  fc.constant({ type: "ifClear" as const }),
  fc.record({ type: fc.constant("addressSet" as const), first: fc.integer({ min: 1, max: 7 }) }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constant("panTiltDrive" as const), direction: fc.constantFrom(...DIRECTIONS), panSpeed, tiltSpeed }),
  fc.record({
    type: fc.constantFrom("panTiltAbsolute" as const, "panTiltRelative" as const), pan: s16, tilt: s16, panSpeed, tiltSpeed,
  }),
  fc.constant({ type: "panTiltHome" as const }),
  fc.constant({ type: "panTiltReset" as const }),
  fc.record({ type: fc.constant("zoom" as const), mode: fc.constantFrom("stop" as const, "tele" as const, "wide" as const) }),
  fc.record({
    type: fc.constant("zoomVariable" as const),
    direction: fc.constantFrom("tele" as const, "wide" as const),
    speed: fc.integer({ min: 0, max: ZOOM_SPEED_MAX }),
  }),
  fc.record({ type: fc.constant("zoomDirect" as const), position: fc.integer({ min: 0, max: ZOOM_MAX }) }),
  fc.record({ type: fc.constant("focusMode" as const), mode: fc.constantFrom("auto" as const, "manual" as const) }),
  fc.constant({ type: "focusOnePush" as const }),
  fc.record({
    type: fc.constant("preset" as const),
    op: fc.constantFrom("reset" as const, "set" as const, "recall" as const),
    preset: fc.integer({ min: 0, max: PRESET_MAX }),
  }),
  fc.record({ type: fc.constant("cancel" as const), socket: fc.constantFrom(1 as const, 2 as const) }),
);

const address = fc.integer({ min: 1, max: 7 });
const knownErrorBytes = new Set(ERROR_CODES.map(errorByte));

/** Every reply encodeReply accepts and decodeReply can tell apart (inquiry data 1..13 bytes: frame <= 16). */
const replyArb: fc.Arbitrary<ViscaReply> = fc.oneof(
  fc.record({ type: fc.constant("ack" as const), address, socket: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ type: fc.constant("completion" as const), address, socket: fc.integer({ min: 0, max: 2 }) }),
  fc.record({
    type: fc.constant("inquiry" as const),
    address,
    data: fc.array(notFF, { minLength: 1, maxLength: 13 }).map((a) => Buffer.from(a)),
  }),
  fc.record({ type: fc.constant("error" as const), address, socket: fc.integer({ min: 0, max: 2 }), code: fc.constantFrom(...ERROR_CODES) })
    .map((r): ViscaReply => ({ ...r, raw: errorByte(r.code) })),
  fc.record({
    type: fc.constant("error" as const),
    address,
    socket: fc.integer({ min: 0, max: 2 }),
    code: fc.constant("unknown" as const),
    raw: notFF.filter((b) => !knownErrorBytes.has(b)),
  }),
  fc.record({ type: fc.constant("networkChange" as const), address }),
  fc.record({ type: fc.constant("addressSet" as const), next: fc.integer({ min: 1, max: 8 }) }),
  fc.constant({ type: "ifClear" as const }),
);

/** Arbitrary bytes, plus "almost frames" (header with the high bit, body, FF) that reach the deep branches. */
const anyBytes = fc.oneof(
  fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)),
  fc.tuple(fc.integer({ min: 0x80, max: 0xff }), fc.array(fc.oneof(notFF, fc.integer({ min: 0, max: 0x0f })), { maxLength: 15 }))
    .map(([h, body]) => Buffer.from([h, ...body, 0xff])),
);

const REPLY_TYPES = new Set(["ack", "completion", "inquiry", "error", "networkChange", "addressSet", "ifClear", "unknown"]);
const REQUEST_KINDS = new Set(["command", "inquiry", "unknown", "malformed"]);

function assertFrameShape(frame: Buffer): void {
  expect(frame.length).toBeGreaterThanOrEqual(3);
  expect(frame.length).toBeLessThanOrEqual(16);
  expect(frame[frame.length - 1]).toBe(0xff);
  expect(frame.subarray(0, -1).includes(0xff)).toBe(false);
}

describe("VISCA codec properties", () => {
  it("every valid command round-trips through decodeRequest, in a 3..16 byte frame with FF only at the end", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: BROADCAST }), commandArb, (addr, cmd) => {
        const frame = encodeCommand(addr, cmd);
        assertFrameShape(frame);
        // AddressSet always goes out broadcast (88) and its `first` defaults to 1.
        const expected = cmd.type === "addressSet"
          ? { kind: "command", address: BROADCAST, command: { type: "addressSet", first: cmd.first ?? 1 } }
          : { kind: "command", address: addr, command: cmd };
        expect(decodeRequest(frame)).toEqual(expected);
      }),
      { numRuns: RUNS },
    );
  });

  it("every inquiry round-trips through decodeRequest", () => {
    fc.assert(
      fc.property(address, fc.constantFrom(...INQUIRIES), (addr, inquiry) => {
        const frame = encodeInquiry(addr, inquiry);
        assertFrameShape(frame);
        expect(decodeRequest(frame)).toEqual({ kind: "inquiry", address: addr, inquiry });
      }),
      { numRuns: 100 },
    );
  });

  it("encodeReply/decodeReply round-trip for ack, completion, error, inquiry and the 88 replies", () => {
    fc.assert(
      fc.property(replyArb, (reply) => {
        const frame = encodeReply(reply);
        assertFrameShape(frame);
        expect(decodeReply(frame)).toEqual(reply);
      }),
      { numRuns: RUNS },
    );
  });

  it("inquiry values round-trip through encodeInquiryValue/parseInquiryValue", () => {
    const valueArb = fc.oneof(
      fc.constantFrom("on" as const, "standby" as const).map((v) => ["power", v] as const),
      fc.constantFrom("auto" as const, "manual" as const).map((v) => ["focusMode", v] as const),
      fc.record({ pan: s16, tilt: s16 }).map((v) => ["panTiltPosition", v] as const),
      fc.integer({ min: 0, max: 0xffff }).map((v) => ["zoomPosition", v] as const),
    );
    fc.assert(
      fc.property(valueArb, ([inquiry, value]) => {
        const data = encodeInquiryValue(inquiry, value as never);
        expect(data.includes(0xff)).toBe(false);
        expect(parseInquiryValue(inquiry, data)).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });

  it("decodeReply never throws on any bytes, and what it recognises re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const reply = decodeReply(bytes);
        expect(REPLY_TYPES.has(reply.type)).toBe(true);
        if (reply.type === "unknown") expect(reply.frame).toEqual(bytes);
        else expect(encodeReply(reply)).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it("decodeRequest never throws on any bytes, and a recognised command or inquiry re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(anyBytes, (bytes) => {
        const req = decodeRequest(bytes);
        expect(REQUEST_KINDS.has(req.kind)).toBe(true);
        if (req.kind === "command") expect(encodeCommand(req.address, req.command)).toEqual(bytes);
        else if (req.kind === "inquiry") expect(encodeInquiry(req.address, req.inquiry)).toEqual(bytes);
        else expect(req.frame).toEqual(bytes);
      }),
      { numRuns: RUNS },
    );
  });

  it("parseInquiryValue on random data returns or throws ViscaCodecError bad_data, never another error", () => {
    const data = fc.oneof(
      fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)),
      fc.array(fc.integer({ min: 0, max: 0x10 }), { minLength: 1, maxLength: 9 }).map((a) => Buffer.from(a)),
    );
    fc.assert(
      fc.property(fc.constantFrom(...INQUIRIES), data, (inquiry, bytes) => {
        try {
          const value = parseInquiryValue(inquiry, bytes);
          // A value it accepts is one the camera could have sent: it encodes back to the same data.
          expect(encodeInquiryValue(inquiry, value)).toEqual(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(ViscaCodecError);
          expect((err as ViscaCodecError).code).toBe("bad_data");
        }
      }),
      { numRuns: RUNS },
    );
  });
});
