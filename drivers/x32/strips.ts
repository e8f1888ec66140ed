/**
 * The named strips of one driver and what the desk's messages mean for them (pure, no I/O):
 * which address feeds which channel field, how answers are read, and how a push or a meter blob
 * changes the state.
 */
import { DeviceError } from "../types.js";
import { METERS_INPUTS, parseMeterBlob, stripAddresses, type StripAddresses } from "./addresses.js";
import { faderToDb, linearToDb, roundDb } from "./fader.js";
import type { OscArg, OscMessage } from "./osc.js";
import type { ChannelState } from "./state.js";

export interface Strip { name: string; addr: StripAddresses }

export class StripTable {
  readonly strips = new Map<string, Strip>();
  /** Reply/push address -> the strips and the field it feeds (two names may share a strip). */
  private readonly routes = new Map<string, { name: string; field: "on" | "fader" }[]>();

  constructor(channels: Record<string, { path: string }>) {
    for (const [name, ch] of Object.entries(channels)) {
      const addr = stripAddresses(ch.path);
      this.strips.set(name, { name, addr });
      for (const [field, address] of [["on", addr.on], ["fader", addr.fader]] as const) {
        this.routes.set(address, [...(this.routes.get(address) ?? []), { name, field }]);
      }
    }
  }

  get names(): string[] {
    return [...this.strips.keys()];
  }

  /**
   * What a message from the desk (push or answer) changes: a list of channel patches, `null`
   * when it is not about our strips, or `"bad_meter"` for an unreadable meter blob.
   */
  changes(msg: OscMessage): [string, Partial<ChannelState>][] | null | "bad_meter" {
    const routes = this.routes.get(msg.address);
    if (routes) {
      const a = msg.args[0];
      if (!a || (a.type !== "i" && a.type !== "f")) return null;
      return routes.map(({ name, field }) =>
        field === "on" ? [name, { muted: a.value === 0 }] : [name, { levelDb: roundDb(faderToDb(a.value)) }]);
    }
    if (msg.address !== METERS_INPUTS) return null;
    const blob = msg.args[0]?.type === "b" ? msg.args[0].value : null;
    const values = blob ? parseMeterBlob(blob) : null;
    if (!values) return "bad_meter";
    const out: [string, Partial<ChannelState>][] = [];
    for (const s of this.strips.values()) {
      const v = s.addr.meterIndex === null ? undefined : values[s.addr.meterIndex];
      if (v !== undefined) out.push([s.name, { signalDb: linearToDb(v) }]);
    }
    return out;
  }
}

/** The answer to `<strip>/mix/on`: true = muted (0). */
export function parseOn(args: OscArg[], address: string): boolean {
  const a = args[0];
  if (a && (a.type === "i" || a.type === "f")) return a.value === 0;
  throw new DeviceError("device_error", `unreadable answer to ${address}: expected ,i`, { address, types: args.map((x) => x.type).join("") });
}

/** The answer to `<strip>/mix/fader`: the wire float 0..1. */
export function parseFader(args: OscArg[], address: string): number {
  const a = args[0];
  if (a && a.type === "f" && Number.isFinite(a.value)) return a.value;
  throw new DeviceError("device_error", `unreadable answer to ${address}: expected ,f`, { address, types: args.map((x) => x.type).join("") });
}
