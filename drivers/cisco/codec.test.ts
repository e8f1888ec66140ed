/**
 * The pure parts of the Cisco driver against the transcripts of the protocol notes (part B) and of
 * C1/C2/C3, fed whole and in fragments down to one byte at a time.
 */
import { describe, expect, it } from "vitest";
import { TelnetFilter } from "../telnet.js";
import { xCommand, xFeedback, xStatus, XapiCommandError } from "./commands.js";
import { XapiFramer, type Frame } from "./frames.js";
import { collapse, interpret, type Tree } from "./replies.js";
import { callStateFrom, h323Registration, lossPct, presentationFrom, qualityFrom, sipRegistration, standbyFrom, type StatusOptions } from "./status.js";
import { classify, promptIn } from "./terminal.js";

/** Feeds `text` in pieces of `size` bytes (UTF-8 may split mid-character) and collects the frames. */
function feed(framer: XapiFramer, text: string, size: number): Frame[] {
  const bytes = Buffer.from(text, "utf8");
  const out: Frame[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(...framer.push(bytes.subarray(i, i + size)));
  return out;
}

const SIZES = [1, 2, 3, 7, 64, 100_000];

// C4's TC7.3 telnet transcript after the password (part B), as the codec prints it.
const WELCOME = "Welcome to room-11\r\nCisco Codec Release TC7.3.3.c84180a\r\nSW Release Date: 2015-06-12\r\n*r Login successful\r\n\r\nOK\r\n";

// C3's RoomOS transcript: a reply pretty-printed over lines, feedback between, junk ahead.
const JSON_STREAM = [
  '{\n    "CommandResponse":{\n        "StandbyDeactivateResult":{\n            "status":"OK"\n        }\n    },\n    "ResultId": "rg1"\n}\n',
  '{"Status":{"Audio":{"Volume":{"Value":"55"}}}}\n',
  'Command not recognized.\r\n',
  '{"Status":{"Call":[{"id":"32","ghost":"True"}]}}\n',
  '{"CommandResponse":{"InputSetMainVideoSourceResult":{"status":"Error","Reason":{"Value":"Must supply either SourceId or ConnectorId (but not both.)"}}},"ResultId":"rg2"}\n',
].join("");

describe("XapiFramer", () => {
  it.each(SIZES)("reads the terminal-mode login transcript as lines, in chunks of %i", (size) => {
    const f = new XapiFramer();
    const lines = feed(f, WELCOME, size).map((fr) => (fr.type === "line" ? fr.text : fr.type));
    expect(lines).toEqual(["Welcome to room-11", "Cisco Codec Release TC7.3.3.c84180a", "SW Release Date: 2015-06-12", "*r Login successful", "", "OK"]);
  });

  it.each(SIZES)("reads JSON documents, text between them and braces inside strings, in chunks of %i", (size) => {
    const f = new XapiFramer();
    f.json = true;
    const frames = feed(f, JSON_STREAM + '{"Status":{"Call":[{"id":"4","DisplayName":{"Value":"Hall {north} \\"A\\" ✓"}}]}}\n', size);
    expect(frames.filter((x) => x.type !== "line" || x.text !== "").map((x) => (x.type === "json" ? interpret(x.value).kind : x.type === "line" ? x.text : x.type))).toEqual([
      "result",
      "feedback",
      "Command not recognized.",
      "feedback",
      "result",
      "feedback",
    ]);
    const last = frames.at(-2)!;
    expect(last.type === "json" && collapse(last.value)).toEqual({ Status: { Call: [{ id: "4", DisplayName: 'Hall {north} "A" ✓' }] } });
  });

  it("a prompt without a newline waits in `pending`", () => {
    const f = new XapiFramer();
    expect(feed(f, "\r\nroom-11 login: ", 1).map((x) => x.type)).toEqual(["line"]);
    expect(promptIn(f.pending)).toBe("login");
    f.consumePending();
    feed(f, "Password: ", 3);
    expect(promptIn(f.pending)).toBe("password");
  });

  it("a document cut short by junk is reported garbled and the next one still parses", () => {
    const f = new XapiFramer();
    f.json = true;
    const frames = feed(f, '#junk{"Sta\n{"ResultId":"rg9"}\n', 5).filter((x) => x.type !== "line" || x.text !== "");
    expect(frames.map((x) => x.type)).toEqual(["line", "garbled", "json"]);
    expect(frames[2]!.type === "json" && frames[2]!.value).toEqual({ ResultId: "rg9" });
  });

  it("a document over the limit is dropped, and what follows is read", () => {
    const f = new XapiFramer(100);
    f.json = true;
    const frames = feed(f, `{"Status":{"X":{"Value":"${"x".repeat(500)}"}}}\n{"ResultId":"rg1"}\n`, 64);
    expect(frames.map((x) => x.type)).toEqual(["dropped", "line", "json", "line"]);
  });
});

describe("terminal lines", () => {
  it("classifies the login dialogue and session set-up (part B, C3, C4)", () => {
    expect(["login: ", "room-11 login:", "Password: ", "*r Login successful", "Login incorrect", "\x1b[?1034h\r", "\x1b[?1034hOK", "ERROR", "Command not recognized."].map((l) => classify(l).type)).toEqual([
      "login-prompt",
      "login-prompt",
      "password-prompt",
      "login-ok",
      "login-incorrect",
      "other",
      "ok",
      "error",
      "not-recognized",
    ]);
    expect(classify("Cisco Codec Release ce 9.2.2 3a892a1 2017-11-30")).toEqual({ type: "release", software: "ce 9.2.2 3a892a1 2017-11-30" });
  });

  it("telnet: refuses the codec's DO options byte for byte, also split mid-sequence (C4)", () => {
    const t = new TelnetFilter();
    const a = t.push(Buffer.from([0xff, 0xfd, 0x18, 0xff, 0xfd]));
    const b = t.push(Buffer.from([0x20, 0xff, 0xfd, 0x23, 0xff, 0xfd, 0x27, ...Buffer.from("login: ")]));
    expect([...(a.reply ?? []), ...(b.reply ?? [])]).toEqual([0xff, 0xfc, 0x18, 0xff, 0xfc, 0x20, 0xff, 0xfc, 0x23, 0xff, 0xfc, 0x27]);
    expect(Buffer.concat([a.data, b.data]).toString()).toBe("login: ");
    expect(t.push(Buffer.from([0xff, 0xfb, 0x01, 0xff, 0xfa, 0x18, 0x01, 0xff, 0xf0, 0x41])).reply).toEqual(Buffer.from([0xff, 0xfe, 0x01]));
  });
});

describe("commands", () => {
  it("writes the lines of part B and C2, quoting strings and tagging with resultId", () => {
    expect(xCommand(["Dial"], { Number: "1234@mcu.prov", Protocol: "Sip", CallRate: 1920, CallType: "Video" }, "rg7")).toBe(
      'xCommand Dial Number: "1234@mcu.prov" Protocol: "Sip" CallRate: 1920 CallType: "Video" | resultId="rg7"',
    );
    expect(xCommand(["Standby", "Deactivate"], {}, "request-1")).toBe('xCommand Standby Deactivate | resultId="request-1"');
    expect(xCommand(["Call", "Disconnect"], { CallId: undefined })).toBe("xCommand Call Disconnect");
    expect(xCommand(["Message", "Send"], { Text: 'foo "bar" \\' })).toBe('xCommand Message Send Text: "foo \\"bar\\" \\\\"');
    expect(xStatus(["MediaChannels", "Call", 3], "rg2")).toBe('xStatus MediaChannels Call 3 | resultId="rg2"');
    expect(xFeedback("register", "/Status/Audio/Microphones/Mute", "rg3")).toBe('xFeedback register /Status/Audio/Microphones/Mute | resultId="rg3"');
  });

  it("refuses what could break out of the line or flood the session", () => {
    expect(() => xCommand(["Dial"], { Number: "8001\r\nxCommand SystemUnit Boot" })).toThrow(XapiCommandError);
    expect(() => xCommand(["Dial Now"])).toThrow(/path word/);
    expect(() => xFeedback("register", "/Status")).toThrow(/never register \/Status/);
    expect(() => xStatus(["Audio"], 'x" | y')).toThrow(/resultId/);
  });
});

describe("replies", () => {
  it("reads command results, errors with Reason and XPath (C2, C3), status trees and empty results", () => {
    expect(interpret({ CommandResponse: { DialResult: { status: "OK", CallId: { Value: "2" }, ConferenceId: { Value: "1" } } }, ResultId: "rg1" })).toEqual({
      kind: "result",
      resultId: "rg1",
      body: { type: "command", name: "DialResult", status: "OK", fields: { status: "OK", CallId: "2", ConferenceId: "1" } },
    });
    expect(interpret({ CommandResponse: { Result: { status: "Error", Reason: { Value: "Unknown command" } }, XPath: { Value: "/Not/A/Real/Command" } }, ResultId: "rg2" })).toMatchObject({
      body: { type: "command", status: "Error", reason: "Unknown command", xpath: "/Not/A/Real/Command" },
    });
    expect(interpret({ CommandResponse: { DialResult: { status: "ParameterError" } }, ResultId: "rg3" })).toMatchObject({ body: { status: "ParameterError" } });
    expect(interpret({ Status: { Audio: { Microphones: { Mute: { Value: "On" } }, Volume: { Value: "50" } } }, ResultId: "rg4" })).toEqual({
      kind: "result",
      resultId: "rg4",
      body: { type: "status", tree: { Audio: { Microphones: { Mute: "On" }, Volume: "50" } } },
    });
    expect(interpret({ ResultId: "rg5" })).toEqual({ kind: "result", resultId: "rg5", body: { type: "empty" } });
  });

  it("reads feedback: status, ghosts and events; anything else is unknown", () => {
    expect(interpret({ Status: { Call: [{ id: "32", ghost: "True" }] } })).toEqual({ kind: "feedback", status: { Call: [{ id: "32", ghost: "True" }] } });
    expect(interpret({ Event: { CallDisconnect: { CallId: { Value: "3" }, CauseType: { Value: "RemoteDisconnect" } } } })).toEqual({
      kind: "feedback",
      event: { CallDisconnect: { CallId: "3", CauseType: "RemoteDisconnect" } },
    });
    expect(interpret({ RandomAsyncData: "Foo" }).kind).toBe("unknown");
  });
});

describe("status in the vocabulary's words", () => {
  const o: StatusOptions = { inactiveIs: "disabled", lossFormula: "lost-of-total", channelRateUnit: "bps" };
  const tree = (t: Tree) => t;

  it("registrations keep the codec's words; Inactive follows the option", () => {
    expect(sipRegistration(tree({ SIP: { Registration: [{ id: "1", Status: "Registered", URI: "room11@prov.gov" }] } }), o)).toEqual({ status: "registered", server: "room11@prov.gov", detail: "Registered" });
    expect(sipRegistration(tree({ SIP: { Registration: [{ id: "1", Status: "Failed", Reason: "408 Request Timeout" }] } }), o)).toEqual({ status: "failed", detail: "Failed: 408 Request Timeout" });
    expect(sipRegistration(tree({ SIP: { Registration: [{ id: "1", Status: "Inactive" }] } }), o)?.status).toBe("disabled");
    expect(sipRegistration(tree({ SIP: { Registration: [{ id: "1", Status: "Inactive" }] } }), { ...o, inactiveIs: "unregistered" })?.status).toBe("unregistered");
    expect(h323Registration(tree({ H323: { Gatekeeper: { Status: "Discovering", Address: "10.1.1.1" } } }), o)).toEqual({ status: "registering", server: "10.1.1.1", detail: "Discovering" });
    expect(h323Registration(tree({ H323: { Gatekeeper: { Status: "Rejected", Reason: "duplicate alias" } } }), o)?.status).toBe("failed");
    expect(sipRegistration(tree({ Audio: { Volume: "5" } }), o)).toBeUndefined();
  });

  it("standby, presentation and call states", () => {
    expect(["Standby", "EnteringStandby", "Off", "Halfwake"].map(standbyFrom)).toEqual([true, true, false, false]);
    expect(presentationFrom(tree({ Conference: { Presentation: { Mode: "Sending", LocalInstance: [{ id: "1", Source: "2" }] } } }))).toEqual({ active: true, direction: "sending", source: 2 });
    expect(presentationFrom(tree({ Conference: { Presentation: { Mode: "Receiving" } } }))).toEqual({ active: true, direction: "receiving" });
    expect(presentationFrom(tree({ Conference: { Presentation: { Mode: "Off" } } }))).toEqual({ active: false });
    expect(["Dialling", "Ringing", "Connecting", "EarlyMedia", "Connected", "Disconnecting", "OnHold", "Idle", "Weird"].map(callStateFrom)).toEqual([
      "dialling",
      "ringing",
      "connecting",
      "connecting",
      "connected",
      "disconnecting",
      "held",
      "idle",
      undefined,
    ]);
  });

  it("media quality per direction and role; loss from the last interval by the chosen formula [A]", () => {
    const ch = (id: string, type: string, dir: string, lost: string, rcv: string, extra: Tree = {}): Tree => ({
      id,
      Type: type,
      Direction: dir,
      Netstat: { LastIntervalLost: lost, LastIntervalReceived: rcv, Jitter: "12", ChannelRate: "64000" },
      ...extra,
    });
    const t = tree({
      MediaChannels: {
        Call: [
          {
            id: "3",
            Channel: [
              ch("327", "Audio", "Incoming", "10", "240"),
              ch("328", "Audio", "Outgoing", "0", "250"),
              ch("329", "Video", "Incoming", "5", "995", { Video: { ChannelRole: "Main" } }),
              ch("331", "Video", "Outgoing", "0", "0", { Video: { ChannelRole: "Presentation" } }),
              ch("333", "Data", "Incoming", "0", "1"),
            ],
          },
        ],
      },
    });
    const q = qualityFrom(t, "3", 42, o)!;
    expect(q.audio.rx).toEqual({ lossPct: 4, jitterMs: 12, rateKbps: 64 });
    expect(q.video.rx.lossPct).toBe(0.5);
    expect(q.video.tx).toEqual({ lossPct: null, jitterMs: null, rateKbps: null });
    expect(q.content?.tx).toEqual({ lossPct: 0, jitterMs: 12, rateKbps: 64 });
    expect(qualityFrom(t, "3", 42, { ...o, lossFormula: "lost-of-received" })!.audio.rx.lossPct).toBe(4.17);
    expect(qualityFrom(t, "9", 42, o)).toBeUndefined();
    expect(lossPct(3, 0, "lost-of-received")).toBeNull();
  });
});
