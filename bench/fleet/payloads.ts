/**
 * Payloads of the simulated fleet, shaped and sized like the real contract (agent/topics.ts): the
 * device states below are what the demo site's agent publishes (captured from `roomgate demo`),
 * health is the agent's `{status, since, lastSeen}`. contract-check.ts validates every builder's
 * output against the zod schemas before a run, so a contract change breaks the bench loudly.
 *
 * The one addition: `benchT`, the send time on the machine's monotonic clock (ms), which the
 * monitor and the operators subtract from their own (process.hrtime is CLOCK_MONOTONIC, the same
 * clock in every process of the machine). Published payloads are non-strict objects, so a consumer
 * ignores it, as the contract says; commands are strict, so they carry no such field (the operator
 * keeps its send times by command id instead).
 *
 * Pure: no imports, so the worker processes stay small.
 */

export const PREFIX = "roomgate/v1";
export const AGENT_VERSION = "0.1.0";

/** Monotonic ms, µs resolution, comparable across processes of one machine. */
export function monoMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export interface DeviceProfile {
  id: string;
  kind: "camera" | "display" | "ledwall" | "audio" | "crypto" | "gpio";
  protocol: string;
  name: string;
  transport: string;
  /** The `state` object of dev/{device}/state. */
  state: Record<string, unknown>;
  /** Optional health message (the ONVIF camera reports its clock skew). */
  healthMessage?: string;
  /** A command an operator sends to this device: a real action of its driver. */
  command: { action: string; args: Record<string, unknown> };
}

const display = (id: number, serial: string) => ({
  id, power: "on", volume: 25, mute: false, input: "hdmi1", brightness: 80, blanked: false, temperature: 38,
  temperatureError: false, fanFault: false, noSync: false, model: "QM55R", serial, software: "S-KTM55ELC-1090.2", health: { status: "ok" },
});
const visca = { power: "on", pan: 0, tilt: 0, zoom: 0, focusMode: "auto", lastPreset: null, garbledFrames: 0 };

/** The demo site's devices (config/examples/district-room.yaml and the demo), plus a rear camera: 10. */
export const DEVICE_PROFILES: readonly DeviceProfile[] = [
  { id: "cam-main", kind: "camera", protocol: "visca", name: "Main camera", transport: "serial:/dev/ttyUSB0@9600", state: visca, command: { action: "preset.recall", args: { preset: 2 } } },
  { id: "cam-aux", kind: "camera", protocol: "visca", name: "Audience camera", transport: "udp:10.20.7.31:52381", state: visca, command: { action: "zoom", args: { direction: "stop" } } },
  {
    id: "cam-lectern", kind: "camera", protocol: "onvif", name: "Lectern camera (ONVIF)", transport: "http://10.20.7.32/onvif/device_service",
    state: {
      pan: 0, tilt: 0, zoom: 0, moveStatus: "idle", lastPreset: null, ptz: true, profile: "profile_1", clockSkewMs: -67, manufacturer: "Roomgate",
      model: "SimCam PTZ-1", firmware: "1.0.0", serial: "SIM8899", streamUri: "rtsp://10.20.7.32:554/profile_1",
      snapshotUri: "http://10.20.7.32/onvif/snapshot/profile_1.jpg", malformedReplies: 0,
    },
    healthMessage: "camera clock -0.1 s from ours",
    command: { action: "home", args: {} },
  },
  {
    id: "led-wall", kind: "ledwall", protocol: "novastar", name: "LED wall (NovaStar MCTRL4K)", transport: "tcp:10.20.7.40:5200",
    state: { brightness: 100, input: "dvi", blackout: false, frozen: false, testPattern: "off", model: "mctrl4k", modelId: "0311", checksumErrors: 0, discardedReplies: 0 },
    command: { action: "brightness.set", args: { percent: 80 } },
  },
  {
    id: "side-displays", kind: "display", protocol: "mdc", name: "Side displays (two Samsung panels on one RS-232 chain)", transport: "serial:/dev/ttyUSB1@9600",
    state: {
      displays: { left: display(1, "0AB1H4NM900001"), right: display(2, "0AB1H4NM900002") }, power: "on", input: "hdmi1", blanked: false, volume: 25, mute: false,
      brightness: 80, temperature: 38, fanFault: false, noSync: false, model: "QM55R", serial: "left=0AB1H4NM900001,right=0AB1H4NM900002", software: "S-KTM55ELC-1090.2",
      linkErrors: { badChecksum: 0, wrongId: 0, junk: 0, short: 0, unmatched: 0 },
    },
    command: { action: "blank.set", args: { on: false } },
  },
  {
    id: "dsp", kind: "audio", protocol: "tesira", name: "Biamp Tesira DSP", transport: "tcp:10.20.7.50:23",
    state: { channels: { mics: { muted: false, levelDb: -10 }, program: { muted: null, levelDb: -20 } }, firmware: "4.7.1.23", subscriptions: 3, reboots: 0, droppedLines: 0, garbledLines: 0, ignoredLines: 0 },
    command: { action: "mute.set", args: { channel: "mics", on: false } },
  },
  {
    id: "mixer", kind: "audio", protocol: "x32", name: "Behringer X32 (hall mixer)", transport: "udp:10.20.7.51:10023",
    state: { channels: { "lectern-mic": { muted: false, levelDb: 0, signalDb: -30 }, program: { muted: false, levelDb: 0, signalDb: null } }, ip: "10.20.7.51", name: "X32-HALL", model: "X32", firmware: "4.06", lastPreset: null, garbledPackets: 0 },
    command: { action: "mute.set", args: { channel: "lectern-mic", on: false } },
  },
  {
    id: "enc-1", kind: "crypto", protocol: "enc1", name: "Link encryptor (status only)", transport: "serial:/dev/ttyUSB2@9600",
    state: { state: "SECURE", secure: true, tunnel: "UP", key: "VALID", alarm: null, alarms: [], model: "RG-ENC1", firmware: "1.0.0", lastStatusSeq: 10, checksumErrors: 0, droppedLines: 0 },
    command: { action: "status.refresh", args: {} },
  },
  {
    id: "gpio", kind: "gpio", protocol: "firmata", name: "Rack GPIO board (Arduino, StandardFirmata)", transport: "serial:/dev/ttyACM0@57600",
    state: { relays: { "cam-power": true }, leds: { "on-air": "off" }, switches: { door: "open" }, temperatures: { "rack-temp": 27.9 }, firmware: "StandardFirmata.ino 2.5", garbledFrames: 0 },
    command: { action: "led.set", args: { name: "on-air", on: true } },
  },
  { id: "cam-rear", kind: "camera", protocol: "visca", name: "Rear camera", transport: "udp:10.20.7.33:52381", state: visca, command: { action: "preset.recall", args: { preset: 1 } } },
];

/** Device `i` of a simulated site: the profiles in turn; past ten, ids get a suffix. */
export function deviceAt(i: number): DeviceProfile {
  const p = DEVICE_PROFILES[i % DEVICE_PROFILES.length]!;
  const round = Math.floor(i / DEVICE_PROFILES.length);
  return round === 0 ? p : { ...p, id: `${p.id}-${round + 1}` };
}

export const siteId = (i: number): string => `site-${String(i + 1).padStart(4, "0")}`;
export const agentUser = (site: string): string => `agent-${site}`;
export const agentClientId = (site: string): string => `roomgate-agent-${site}`;
export const operatorUser = (i: number): string => `op-${i + 1}`;
export const MONITOR_USER = "monitor-1";
/** The site id in the meta template the main process builds; each agent puts its own in. */
export const SITE_PLACEHOLDER = "site-placeholder";

export const topicOf = {
  agentState: (site: string) => `${PREFIX}/${site}/agent/state`,
  agentMeta: (site: string) => `${PREFIX}/${site}/agent/meta`,
  rebirth: (site: string) => `${PREFIX}/${site}/agent/rebirth`,
  health: (site: string, device: string) => `${PREFIX}/${site}/dev/${device}/health`,
  state: (site: string, device: string) => `${PREFIX}/${site}/dev/${device}/state`,
  event: (site: string) => `${PREFIX}/${site}/event`,
  cmd: (site: string, user: string) => `${PREFIX}/${site}/cmd/${user}`,
  res: (site: string, user: string) => `${PREFIX}/${site}/res/${user}`,
  cmdFilter: (site: string) => `${PREFIX}/${site}/cmd/+`,
  healthFilter: `${PREFIX}/+/dev/+/health`,
  resFilter: (user: string) => `${PREFIX}/+/res/${user}`,
};

export const birth = (bootSeq: number): string => JSON.stringify({ state: "online", bootSeq, version: AGENT_VERSION, ts: Date.now() });
export const will = (bootSeq: number): string => JSON.stringify({ state: "lost", bootSeq });

export function healthPayload(since: number, message: string | undefined, t: number): string {
  const msg = message === undefined ? "" : `,"message":${JSON.stringify(message)}`;
  return `{"status":"ok","since":${since},"lastSeen":${Date.now()}${msg},"benchT":${t}}`;
}

/** `stateJson`: JSON.stringify(profile.state), computed once per device. */
export function statePayload(stateJson: string, t: number): string {
  return `{"ts":${Date.now()},"state":${stateJson},"benchT":${t}}`;
}

export function commandPayload(id: string, device: string, command: DeviceProfile["command"]): string {
  return JSON.stringify({ id, device, action: command.action, args: command.args });
}

export function responsePayload(id: string, t: number): string {
  return `{"id":${JSON.stringify(id)},"status":"ok","data":{"done":true},"ts":${Date.now()},"benchT":${t}}`;
}

/** The command audit event the agent publishes after each command. */
export function auditEvent(eventId: string, id: string, user: string, device: string, action: string, durationMs: number): string {
  return JSON.stringify({ id: eventId, ts: Date.now(), type: "command", device, data: { id, user, device, action, status: "ok", durationMs } });
}
