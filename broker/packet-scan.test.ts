import { describe, expect, it } from "vitest";
import mqttPacket from "mqtt-packet";
import { PacketScanner, PUBLISH, SUBSCRIBE } from "./packet-scan.js";

const publish = (payloadBytes: number): Buffer =>
  mqttPacket.generate({ cmd: "publish", topic: "roomgate/v1/s1/event", payload: Buffer.alloc(payloadBytes, 0x61), qos: 0, retain: false, dup: false });

const scanAll = (scanner: PacketScanner, chunks: Buffer[]) => {
  const types: number[] = [];
  let error;
  for (const c of chunks) {
    error = scanner.scan(c, (t) => types.push(t));
    if (error) break;
  }
  return { types, error };
};

/** Every way of cutting `buf` into two pieces, and byte by byte. */
const cuts = (buf: Buffer): Buffer[][] => [
  [buf],
  ...Array.from({ length: buf.length - 1 }, (_, i) => [buf.subarray(0, i + 1), buf.subarray(i + 1)]),
  [...buf].map((b) => Buffer.from([b])),
];

describe("PacketScanner", () => {
  it("sees every packet's type however the stream is cut", () => {
    const stream = Buffer.concat([
      mqttPacket.generate({ cmd: "pingreq" }),
      publish(300), // two-byte remaining length
      mqttPacket.generate({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "a/#", qos: 1 }] }),
      publish(0),
    ]);
    for (const chunks of cuts(stream)) {
      expect(scanAll(new PacketScanner(1024 * 1024), chunks)).toEqual({ types: [12, PUBLISH, SUBSCRIBE, PUBLISH], error: undefined });
    }
  });

  it("refuses a packet over the limit from its header alone, naming its size", () => {
    const big = publish(2000);
    const header = big.subarray(0, 4); // type + 2-byte length + 1 byte of body
    const r = scanAll(new PacketScanner(1024), [header]);
    expect(r.error).toMatchObject({ code: "too_large", type: PUBLISH, bytes: big.length });
    expect(r.types).toEqual([]);
  });

  it("accepts a packet of exactly the limit", () => {
    const p = publish(1000);
    expect(scanAll(new PacketScanner(p.length), [p])).toEqual({ types: [PUBLISH], error: undefined });
    expect(scanAll(new PacketScanner(p.length - 1), [p]).error?.code).toBe("too_large");
  });

  it("calls a remaining length of five bytes malformed, and stays failed", () => {
    const scanner = new PacketScanner(256 * 1024 * 1024);
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(scanner.scan(bad, () => undefined)).toMatchObject({ code: "malformed" });
    expect(scanner.scan(publish(1), () => undefined)).toMatchObject({ code: "malformed" });
  });
});
