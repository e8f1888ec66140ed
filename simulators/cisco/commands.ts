/**
 * Reading command lines and running xCommands on the simulated codec. Written apart from the
 * driver's encoder (commands are case-insensitive, values quoted or bare, C1), so a driver bug
 * cannot hide behind a shared parser.
 *
 * A result is what the JSON mode prints under `CommandResponse` (C2, C3): `<Name>Result` with
 * `status` OK, Error (with a `Reason`) or ParameterError, the name being the last two words of the
 * path (`Video Input SetMainVideoSource` -> `InputSetMainVideoSourceResult`, `Dial` -> `DialResult`).
 */
import { leaf, type JObj } from "./tree.js";
import type { CiscoCodec } from "./model.js";

export interface ParsedLine {
  /** The words before the first `Key:` argument, as typed. */
  words: string[];
  args: Map<string, string>;
  resultId?: string;
}

/** Splits `xCommand Dial Number: "a b" Protocol: Sip | resultId="x"`; undefined for an unbalanced quote. */
export function parseLine(line: string): ParsedLine | undefined {
  let body = line.trim();
  let resultId: string | undefined;
  const tag = /\|\s*resultId\s*=\s*"([^"]*)"\s*$/i.exec(body) ?? /\|\s*resultId\s*=\s*(\S+)\s*$/i.exec(body);
  if (tag) {
    resultId = tag[1]!;
    body = body.slice(0, tag.index).trim();
  }
  const tokens: { text: string; quoted: boolean }[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === " " || c === "\t") {
      i++;
      continue;
    }
    if (c === '"' || c === "“" || c === "”") {
      let v = "";
      i++;
      while (i < body.length && body[i] !== '"' && body[i] !== "”") {
        if (body[i] === "\\" && i + 1 < body.length) i++;
        v += body[i];
        i++;
      }
      if (i >= body.length) return undefined;
      i++;
      tokens.push({ text: v, quoted: true });
      continue;
    }
    let w = "";
    while (i < body.length && body[i] !== " " && body[i] !== "\t") w += body[i++];
    tokens.push({ text: w, quoted: false });
  }
  const words: string[] = [];
  const args = new Map<string, string>();
  for (let t = 0; t < tokens.length; t++) {
    const tok = tokens[t]!;
    if (!tok.quoted && tok.text.endsWith(":") && tok.text.length > 1) {
      const value = tokens[t + 1];
      args.set(tok.text.slice(0, -1).toLowerCase(), value ? value.text : "");
      t++;
    } else if (args.size === 0) words.push(tok.text);
  }
  const out: ParsedLine = { words, args };
  if (resultId !== undefined) out.resultId = resultId;
  return out;
}

export type CommandOutcome = { name: string; status: "OK" | "Error" | "ParameterError"; fields: JObj };

const ok = (name: string, fields: JObj = {}): CommandOutcome => ({ name, status: "OK", fields });
const error = (name: string, reason: string): CommandOutcome => ({ name, status: "Error", fields: { Reason: leaf(reason) } });
const paramError = (name: string): CommandOutcome => ({ name, status: "ParameterError", fields: {} });

function int(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Runs `xCommand <path> <args>`; undefined when the codec has no such command. */
export function runCommand(codec: CiscoCodec, path: string[], args: Map<string, string>, session: { peripherals: Set<string> }): CommandOutcome | undefined {
  const p = path.map((w) => w.toLowerCase()).join(" ");
  const name = `${path.slice(-2).map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join("")}Result`;
  switch (p) {
    case "dial": {
      const number = args.get("number");
      if (!number) return paramError("DialResult");
      const proto = (args.get("protocol") ?? "").toLowerCase();
      if (proto !== "" && !["sip", "h323", "auto", "spark"].includes(proto)) return paramError("DialResult");
      const rate = args.has("callrate") ? int(args.get("callrate")) : codec.o.defaultRateKbps;
      if (rate === undefined || rate < 64 || rate > 6000) return paramError("DialResult");
      const protocol = proto === "h323" ? "h323" : proto === "sip" ? "sip" : codec.o.defaultProtocol;
      const call = codec.dial(number, protocol, rate);
      return ok("DialResult", { CallId: leaf(call.id), ConferenceId: leaf(call.id) });
    }
    case "call disconnect":
    case "call accept": {
      const id = args.has("callid") ? int(args.get("callid")) : undefined;
      if (args.has("callid") && id === undefined) return paramError(name);
      const accept = p === "call accept";
      const targets = [...codec.calls.values()].filter((c) => (id === undefined ? !accept || (c.direction === "Incoming" && c.status === "Ringing") : c.id === id));
      if (targets.length === 0) return error(name, id === undefined ? "No active call" : `No active call with CallId ${id}`);
      for (const c of accept ? targets.slice(0, 1) : targets) {
        if (accept) codec.mcu.answer(c.id);
        else codec.mcu.hangup(c.id);
      }
      return ok(name);
    }
    case "audio microphones mute":
    case "audio microphones unmute":
      codec.muted = p.endsWith(" mute");
      codec.changed();
      return ok(name);
    case "audio volume set": {
      const level = int(args.get("level"));
      if (level === undefined || level < 0 || level > 100) return paramError(name);
      codec.volume = level;
      codec.changed();
      return ok(name);
    }
    case "standby activate":
    case "standby deactivate":
      codec.standby = p === "standby activate" ? "Standby" : "Off";
      codec.changed();
      return ok(name);
    case "camera preset activate": {
      const id = int(args.get("presetid"));
      if (id === undefined || id < 1 || id > 35) return paramError("PresetActivateResult");
      if (!codec.o.presets.includes(id)) return error("PresetActivateResult", `Preset ${id} not found`);
      codec.lastPreset = id;
      return ok("PresetActivateResult");
    }
    case "video input setmainvideosource": {
      const connector = args.get("connectorid");
      const source = args.get("sourceid");
      if ((connector === undefined) === (source === undefined)) return error("InputSetMainVideoSourceResult", "Must supply either SourceId or ConnectorId (but not both.)");
      const n = int(connector ?? source);
      if (n === undefined || n < 1 || n > codec.o.connectors) return paramError("InputSetMainVideoSourceResult");
      codec.mainVideoSource = n;
      codec.changed();
      return ok("InputSetMainVideoSourceResult");
    }
    case "presentation start": {
      const src = args.has("presentationsource") ? int(args.get("presentationsource")) : 2;
      if (src === undefined || src < 1 || src > codec.o.connectors) return paramError(name);
      codec.presentation = { mode: "Sending", source: src };
      codec.changed();
      return ok(name);
    }
    case "presentation stop":
      codec.presentation = { mode: "Off" };
      codec.changed();
      return ok(name);
    case "peripherals connect": {
      const id = args.get("id");
      if (!id) return paramError(name);
      codec.peripherals.add(id);
      session.peripherals.add(id);
      return ok(name);
    }
    case "peripherals heartbeat": {
      const id = args.get("id");
      if (!id) return paramError("PeripheralsHeartBeatResult");
      if (!codec.peripherals.has(id)) return error("PeripheralsHeartBeatResult", "Peripheral not connected");
      return ok("PeripheralsHeartBeatResult");
    }
    default:
      return undefined;
  }
}
