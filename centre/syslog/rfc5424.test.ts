import { describe, expect, it } from "vitest";
import { cutUtf8, escapeParamValue, formatRfc5424, formatStructuredData, octetFrame, rfc3339, Rfc5424Error, type Rfc5424Message } from "./rfc5424.js";

const BOM = "\u{feff}";
const exampleSd = { id: "exampleSDID@32473", params: [["iut", "3"], ["eventSource", "Application"], ["eventID", "1011"]] as const };

describe("RFC 5424 messages: the RFC's own examples (§6.5), byte for byte", () => {
  it("example 1: no structured data, UTF-8 text with its BOM", () => {
    const m: Rfc5424Message = {
      facility: 4, severity: 2, timestamp: "2003-10-11T22:14:15.003Z", hostname: "mymachine.example.com", appName: "su", procId: null, msgId: "ID47",
      structuredData: [], msg: "'su root' failed for lonvick on /dev/pts/8",
    };
    expect(formatRfc5424(m, { bom: "always" })).toBe(`<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - ${BOM}'su root' failed for lonvick on /dev/pts/8`);
  });

  it("example 2: an offset and microseconds in the timestamp, a PROCID, no MSGID, US-ASCII text without BOM", () => {
    const m: Rfc5424Message = {
      facility: 20, severity: 5, timestamp: "2003-08-24T05:14:15.000003-07:00", hostname: "192.0.2.1", appName: "myproc", procId: "8710", msgId: null,
      structuredData: [], msg: "%% It's time to make the do-nuts.",
    };
    expect(formatRfc5424(m)).toBe("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
  });

  it("example 3: structured data and a message", () => {
    const m: Rfc5424Message = {
      facility: 20, severity: 5, timestamp: "2003-10-11T22:14:15.003Z", hostname: "mymachine.example.com", appName: "evntslog", procId: null, msgId: "ID47",
      structuredData: [exampleSd], msg: "An application event log entry...",
    };
    expect(formatRfc5424(m, { bom: "always" })).toBe(
      `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ${BOM}An application event log entry...`,
    );
  });

  it("example 4: structured data only, two elements with no space between them", () => {
    const m: Rfc5424Message = {
      facility: 20, severity: 5, timestamp: "2003-10-11T22:14:15.003Z", hostname: "mymachine.example.com", appName: "evntslog", procId: null, msgId: "ID47",
      structuredData: [exampleSd, { id: "examplePriority@32473", params: [["class", "high"]] }],
    };
    expect(formatRfc5424(m)).toBe(
      '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]',
    );
  });

  it("writes a non-ASCII message as UTF-8 after a BOM, and an ASCII one without", () => {
    const base: Rfc5424Message = { facility: 20, severity: 6, timestamp: null, hostname: null, appName: "roomgate", procId: null, msgId: null, structuredData: [] };
    expect(Buffer.from(formatRfc5424({ ...base, msg: "Phòng họp" }), "utf8")).toEqual(
      Buffer.concat([Buffer.from("<166>1 - - roomgate - - - "), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from("Phòng họp", "utf8")]),
    );
    expect(formatRfc5424({ ...base, msg: "plain" })).toBe("<166>1 - - roomgate - - - plain");
  });
});

describe("structured data (§6.3)", () => {
  it("escapes exactly \", \\ and ] in a PARAM-VALUE (§6.3.3)", () => {
    expect(escapeParamValue('a"b\\c]d')).toBe('a\\"b\\\\c\\]d');
    // Everything else stays: [ = spaces, control characters and UTF-8 are allowed in a value.
    expect(escapeParamValue("[x=1 y]\n Đà Nẵng")).toBe("[x=1 y\\]\n Đà Nẵng");
    expect(formatStructuredData([{ id: "roomgate@32473", params: [["message", 'he said "stop\\now]"']] }])).toBe(
      '[roomgate@32473 message="he said \\"stop\\\\now\\]\\""]',
    );
  });

  it("is the NILVALUE when there is none", () => {
    expect(formatStructuredData([])).toBe("-");
  });

  it("refuses SD-IDs and PARAM-NAMEs that are not SD-NAMEs", () => {
    for (const bad of ["", "a b", "a=b", "a]b", 'a"b', "x".repeat(33), "é"]) {
      expect(() => formatStructuredData([{ id: bad, params: [] }]), bad).toThrow(Rfc5424Error);
      expect(() => formatStructuredData([{ id: "ok@1", params: [[bad, "v"]] }]), bad).toThrow(Rfc5424Error);
    }
    expect(formatStructuredData([{ id: "x".repeat(32), params: [] }])).toBe(`[${"x".repeat(32)}]`);
  });
});

describe("header fields", () => {
  const ok: Rfc5424Message = { facility: 20, severity: 4, timestamp: "2003-10-11T22:14:15.003Z", hostname: "h", appName: "a", procId: "p", msgId: "m", structuredData: [] };

  it("computes PRI as facility × 8 + severity, from <0> to <191>", () => {
    expect(formatRfc5424({ ...ok, facility: 0, severity: 0 }).startsWith("<0>1 ")).toBe(true);
    expect(formatRfc5424({ ...ok, facility: 23, severity: 7 }).startsWith("<191>1 ")).toBe(true);
    expect(formatRfc5424({ ...ok, facility: 20, severity: 4 }).startsWith("<164>1 ")).toBe(true);
    expect(() => formatRfc5424({ ...ok, facility: 24 })).toThrow(Rfc5424Error);
    expect(() => formatRfc5424({ ...ok, severity: 8 })).toThrow(Rfc5424Error);
  });

  it("takes the timestamps §6.2.3.1 calls valid and refuses the invalid ones", () => {
    for (const t of ["1985-04-12T23:20:50.52Z", "1985-04-12T19:20:50.52-04:00", "2003-10-11T22:14:15.003Z", "2003-08-24T05:14:15.000003-07:00"]) {
      expect(formatRfc5424({ ...ok, timestamp: t })).toContain(` ${t} `);
    }
    for (const t of ["2003-08-24T05:14:15.000000003-07:00", "1990-12-31T15:59:60-08:00 ", "2003-10-11 22:14:15Z", "2003-10-11T22:14:15.003z"]) {
      expect(() => formatRfc5424({ ...ok, timestamp: t }), t).toThrow(Rfc5424Error);
    }
  });

  it("bounds HOSTNAME, APP-NAME, PROCID and MSGID to printable US-ASCII of their lengths, NILVALUE when empty", () => {
    expect(formatRfc5424({ ...ok, hostname: "", appName: null, procId: null, msgId: "" })).toBe("<164>1 2003-10-11T22:14:15.003Z - - - - -");
    expect(() => formatRfc5424({ ...ok, hostname: "a b" })).toThrow(/HOSTNAME/);
    expect(() => formatRfc5424({ ...ok, appName: "x".repeat(49) })).toThrow(/APP-NAME/);
    expect(() => formatRfc5424({ ...ok, procId: "x".repeat(129) })).toThrow(/PROCID/);
    expect(() => formatRfc5424({ ...ok, msgId: "x".repeat(33) })).toThrow(/MSGID/);
    expect(formatRfc5424({ ...ok, msgId: "x".repeat(32) })).toContain(` ${"x".repeat(32)} -`);
  });
});

describe("timestamps from the event's own time", () => {
  it("gives UTC with milliseconds", () => {
    expect(rfc3339(Date.UTC(2003, 9, 11, 22, 14, 15, 3))).toBe("2003-10-11T22:14:15.003Z");
    expect(rfc3339(0)).toBe("1970-01-01T00:00:00.000Z");
  });
  it("gives null (NILVALUE) for a time RFC 5424 cannot write", () => {
    expect(rfc3339(Number.NaN)).toBeNull();
    expect(rfc3339(253_402_300_800_000)).toBeNull(); // year 10000
    expect(rfc3339(-62_167_219_200_001)).toBeNull(); // before year 0
  });
});

describe("length bound", () => {
  const m: Rfc5424Message = { facility: 20, severity: 6, timestamp: null, hostname: null, appName: null, procId: null, msgId: null, structuredData: [] };

  it("cuts the free text at a character boundary so the whole message fits", () => {
    const long = formatRfc5424({ ...m, msg: "Đ".repeat(100) }, { maxBytes: 40 });
    const bytes = Buffer.byteLength(long, "utf8");
    expect(bytes).toBeLessThanOrEqual(40);
    expect(bytes).toBeGreaterThanOrEqual(39); // "Đ" is two octets: at most one is left unused
    expect(long).not.toContain("\ufffd");
    expect(formatRfc5424({ ...m, msg: "short" }, { maxBytes: 40 })).toBe("<166>1 - - - - - - short");
  });

  it("never cuts the header or structured data", () => {
    const sd = [{ id: "x@1", params: [["v", "y".repeat(100)]] as const }];
    expect(() => formatRfc5424({ ...m, structuredData: sd, msg: "z" }, { maxBytes: 64 })).toThrow(expect.objectContaining({ code: "too_long" }));
  });

  it("cutUtf8 keeps whole characters", () => {
    expect(cutUtf8("aé€😀", 1)).toBe("a");
    expect(cutUtf8("aé€😀", 2)).toBe("a");
    expect(cutUtf8("aé€😀", 3)).toBe("aé");
    expect(cutUtf8("aé€😀", 9)).toBe("aé€");
    expect(cutUtf8("aé€😀", 10)).toBe("aé€😀");
  });
});

describe("octet-counting frames (RFC 6587 §3.4.1, RFC 5425 §4.3)", () => {
  it("prefixes the message with its length in octets and one space", () => {
    expect(octetFrame("<34>1 - - - - - -")).toEqual(Buffer.from("17 <34>1 - - - - - -", "ascii"));
  });

  it("counts octets, not characters", () => {
    const msg = `<166>1 - - - - - - ${BOM}Hà Nội`;
    const frame = octetFrame(msg);
    // 19 octets of header, 3 of BOM, and "Hà Nội" is 9 octets in UTF-8 (6 characters): 31, not 26.
    expect(msg.length).toBe(26);
    expect(frame.subarray(0, 3).toString("ascii")).toBe("31 ");
    expect(frame.length).toBe(3 + 31);
    expect(frame.subarray(3).toString("utf8")).toBe(msg);
  });
});
