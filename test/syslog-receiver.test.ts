/**
 * The stand-in collector's own reading of RFC 6587 octet counting and RFC 5424, checked against the
 * RFCs' text (not against our formatter), so the forwarder's tests against it mean something.
 */
import { describe, expect, it } from "vitest";
import { OctetDeframer, parseRfc5424 } from "./helpers/syslog-receiver.js";

const EXAMPLE_3 = '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \ufeffAn application event log entry...';

describe("the stand-in's octet-counting deframer", () => {
  it("finds the same frames however the stream is cut", () => {
    const a = Buffer.from(EXAMPLE_3, "utf8");
    const b = Buffer.from("<34>1 - - - - - -", "utf8");
    const stream = Buffer.concat([Buffer.from(`${a.length} `), a, Buffer.from(`${b.length} `), b]);
    for (const size of [1, 2, 3, 7, 64, stream.length]) {
      const d = new OctetDeframer();
      const frames: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) frames.push(...d.push(stream.subarray(i, i + size)));
      expect(frames, `chunks of ${size}`).toEqual([a, b]);
      expect(d.rest).toBe(0);
    }
  });

  it("refuses a length that is not MSG-LEN", () => {
    expect(() => new OctetDeframer().push(Buffer.from("012 x"))).toThrow(/MSG-LEN/);
    expect(() => new OctetDeframer().push(Buffer.from("<34>1 - -"))).toThrow(/MSG-LEN/);
    expect(() => new OctetDeframer().push(Buffer.from("12345678901"))).toThrow(/no SP/);
  });
});

describe("the stand-in's RFC 5424 parser", () => {
  it("reads the RFC's example 3", () => {
    expect(parseRfc5424(Buffer.from(EXAMPLE_3, "utf8"))).toEqual({
      pri: 165, facility: 20, severity: 5, timestamp: "2003-10-11T22:14:15.003Z", hostname: "mymachine.example.com", appName: "evntslog",
      procId: "-", msgId: "ID47", sd: { "exampleSDID@32473": { iut: "3", eventSource: "Application", eventID: "1011" } },
      msg: "An application event log entry...", bom: true,
    });
  });

  it("unescapes \\\" \\\\ \\] and keeps any other backslash (§6.3.3)", () => {
    const m = parseRfc5424(Buffer.from('<14>1 - - - - - [a@1 v="x\\"y\\\\z\\]w\\n"][b@1]'));
    expect(m.sd).toEqual({ "a@1": { v: 'x"y\\z]w\\n' }, "b@1": {} });
    expect(m.msg).toBe("");
  });

  it("refuses what the ABNF does not allow", () => {
    expect(() => parseRfc5424(Buffer.from("<14> - - - - - -"))).toThrow();
    expect(() => parseRfc5424(Buffer.from('<14>1 - - - - - [a@1 v="x]"]'))).toThrow(/unescaped/);
    expect(() => parseRfc5424(Buffer.from('<192>1 - - - - - -'))).toThrow(/PRI/);
  });
});
