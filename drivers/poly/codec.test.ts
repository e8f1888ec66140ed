/**
 * The pure side of the Poly driver against the lines of PROTOCOLS-CONFERENCE-NETWORK.md, part A
 * (and the samples its sources quote): commands as sent, lines as parsed, which lines answer which
 * command, and media figures.
 */
import { describe, expect, it } from "vitest";
import * as cmd from "./codec.js";
import { parseLine, type PolyLine } from "./lines.js";
import { callQuality, parseAdvNetStats, parseNetStats, zeroSample } from "./stats.js";
import { causeReason } from "./calls.js";

/** Runs `c.expect` over the lines: which were taken, and whether the command completed. */
function answer(c: cmd.PolyCommand, lines: string[]): { taken: string[]; done: boolean } {
  const taken: string[] = [];
  for (const text of lines) {
    const v = c.expect(parseLine(text));
    if (v !== "skip") taken.push(text);
    if (v === "done") return { taken, done: true };
  }
  return { taken, done: false };
}

describe("Poly commands as sent", () => {
  it("dial manual with speed, quoted dial string and call type; auto speed and no type by default", () => {
    expect(cmd.dial("8001@mcu.province.gov", "sip", 1920).text).toBe('dial manual 1920 "8001@mcu.province.gov" sip');
    expect(cmd.dial("10.1.0.84", "h323", undefined).text).toBe('dial manual auto "10.1.0.84" h323');
    expect(cmd.dial("8001", "auto", undefined).text).toBe('dial manual auto "8001"');
  });

  it("the rest of the vocabulary", () => {
    expect(
      [cmd.hangup(), cmd.hangup("34"), cmd.answerVideo, cmd.muteSet(true), cmd.volumeSet(25), cmd.cameraSelect(2), cmd.presetGo(7), cmd.contentPlay(2), cmd.contentPlay(undefined), cmd.contentStop, cmd.standby(true), cmd.standby(false)].map((c) => c.text),
    ).toEqual(["hangup all", "hangup video 34", "answer video", "mute near on", "volume set 25", "camera near 2", "preset near go 7", "vcbutton play 2", "vcbutton play", "vcbutton stop", "sleep", "wake"]);
    expect([cmd.notify("callstatus").text, cmd.register("callstate").text, cmd.advnetstats(0).text, cmd.netstats(1).text]).toEqual(["notify callstatus", "callstate register", "advnetstats 0", "netstats 1"]);
  });

  it("volume: the API's 0..50 is the vocabulary's 0..100 %", () => {
    expect([0, 1, 50, 99, 100].map(cmd.percentToApi)).toEqual([0, 1, 25, 50, 50]);
    expect([0, 25, 30, 50].map(cmd.apiToPercent)).toEqual([0, 50, 60, 100]);
  });
});

describe("Poly lines", () => {
  it("notifications of part A", () => {
    expect(parseLine("notification:callstatus:outgoing:34:Polycom Group Series Demo:192.168.1.101:connected:384:0:videocall")).toEqual({
      kind: "callstatus",
      cause: "0",
      call: { id: "34", direction: "outgoing", remote: "192.168.1.101", remoteName: "Polycom Group Series Demo", conn: "connected", rateKbps: 384, callType: "videocall" },
    });
    expect(parseLine("notification:linestatus:outgoing:32:0:0:disconnected")).toEqual({ kind: "linestatus", direction: "outgoing", id: "32", conn: "disconnected" });
    expect(parseLine("notification:mutestatus:far:5:Rostov:10.1.0.84:notmuted")).toEqual({ kind: "mutestatus", side: "far", muted: false });
    expect(parseLine("notification:mutestatus:near:0:::muted")).toEqual({ kind: "mutestatus", side: "near", muted: true });
    expect(parseLine("notification:vidsourcechange:near:6:ppcip:content")).toEqual({ kind: "vidsource", side: "near", source: 6, name: "ppcip", role: "content" });
    expect(parseLine("notification:sysstatus:whatever")).toMatchObject({ kind: "notification", type: "sysstatus" });
  });

  it("a far number holding colons, and a missing far name", () => {
    expect(parseLine("notification:callstatus:outgoing:7:District 11:sip:8001@mcu:ringing:1920:0:videocall")).toMatchObject({
      call: { id: "7", remote: "sip:8001@mcu", remoteName: "District 11", conn: "ringing" },
    });
    expect(parseLine("callinfo:3:67.110.19.31:64:connected:muted:outgoing:videocall")).toEqual({
      kind: "callinfo",
      muted: true,
      call: { id: "3", direction: "outgoing", remote: "67.110.19.31", conn: "connected", rateKbps: 64, callType: "videocall" },
    });
  });

  it("callstate lines, replies and pushes", () => {
    const kinds = (lines: string[]) => lines.map((l) => parseLine(l));
    expect(kinds(["cs: call[34] chan[0] dialstr[192.168.1.103] state[RINGING]", "cs: call[1] inactive", "active: call[34] speed[384]", "cleared: call[34]", "incoming: call[5] name[Rostov]"])).toEqual([
      { kind: "cs", id: "34", state: "RINGING", dialstr: "192.168.1.103" },
      { kind: "cs", id: "1", state: null },
      { kind: "callEvent", event: "active", id: "34", rateKbps: 384 },
      { kind: "callEvent", event: "cleared", id: "34" },
      { kind: "callEvent", event: "incoming", id: "5", name: "Rostov" },
    ]);
    expect(kinds(["mute near on", "volume 30", "camera near 1", "vcbutton play", "Control event: vcbutton farplay", "listen going to sleep", "listen waking up", "callstate registered", "notify callstatus success", "registered for 2 notifications:callstatus:sysstatus", "password failed"])).toEqual([
      { kind: "mute", side: "near", on: true },
      { kind: "volume", level: 30 },
      { kind: "camera", side: "near", source: 1 },
      { kind: "vcbutton", what: "play", event: false },
      { kind: "vcbutton", what: "farplay", event: true },
      { kind: "sleep", asleep: true, event: true },
      { kind: "sleep", asleep: false, event: true },
      { kind: "registered", what: "callstate" },
      { kind: "notifySuccess", type: "callstatus" },
      { kind: "notifyList", types: ["callstatus", "sysstatus"] },
      { kind: "passwordFailed" },
    ]);
  });

  it("the banner, errors, settings and unknown text", () => {
    expect(parseLine("Hi, my name is : ROOM-101")).toEqual({ kind: "bannerStart", name: "ROOM-101" });
    expect(parseLine("Software Version: 6.2.2")).toEqual({ kind: "field", key: "Software Version", value: "6.2.2" });
    expect(parseLine("error:command not found")).toMatchObject({ kind: "error" });
    expect(parseLine("error: connection 1 is not active")).toMatchObject({ kind: "error" });
    expect(parseLine("info: event/notification already active:callstatus")).toMatchObject({ kind: "info" });
    expect(parseLine("gatekeeperip 10.0.0.1")).toEqual({ kind: "setting", name: "gatekeeperip", value: "10.0.0.1" });
    expect(parseLine("systemsetting sipregistrarserver mcu.province.gov")).toEqual({ kind: "setting", name: "sipregistrarserver", value: "mcu.province.gov" });
    expect(parseLine("sipserver online")).toEqual({ kind: "word", name: "sipserver", value: "online" });
    expect(parseLine("\x15\x1a#?!garbled!?#")).toMatchObject({ kind: "other" });
  });
});

describe("which lines answer which command", () => {
  it("status: its lines up to `status end`, never a pushed line in between", () => {
    const lines = ["inacall offline", "notification:callstatus:outgoing:3:x:8001:ringing:768:0:videocall", "gatekeeper online", "sipserver offline", "status end"];
    expect(answer(cmd.status, lines)).toEqual({ taken: ["inacall offline", "gatekeeper online", "sipserver offline", "status end"], done: true });
  });

  it("callinfo all: begin..end, or `system is not in a call`", () => {
    expect(answer(cmd.callinfoAll, ["callinfo begin", "callinfo:3:KOP.Lab.HDX9000:67.110.19.31:64:connected:muted:outgoing:videocall", "callinfo end"]).done).toBe(true);
    expect(answer(cmd.callinfoAll, ["mute near on", "system is not in a call"])).toEqual({ taken: ["system is not in a call"], done: true });
  });

  it("advnetstats ends on ccaps:, netstats on rcp:", () => {
    const adv = ["call:0 tar:16 K rar:16 K tvr:48 K rvr:48 K", "tvru:42 K rvru:43 K tvfr:29 rvfr:29 vfe:0", "tapl:0 rapl:0 taj:3 ms raj:3 ms tvpl:0 rvpl:0", "tvj:4 ms rvj:9 ms dc:Disabled rsid:7771040001@vnoc1.com ccaps:---"];
    expect(answer(cmd.advnetstats(0), adv)).toEqual({ taken: adv, done: true });
    const net = ["call:0 txrate:64 K rxrate:64 K pktloss:0 %pktloss:0.0 %", "tvp:H.264 rvp:H.264 tvf:640x368 rvf:SIF tap:G.722.1 rap:G.722.1 tcp:H.323 rcp:H.323"];
    expect(answer(cmd.netstats(0), net)).toEqual({ taken: net, done: true });
  });

  it("a set is answered only by its own value, so a change pushed meanwhile is not taken for it", () => {
    expect(answer(cmd.volumeSet(15), ["volume 20", "volume 15"])).toEqual({ taken: ["volume 15"], done: true });
    expect(answer(cmd.muteSet(false), ["mute near on", "mute near off"])).toEqual({ taken: ["mute near off"], done: true });
  });

  it("registrations: `X registered`, `notify X success`, or already active", () => {
    expect(answer(cmd.register("sleep"), ["sleep registered"]).done).toBe(true);
    expect(answer(cmd.notify("callstatus"), ["info: event/notification already active:callstatus"]).done).toBe(true);
    expect(answer(cmd.notify("mutestatus"), ["notify callstatus success"]).done).toBe(false);
  });

  it("getcallstate: one cs: line per slot", () => {
    expect(answer(cmd.getcallstate(3), ["cs: call[34] chan[0] dialstr[8001] state[CONNECTED]", "cs: call[1] inactive", "cs: call[2] inactive"]).done).toBe(true);
  });

  it("whoami: the banner lines up to SNMP Enabled", () => {
    expect(answer(cmd.whoami, ["Hi, my name is : ROOM-101", "Model: Group 500", "SNMP Enabled: True"]).done).toBe(true);
  });
});

describe("call quality from advnetstats and netstats", () => {
  const fields = (lines: string[]) => Object.assign({}, ...lines.map((l) => (parseLine(l) as Extract<PolyLine, { kind: "stats" }>).fields)) as Record<string, string>;
  const model = { audioPacketRate: 50, videoPacketBytes: 1200 };

  it("rates and jitter as given; loss % from the lost-packet counters over the interval", () => {
    const at = 1_000_000;
    const first = parseAdvNetStats(fields(["call:0 tar:64 K rar:64 K tvr:1856 K rvr:1856 K", "tvru:1856 K rvru:1856 K tvfr:30 rvfr:30 vfe:0", "tapl:0 rapl:10 taj:3 ms raj:3 ms tvpl:0 rvpl:0", "tvj:4 ms rvj:9 ms dc:Disabled rsid:x ccaps:---"]));
    const a = callQuality(first, undefined, zeroSample(at - 10_000), at, model);
    // 10 s of audio at 50 packets/s = 500 packets, 10 lost: 2 %.
    expect(a.quality.audio.rx).toEqual({ lossPct: 2, jitterMs: 3, rateKbps: 64 });
    expect(a.quality.video.rx).toEqual({ lossPct: 0, jitterMs: 9, rateKbps: 1856 });
    // Next 5 s: video 1856 kbps = ~193 packets/s, 97 more lost of ~966: ~10 %.
    const second = parseAdvNetStats(fields(["call:0 tar:64 K rar:64 K tvr:1856 K rvr:1856 K", "tvru:1856 K rvru:1856 K tvfr:30 rvfr:30 vfe:0", "tapl:0 rapl:10 taj:3 ms raj:3 ms tvpl:0 rvpl:97", "tvj:4 ms rvj:60 ms dc:Disabled rsid:x ccaps:---"]));
    const b = callQuality(second, undefined, a.sample, at + 5000, model);
    expect(b.quality.audio.rx.lossPct).toBe(0);
    expect(b.quality.video.rx.lossPct).toBeCloseTo(10.04, 1);
    expect(b.quality.video.rx.jitterMs).toBe(60);
  });

  it("without a baseline (a call found already up) loss is null; `---` is null; netstats gives tx % and the protocol", () => {
    const adv = parseAdvNetStats(fields(["call:0 tar:16 K rar:16 K tvr:48 K rvr:48 K", "tvru:42 K rvru:43 K tvfr:29 rvfr:29 vfe:0", "tapl:--- rapl:0 taj:3 ms raj:3 ms tvpl:--- rvpl:0", "tvj:4 ms rvj:9 ms dc:Disabled rsid:7771040001@vnoc1.com ccaps:---"]));
    const net = parseNetStats(fields(["call:0 txrate:64 K rxrate:64 K pktloss:12 %pktloss:1.5 %", "tvp:H.264 rvp:H.264 tvf:640x368 rvf:SIF tap:G.722.1 rap:G.722.1 tcp:H.323 rcp:H.323"]));
    expect(net).toEqual({ txLossPct: 1.5, protocol: "h323" });
    const q = callQuality(adv, net, undefined, 5, model).quality;
    expect(q.audio.rx.lossPct).toBeNull();
    expect(q.audio.tx.lossPct).toBe(1.5); // the counter is `---`: netstats' transmit %
    expect(q.video.rx.rateKbps).toBe(43); // rate used, when given
    expect(q.content).toBeUndefined();
  });

  it("content figures when the reply has them", () => {
    const adv = parseAdvNetStats(fields(["call:0 tar:64 K rar:64 K tcr:512 K rcr:0 K tcpl:3 rcpl:0 ccaps:H.264"]));
    expect(adv.content).toEqual({ tx: { rateKbps: 512, lost: 3, jitterMs: null }, rx: { rateKbps: 0, lost: 0, jitterMs: null } });
  });

  it("Q.850 causes in a closed summary", () => {
    expect(["17", "21", "1", "18", "38", "16", "0", ""].map(causeReason)).toEqual(["rejected", "rejected", "rejected", "no_answer", "network", "remote", "unknown", "unknown"]);
  });
});
