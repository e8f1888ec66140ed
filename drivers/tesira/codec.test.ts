import { describe, expect, it } from "vitest";
import { encodeCommand, errorKind, formatNumber, parseLine, TtpCodecError } from "./codec.js";

describe("encodeCommand", () => {
  it("writes `InstanceTag verb attribute [index...] [value]` + LF, quoting tags with spaces", () => {
    expect(encodeCommand({ tag: "Level1", verb: "set", attribute: "level", args: [1, -12] })).toBe("Level1 set level 1 -12\n");
    expect(encodeCommand({ tag: "Mic Mute", verb: "set", attribute: "mute", args: [2, true] })).toBe('"Mic Mute" set mute 2 true\n');
    expect(encodeCommand({ tag: "Mute1", verb: "toggle", attribute: "mute", args: [1] })).toBe("Mute1 toggle mute 1\n");
    expect(encodeCommand({ tag: "DEVICE", verb: "recallPreset", args: [1001] })).toBe("DEVICE recallPreset 1001\n");
    expect(encodeCommand({ tag: "Level1", verb: "subscribe", attribute: "level", args: [1, "MyLabel", 500] })).toBe("Level1 subscribe level 1 MyLabel 500\n");
    expect(encodeCommand({ tag: "Level1", verb: "increment", attribute: "level", args: [1, 0.5] })).toBe("Level1 increment level 1 0.5\n");
  });

  it("never writes exponents, and refuses what cannot be carried", () => {
    expect(formatNumber(-12.25)).toBe("-12.25");
    expect(formatNumber(1e-7)).toBe("0");
    expect(formatNumber(-99.1234567)).toBe("-99.123457");
    expect(() => encodeCommand({ tag: 'bad"tag', verb: "get", attribute: "mute" })).toThrow(TtpCodecError);
    expect(() => encodeCommand({ tag: "a\nb", verb: "get" })).toThrow(TtpCodecError);
    expect(() => encodeCommand({ tag: "L", verb: "get level", attribute: "x" })).toThrow(TtpCodecError);
    expect(() => encodeCommand({ tag: "L", verb: "subscribe", attribute: "level", args: [1, "two words"] })).toThrow(TtpCodecError);
  });
});

describe("parseLine (lines from PROTOCOLS.md and Biamp's TTP pages)", () => {
  it("+OK with verbose values, lists, bare values and nothing", () => {
    expect(parseLine('+OK "value":-10.000000')).toMatchObject({ type: "ok", value: -10 });
    expect(parseLine('+OK "value":false')).toMatchObject({ type: "ok", value: false });
    expect(parseLine('+OK "value":"4.7.1.23"')).toMatchObject({ type: "ok", value: "4.7.1.23" });
    expect(parseLine('+OK "list":["Level1","Mute1" "Program Level"]')).toMatchObject({ type: "ok", fields: { list: ["Level1", "Mute1", "Program Level"] }, value: undefined });
    expect(parseLine('+OK "failedDevices":[ ]')).toMatchObject({ type: "ok", fields: { failedDevices: [] } });
    expect(parseLine("+OK")).toMatchObject({ type: "ok", fields: {}, value: undefined });
    expect(parseLine("+OK 2")).toMatchObject({ type: "ok", value: 2 });
    expect(parseLine('+OK "time":"12:00" "number":"503-367-3568" "line":"2"')).toMatchObject({ fields: { time: "12:00", number: "503-367-3568", line: "2" } });
  });

  it("errors keep the device's text and get a stable kind", () => {
    const nf = parseLine('-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}');
    expect(nf).toEqual({ type: "error", code: "ERR", text: 'address not found: {"deviceId":0 "classCode":0 "instanceNum":0}', raw: nf.raw });
    expect(errorKind(nf as { code: string; text: string })).toBe("address_not_found");
    const cases: [string, string][] = [
      ["-ERR Parse error at 8: verb was not one of the commands supported by Services", "parse_error"],
      ["-ERR INVALID_PARAMETER", "invalid_parameter"],
      ["-ERR WRONG_STATE", "wrong_state"],
      ["-ERR ALREADY_SUBSCRIBED", "already_subscribed"],
      ["-CANNOT_DELIVER", "cannot_deliver"],
      ["-GENERAL_FAILURE", "general_failure"],
      ["-ERR 'Aliases' is not supported by TextSession::Attributes", "error"],
    ];
    for (const [line, kind] of cases) {
      const l = parseLine(line);
      expect(l.type, line).toBe("error");
      expect(errorKind(l as { code: string; text: string }), line).toBe(kind);
    }
  });

  it("pushes, with or without the subscribe's trailing +OK; an empty label is a token too", () => {
    expect(parseLine('! "publishToken":"MyLabel" "value":-35.3')).toMatchObject({ type: "push", token: "MyLabel", value: -35.3, withOk: false });
    expect(parseLine('! "publishToken":"MyLevelName" "value":-100.000000 +OK')).toMatchObject({ type: "push", token: "MyLevelName", value: -100, withOk: true });
    expect(parseLine('! "publishToken":"" "value":true')).toMatchObject({ type: "push", token: "", value: true });
    expect(parseLine('! "value":1')).toMatchObject({ type: "garbled", reason: "push without publishToken" });
  });

  it("the banner, echoes of our commands, and junk", () => {
    expect(parseLine("Welcome to the Tesira Text Protocol Server...")).toMatchObject({ type: "banner" });
    expect(parseLine("Level1 get level 1")).toMatchObject({ type: "other" });
    expect(parseLine('"Mic Level" set level 1 -12')).toMatchObject({ type: "other" });
    expect(parseLine('+OK "value":#garbled#')).toMatchObject({ type: "garbled" });
    expect(parseLine('+OK "value":"unterminated')).toMatchObject({ type: "garbled", reason: "unterminated string" });
    expect(parseLine("+OKAY")).toMatchObject({ type: "other" });
    expect(parseLine("-12")).toMatchObject({ type: "other" });
  });
});
