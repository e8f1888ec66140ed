/**
 * WS-Discovery (2005/04) target service on UDP: answers Probe messages with a ProbeMatches sent
 * unicast to the prober, RelatesTo = the probe's MessageID (ONVIF Core, "Device discovery").
 *
 * With `multicast` it binds the wildcard address with SO_REUSEADDR and joins 239.255.255.250,
 * so several simulators and a real camera stack can share port 3702; a host without a multicast
 * route is logged and the responder carries on for unicast probes. Faulty multicast requests are
 * silently discarded, as the Core spec asks (no error storms); they are counted.
 */
import dgram from "node:dgram";
import { randomUUID } from "node:crypto";
import type { Clock, Logger, TimerHandle } from "../../drivers/types.js";
import type { ErrorLog } from "../visca/errors.js";
import type { OnvifFaults } from "./faults.js";
import { NS } from "./soap.js";
import { attr, child, esc, parseXml, resolveQName, XmlError, type XmlElement } from "./xml.js";

export const WSD_GROUP = "239.255.255.250";
export const WSD_PORT = 3702;
const PROBE_ACTION = `${NS.wsd}/Probe`;
const MATCH_RFC3986 = `${NS.wsd}/rfc3986`;
const MATCH_RFC2396 = `${NS.wsd}/rfc2396`;
const MATCH_STRCMP = `${NS.wsd}/strcmp0`;
/** The device's types: dn:NetworkVideoTransmitter (Profile S devices) and tds:Device (Core: shall). */
const DEVICE_TYPES = [
  { ns: NS.dn, local: "NetworkVideoTransmitter" },
  { ns: NS.tds, local: "Device" },
];

export interface DiscoveryStats {
  /** Datagrams received on the discovery socket. */
  discoveryMessages: number;
  probeMatches: number;
  malformedProbes: number;
}

export interface DiscoveryOptions {
  /** 0 = ephemeral. */
  port: number;
  /** Bind address. */
  address: string;
  multicast: boolean;
  clock: Clock;
  logger?: Logger;
  errors: ErrorLog;
  faults: OnvifFaults;
  stats: DiscoveryStats;
  /** urn:uuid:... (stable per device). */
  endpoint: string;
  scopes: readonly string[];
  /** Device service URLs for a probe from this address. */
  xaddrs(from: string): string[];
  metadataVersion: number;
}

export class DiscoveryResponder {
  private socket: dgram.Socket | undefined;
  private boundPort: number;
  private readonly timers = new Set<TimerHandle>();
  private readonly instanceId = Math.floor(Date.now() / 1000);
  private messageNumber = 0;
  /** Whether the multicast group was joined on the last bind. */
  multicastJoined = false;

  constructor(private readonly o: DiscoveryOptions) {
    this.boundPort = o.port;
  }

  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.socket !== undefined;
  }

  async listen(): Promise<void> {
    if (this.socket) return;
    const s = dgram.createSocket({ type: "udp4", reuseAddr: this.o.multicast });
    s.on("message", (msg, rinfo) => this.onMessage(msg, rinfo));
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.bind(this.boundPort, this.o.address, () => {
        s.off("error", reject);
        resolve();
      });
    }).catch((err: unknown) => {
      s.close();
      throw err;
    });
    s.on("error", (err) => this.o.errors.add(err, "discovery socket error"));
    this.boundPort = s.address().port;
    this.multicastJoined = false;
    if (this.o.multicast) {
      try {
        s.addMembership(WSD_GROUP);
        s.setMulticastLoopback(true);
        this.multicastJoined = true;
      } catch (err) {
        // No multicast route (containers, CI): unicast probes still work.
        this.o.logger?.warn({ err: (err as Error).message, group: WSD_GROUP }, "could not join the WS-Discovery group; answering unicast probes only");
      }
    }
    this.socket = s;
  }

  async close(): Promise<void> {
    for (const t of this.timers) this.o.clock.clearTimeout(t);
    this.timers.clear();
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    try {
      this.handle(msg, rinfo);
    } catch (err) {
      this.o.errors.add(err, "discovery handler failed");
    }
  }

  private handle(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.o.stats.discoveryMessages++;
    let probe: { messageId: string; root: XmlElement; probe: XmlElement } | undefined;
    try {
      probe = readProbe(msg.toString("utf8"));
    } catch (err) {
      if (!(err instanceof XmlError || err instanceof ProbeError)) this.o.errors.add(err, "discovery handler failed");
      this.o.stats.malformedProbes++;
      return;
    }
    if (probe === undefined || this.o.faults.silent) return;
    if (!matchesTypes(probe.probe) || !matchesScopes(probe.probe, this.o.scopes)) return;
    let reply = this.probeMatches(probe.messageId, rinfo.address);
    if (this.o.faults.garbage) reply = `${reply.slice(0, Math.floor(reply.length / 2))}\u0000<<garbage`;
    this.o.stats.probeMatches++;
    const send = () => this.socket?.send(reply, rinfo.port, rinfo.address, (err) => {
      if (err) this.o.errors.add(err, "discovery send failed");
    });
    if (this.o.faults.slowMs <= 0) return void send();
    const t = this.o.clock.setTimeout(() => {
      this.timers.delete(t);
      send();
    }, this.o.faults.slowMs);
    this.timers.add(t);
  }

  private probeMatches(relatesTo: string, from: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<env:Envelope xmlns:env="${NS.env}" xmlns:wsa="${NS.wsa}" ` +
      `xmlns:wsd="${NS.wsd}" xmlns:dn="${NS.dn}" xmlns:tds="${NS.tds}"><env:Header>` +
      `<wsa:MessageID>urn:uuid:${randomUUID()}</wsa:MessageID><wsa:RelatesTo>${esc(relatesTo)}</wsa:RelatesTo>` +
      `<wsa:To>${NS.wsa}/role/anonymous</wsa:To><wsa:Action>${NS.wsd}/ProbeMatches</wsa:Action>` +
      `<wsd:AppSequence InstanceId="${this.instanceId}" MessageNumber="${++this.messageNumber}"/></env:Header>` +
      `<env:Body><wsd:ProbeMatches><wsd:ProbeMatch><wsa:EndpointReference><wsa:Address>${esc(this.o.endpoint)}</wsa:Address>` +
      `</wsa:EndpointReference><wsd:Types>dn:NetworkVideoTransmitter tds:Device</wsd:Types>` +
      `<wsd:Scopes>${this.o.scopes.map(esc).join(" ")}</wsd:Scopes><wsd:XAddrs>${this.o.xaddrs(from).map(esc).join(" ")}</wsd:XAddrs>` +
      `<wsd:MetadataVersion>${this.o.metadataVersion}</wsd:MetadataVersion></wsd:ProbeMatch></wsd:ProbeMatches></env:Body></env:Envelope>`;
  }
}

class ProbeError extends Error {}

/**
 * The probe in a datagram; undefined for a well-formed message that is not a Probe (Resolve,
 * Hello, another device's ProbeMatches); throws for a malformed one.
 */
export function readProbe(text: string): { messageId: string; root: XmlElement; probe: XmlElement } | undefined {
  const root = parseXml(text);
  if (root.local !== "Envelope" || root.ns !== NS.env) throw new ProbeError("not a SOAP 1.2 envelope");
  const header = child(root, "Header", NS.env);
  const body = child(root, "Body", NS.env);
  if (!body) throw new ProbeError("no Body");
  const probe = child(body, "Probe", NS.wsd);
  const action = header?.children.find((c) => c.local === "Action")?.text.trim();
  if (!probe) {
    if (action === PROBE_ACTION) throw new ProbeError("Probe action without a Probe body");
    return undefined;
  }
  const messageId = header?.children.find((c) => c.local === "MessageID")?.text.trim();
  if (!messageId) throw new ProbeError("Probe without MessageID");
  return { messageId, root, probe };
}

/** Empty Types matches everything; otherwise every listed type must be one of the device's. */
export function matchesTypes(probe: XmlElement): boolean {
  const types = child(probe, "Types");
  if (!types || types.text.trim() === "") return true;
  return types.text.trim().split(/\s+/).every((qn) => {
    const { ns, local } = resolveQName(types, qn);
    // An undeclared prefix (seen in the wild) is matched by local name alone.
    return DEVICE_TYPES.some((t) => t.local === local && (ns === undefined || ns === t.ns));
  });
}

/** Every probe scope must match one device scope (rfc3986 segment-prefix rule, or strcmp0). */
export function matchesScopes(probe: XmlElement, deviceScopes: readonly string[]): boolean {
  const scopes = child(probe, "Scopes");
  if (!scopes || scopes.text.trim() === "") return true;
  const rule = attr(scopes, "MatchBy") ?? MATCH_RFC3986;
  return scopes.text.trim().split(/\s+/).every((want) => deviceScopes.some((have) => {
    if (rule === MATCH_STRCMP) return want === have;
    if (rule !== MATCH_RFC3986 && rule !== MATCH_RFC2396) return false;
    return uriPrefixMatch(want, have);
  }));
}

function uriPrefixMatch(want: string, have: string): boolean {
  const parse = (u: string) => {
    const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/]*)(\/.*)?$/.exec(u);
    return m ? { scheme: m[1]!.toLowerCase(), authority: m[2]!.toLowerCase(), segs: (m[3] ?? "").split("/").filter((s) => s !== "") } : undefined;
  };
  const w = parse(want);
  const h = parse(have);
  if (!w || !h || w.scheme !== h.scheme || w.authority !== h.authority || w.segs.length > h.segs.length) return false;
  return w.segs.every((s, i) => s === h.segs[i]);
}
