/**
 * What the cards of the conference and network kinds show, read from a device's published state
 * (docs/devices.md: "Codecs", "Access switch", "WAN link") without a browser: the codec's
 * registrations in the device's own words, its calls with their per-direction quality, mic and
 * standby; the switch's named ports; the link's figures. Pure and defensive: a field the driver did
 * not report (or reported out of shape) reads "–", never throws, so one odd state cannot blank the
 * page. The agent judges quality (`{codec}-call-quality`): the card shows its alarm, not a guess at
 * the site's thresholds.
 */

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const DASH = "–";

/** A figure with its unit, or "–" when the device does not say. */
export function figure(v: unknown, unit: string, digits = 0): string {
  const n = num(v);
  return n === undefined ? DASH : `${n.toFixed(digits)}${unit === "" ? "" : ` ${unit}`}`;
}

export interface RegistrationView {
  protocol: "SIP" | "H.323";
  /** The closed status: registered, registering, unregistered, failed, disabled, unknown. */
  status: string;
  /** The device's own words (`Registered`, `gatekeeper online`, `Failed: 403 Forbidden`). */
  detail: string;
  server: string | undefined;
}

export interface QualityRow {
  /** audio, video, content. */
  media: string;
  /** received (rx) or sent (tx). */
  direction: "rx" | "tx";
  loss: string;
  jitter: string;
  rate: string;
}

export interface CallView {
  id: string;
  remote: string;
  remoteName: string | undefined;
  direction: string;
  state: string;
  protocol: string;
  rate: string;
  since: number | undefined;
  quality: QualityRow[];
}

export interface CodecView {
  registrations: RegistrationView[];
  /** Every enabled registration registered (the driver's `registered`); undefined when not reported. */
  registered: boolean | undefined;
  calls: CallView[];
  muted: boolean | undefined;
  standby: boolean | undefined;
  volume: string;
  content: string;
  /** The agent's active call alarms of this codec (`call-quality`, `call-dropped`), by their suffix. */
  alarms: string[];
}

const PROTOCOL_LABEL: Record<string, string> = { sip: "SIP", h323: "H.323" };

function quality(q: unknown): QualityRow[] {
  const rows: QualityRow[] = [];
  for (const media of ["audio", "video", "content"]) {
    const pair = obj(obj(q)[media]);
    for (const direction of ["rx", "tx"] as const) {
      if (!(direction in pair)) continue;
      const s = obj(pair[direction]);
      rows.push({ media, direction, loss: figure(s.lossPct, "%", 1), jitter: figure(s.jitterMs, "ms"), rate: figure(s.rateKbps, "kbps") });
    }
  }
  return rows;
}

function call(raw: unknown): CallView {
  const c = obj(raw);
  return {
    id: str(c.id) ?? String(c.id ?? DASH),
    remote: str(c.remote) ?? DASH,
    remoteName: str(c.remoteName),
    direction: str(c.direction) ?? DASH,
    state: str(c.state) ?? DASH,
    protocol: PROTOCOL_LABEL[String(c.protocol)] ?? str(c.protocol) ?? DASH,
    rate: figure(c.rateKbps, "kbps"),
    since: num(c.since),
    quality: quality(c.quality),
  };
}

/** The codec card's content from `state` (CodecState) and the site's active alarm ids. */
export function codecView(device: string, state: unknown, activeAlarms: Iterable<string>): CodecView {
  const s = obj(state);
  const reg = obj(s.registration);
  const registrations = (["sip", "h323"] as const)
    .filter((p) => p in reg)
    .map((p): RegistrationView => {
      const r = obj(reg[p]);
      return { protocol: p === "sip" ? "SIP" : "H.323", status: str(r.status) ?? "unknown", detail: str(r.detail) ?? "", server: str(r.server) };
    });
  const content = obj(s.content);
  const prefix = `${device}-call-`;
  return {
    registrations,
    registered: typeof s.registered === "boolean" ? s.registered : undefined,
    calls: Array.isArray(s.calls) ? s.calls.map(call) : [],
    muted: typeof obj(s.mic).muted === "boolean" ? (obj(s.mic).muted as boolean) : undefined,
    standby: typeof s.standby === "boolean" ? s.standby : undefined,
    volume: figure(s.volume, "%"),
    content: content.active === true ? `${str(content.direction) ?? "active"}${num(content.source) !== undefined ? ` (input ${String(content.source)})` : ""}` : content.active === false ? "none" : DASH,
    alarms: [...activeAlarms].filter((a) => a.startsWith(prefix)).map((a) => a.slice(prefix.length)).sort(),
  };
}

export interface PortView {
  name: string;
  ifIndex: string;
  /** admin/oper, e.g. `up/up`, `down/down`, `up/down`. */
  status: string;
  up: boolean;
  speed: string;
  /** `delivering, class 2, 4.1 W`, `off`, or "–" for a port without PoE. */
  poe: string;
  hasPoe: boolean;
  neighbour: string;
  errors: string;
  protected: boolean;
  cycling: boolean;
}

export interface SwitchView {
  ports: PortView[];
  pse: string;
  traps: string;
}

const speed = (mbps: number | undefined): string => (mbps === undefined ? DASH : mbps >= 1000 ? `${mbps / 1000} Gb/s` : `${mbps} Mb/s`);

/** The switch card's content from `state` (SwitchState). */
export function switchView(state: unknown): SwitchView {
  const s = obj(state);
  const cycling = new Set(Array.isArray(s.cycling) ? s.cycling.map(String) : []);
  const ports = Object.entries(obj(s.ports)).map(([name, raw]): PortView => {
    const p = obj(raw);
    const poe = p.poe === null || p.poe === undefined ? undefined : obj(p.poe);
    const n = obj(p.neighbour);
    const errs = [num(p.inErrorsPerSec), num(p.outErrorsPerSec)];
    return {
      name,
      ifIndex: figure(p.ifIndex, ""),
      status: `${str(p.admin) ?? DASH}/${str(p.oper) ?? DASH}`,
      up: p.oper === "up",
      speed: speed(num(p.speedMbps)),
      poe: poe === undefined ? DASH : [poe.enabled === false ? "off" : str(poe.detection) ?? "on", num(poe.class) !== undefined ? `class ${String(poe.class)}` : undefined, num(poe.powerW) !== undefined ? figure(poe.powerW, "W", 1) : undefined].filter(Boolean).join(", "),
      hasPoe: poe !== undefined,
      neighbour: str(n.sysName) ?? str(n.chassisId) ?? DASH,
      errors: errs.every((e) => e === undefined) ? DASH : `${figure(errs[0], "")} in, ${figure(errs[1], "")} out /s`,
      protected: p.protected === true,
      cycling: cycling.has(name),
    };
  });
  const pse = obj(s.pse);
  const traps = obj(s.traps);
  return {
    ports,
    pse: s.pse === null || s.pse === undefined ? DASH : `${str(pse.status) ?? DASH}, ${figure(pse.consumptionW, "W")} of ${figure(pse.powerW, "W")}`,
    traps: traps.listening === true ? `listening, ${String(num(traps.received) ?? 0)} received` : traps.listening === false ? "not listening (polling only)" : DASH,
  };
}

/** The WAN link card's facts from `state` (StampState): label -> text. */
export function linkFacts(state: unknown): [string, string][] {
  const s = obj(state);
  const rtt = obj(s.rttMs);
  const probes = num(s.probesSent);
  return [
    ["quality", str(s.quality) ?? DASH],
    ["loss", figure(s.lossPct, "%", 2)],
    ["round trip p50", figure(rtt.p50, "ms", 1)],
    ["round trip p95", figure(rtt.p95, "ms", 1)],
    ["jitter", figure(s.jitterMs, "ms", 1)],
    ["probes", probes === undefined ? DASH : `${String(num(s.repliesReceived) ?? 0)} answered of ${String(probes)}`],
    ["reflector", str(s.reflector) ?? DASH],
  ];
}
