import { describe, expect, it } from "vitest";
import { formatWatchLine } from "./watch-format.js";

const at = new Date("2026-11-22T08:00:00.000Z");

describe("roomgate watch lines", () => {
  it("makes a raised alarm stand out, with severity, code, device and who acknowledged it", () => {
    const a = { severity: "critical", code: "not_secure", device: "enc-1", raisedAt: 1, message: "secure session in hall: encryptor state BYPASS", ack: { user: "op-anna", at: 2 } };
    const line = formatWatchLine("roomgate/v1/d7/alarm/hall-not-secure", Buffer.from(JSON.stringify(a)), true, at);
    expect(line.split("\n")[1]).toBe(
      "    ALARM CRITICAL  hall-not-secure  not_secure on enc-1: secure session in hall: encryptor state BYPASS  (acknowledged by op-anna)",
    );
    expect(formatWatchLine("roomgate/v1/d7/alarm/hall-not-secure", Buffer.alloc(0), true, at)).toContain("ALARM CLEARED  hall-not-secure");
  });

  it("prints other topics as they came", () => {
    expect(formatWatchLine("roomgate/v1/d7/dev/cam/health", Buffer.from('{"status":"ok"}'), false, at)).toBe(
      '2026-11-22T08:00:00.000Z roomgate/v1/d7/dev/cam/health {"status":"ok"}',
    );
  });
});
