/**
 * The Poly Group Series / HDX API commands the driver sends, and which lines answer each
 * (PROTOCOLS-CONFERENCE-NETWORK.md, part A). Pure: no I/O. No byte string lives in an action handler.
 *
 * A command is its text (sent with `\r`, session.ts) and an `expect` that takes the lines of its
 * reply: `take` (part of it, more to come), `done` (the last one), `skip` (not ours: a pushed line,
 * an echo). `error: ...` lines end any command as a device error in the session; `info: ...`
 * lines are the command's to judge.
 */
import type { CALL_PROTOCOLS } from "../codec/vocabulary.js";
import type { PolyLine } from "./lines.js";

export type CallProtocol = (typeof CALL_PROTOCOLS)[number];

export type Verdict = "skip" | "take" | "done";

export interface PolyCommand {
  /** The line as sent, without its terminator. */
  readonly text: string;
  expect(line: PolyLine): Verdict;
}

/** A command answered by exactly one line that `match` accepts. */
const one = (text: string, match: (l: PolyLine) => boolean): PolyCommand => ({ text, expect: (l) => (match(l) ? "done" : "skip") });

/** Registration commands answer `X registered`; a second `notify X` answers `info: event/notification already active:X` (P6). */
const alreadyActive = (l: PolyLine, what: string): boolean => l.kind === "info" && new RegExp(`already active:\\s*${what}\\b`).test(l.text);

export const NOTIFICATION_TYPES = ["callstatus", "linestatus", "mutestatus", "screenchanges", "sysstatus", "sysalerts", "vidsourcechanges", "calendarmeetings"] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];
export const REGISTER_TOPICS = ["callstate", "camera", "mute", "volume", "sleep", "vcbutton", "preset"] as const;
export type RegisterTopic = (typeof REGISTER_TOPICS)[number];

export const notify = (type: NotificationType): PolyCommand =>
  one(`notify ${type}`, (l) => (l.kind === "notifySuccess" && l.type === type) || alreadyActive(l, type));

export const register = (topic: RegisterTopic): PolyCommand =>
  one(`${topic} register`, (l) => (l.kind === "registered" && l.what === topic) || alreadyActive(l, topic));

/** `whoami`: the same lines as the login banner, `Hi, my name is : X` ... `SNMP Enabled: ...` (P1). */
export const whoami: PolyCommand = {
  text: "whoami",
  expect(l) {
    if (l.kind === "bannerStart") return "take";
    if (l.kind === "field") return /^SNMP Enabled$/i.test(l.key) ? "done" : "take";
    return "skip";
  },
};

/** `status` (software 6 and later, P1): `<name> online|offline` lines, then `status end`. */
export const status: PolyCommand = {
  text: "status",
  expect: (l) => (l.kind === "statusEnd" ? "done" : l.kind === "word" ? "take" : "skip"),
};

/** `callinfo all`: `callinfo begin` / `callinfo:...` / `callinfo end`, or `system is not in a call`. */
export const callinfoAll: PolyCommand = {
  text: "callinfo all",
  expect(l) {
    if (l.kind === "notInCall" || l.kind === "callinfoEnd") return "done";
    return l.kind === "callinfoBegin" || l.kind === "callinfo" ? "take" : "skip";
  },
};

/** `getcallstate`: one `cs:` line per call slot (3 on a Group Series, P1); `slots` says how many. */
export function getcallstate(slots: number): PolyCommand {
  let seen = 0;
  return {
    text: "getcallstate",
    expect(l) {
      if (l.kind !== "cs") return "skip";
      seen++;
      return seen >= slots ? "done" : "take";
    },
  };
}

/**
 * `advnetstats N` ends on the line holding `ccaps:`, `netstats N` on the one holding `rcp:` (P1's
 * read markers). A call that is not there answers `error: connection N is not active`.
 */
export function advnetstats(index: number): PolyCommand {
  return { text: `advnetstats ${index}`, expect: (l) => (l.kind !== "stats" ? "skip" : "ccaps" in l.fields ? "done" : "take") };
}

export function netstats(index: number): PolyCommand {
  return { text: `netstats ${index}`, expect: (l) => (l.kind !== "stats" ? "skip" : "rcp" in l.fields ? "done" : "take") };
}

export const gatekeeperIp = one("gatekeeperip get", (l) => l.kind === "setting" && l.name === "gatekeeperip");
export const sipRegistrar = one("systemsetting get sipregistrarserver", (l) => l.kind === "setting" && l.name === "sipregistrarserver");

/**
 * `dial manual <speed> "<dialstr>" [sip|h323]`: `auto` as the speed when no rate is given (P2),
 * no call type for `auto` (the codec's default, as P1 recommends). The dial string was checked
 * against the vocabulary's DIAL_STRING: no quote or space can end the argument early.
 */
export function dial(number: string, protocol: CallProtocol, rateKbps: number | undefined): PolyCommand {
  const speed = rateKbps === undefined ? "auto" : String(rateKbps);
  const type = protocol === "auto" ? "" : ` ${protocol}`;
  return one(`dial manual ${speed} "${number}"${type}`, (l) => l.kind === "dialing");
}

/** `hangup video <id>` or `hangup all`: `hanging up ...`, or `system is not in a call`. */
export function hangup(callId?: string): PolyCommand {
  return one(callId === undefined ? "hangup all" : `hangup video ${callId}`, (l) => l.kind === "hangingUp" || l.kind === "notInCall");
}

export const answerVideo = one("answer video", (l) => l.kind === "answer");

export const muteGet = one("mute near get", (l) => l.kind === "mute" && l.side === "near");
export const muteSet = (on: boolean): PolyCommand => one(`mute near ${on ? "on" : "off"}`, (l) => l.kind === "mute" && l.side === "near" && l.on === on);

/** The API's volume runs 0..50 (P4); the vocabulary's 0..100 %. */
export const API_VOLUME_MAX = 50;
export const percentToApi = (percent: number): number => Math.round((Math.min(100, Math.max(0, percent)) * API_VOLUME_MAX) / 100);
export const apiToPercent = (level: number): number => Math.round((Math.min(API_VOLUME_MAX, Math.max(0, level)) * 100) / API_VOLUME_MAX);

export const volumeGet = one("volume get", (l) => l.kind === "volume");
export const volumeSet = (level: number): PolyCommand => one(`volume set ${level}`, (l) => l.kind === "volume" && l.level === level);

/** `camera near <1-4>` echoes `camera near N` (P5). */
export const NEAR_CAMERAS = 4;
export const cameraSelect = (source: number): PolyCommand => one(`camera near ${source}`, (l) => l.kind === "camera" && l.side === "near" && l.source === source);

/** `preset near go <n>`: the echo `preset near go n` is assumed ([A]). */
export const presetGo = (preset: number): PolyCommand => one(`preset near go ${preset}`, (l) => l.kind === "preset" && l.op === "go" && l.preset === preset);

/** Content: `vcbutton play [<src>]` / `vcbutton stop` / `vcbutton get` (P2, P5). */
export function contentPlay(source: number | undefined): PolyCommand {
  return one(source === undefined ? "vcbutton play" : `vcbutton play ${source}`, (l) => (l.kind === "vcbutton" && !l.event && l.what === "play") || (l.kind === "alreadyActive" && l.what === "vcbutton"));
}
export const contentStop = one("vcbutton stop", (l) => l.kind === "vcbutton" && !l.event && l.what === "stop");
export const contentGet = one("vcbutton get", (l) => l.kind === "vcbutton" && !l.event);

/**
 * `sleep` / `wake`. Their own replies are not in the sources ([A]: `sleeping`, `waking up`), so
 * either that or the `listen going to sleep` / `listen waking up` push (sleep register) answers.
 */
export const standby = (on: boolean): PolyCommand => one(on ? "sleep" : "wake", (l) => l.kind === "sleep" && l.asleep === on);
