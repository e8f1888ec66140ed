/**
 * The simulated DSP's command interpreter: one TTP line in, the answer lines out.
 * Grammar `InstanceTag verb attribute [index...] [value]`; `DEVICE` and `SESSION` service tags.
 * Error texts follow Biamp's TTP "Responses" page (address not found, Parse error at N: ...).
 */
import { formatLevel, type Block } from "./blocks.js";
import type { DspSession, Subscription, TesiraDsp } from "./dsp.js";

interface Token {
  text: string;
  at: number;
}

export const ADDRESS_NOT_FOUND = '-ERR address not found: {"deviceId":0 "classCode":0 "instanceNum":0}';
const VERB_ERROR = "verb was not one of the commands supported by Services";
const VERBS = new Set(["get", "set", "increment", "decrement", "toggle", "subscribe", "unsubscribe"]);

/** Splits on whitespace; a double-quoted token may hold spaces. Returns null for an open quote. */
export function tokenize(line: string): Token[] | null {
  const out: Token[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m[2]?.includes('"')) return null;
    out.push({ text: m[1] ?? m[2]!, at: m.index });
  }
  return out;
}

const parseError = (at: number, why: string) => [`-ERR Parse error at ${at}: ${why}`];

export function runCommand(dsp: TesiraDsp, session: DspSession, line: string): string[] {
  const t = tokenize(line);
  if (!t || t.length === 0) return parseError(line.length, "unterminated string");
  if (t.length < 2) return parseError(line.length, "not enough parameters supplied");
  const [tag, verb] = [t[0]!, t[1]!];
  if (tag.text === "DEVICE") return device(dsp, t, line);
  if (tag.text === "SESSION") return sessionCmd(dsp, session, t, line);
  const block = dsp.blocks.get(tag.text);
  if (!block) return [ADDRESS_NOT_FOUND];
  if (!VERBS.has(verb.text)) return parseError(verb.at, VERB_ERROR);
  const attr = t[2];
  if (!attr) return parseError(line.length, "not enough parameters supplied");
  if (!block.attributes().includes(attr.text)) {
    return [`-ERR '${attr.text}' is not supported by ${block.type === "level" ? "Level" : "Mute"}Interface::Attributes`];
  }
  if (attr.text === "numChannels" || attr.text === "minLevel" || attr.text === "maxLevel") {
    if (verb.text !== "get") return ["-ERR WRONG_STATE"];
    const v = attr.text === "numChannels" ? String(block.channels) : formatLevel(attr.text === "minLevel" ? block.minDb : block.maxDb);
    return [ok(session, v)];
  }
  const idx = t[3];
  if (!idx) return parseError(line.length, "not enough parameters supplied");
  const index = Number(idx.text);
  if (!/^\d+$/.test(idx.text)) return parseError(idx.at, "could not parse value");
  if (index < 1 || index > block.channels) return ["-ERR INVALID_PARAMETER"];
  return control(dsp, session, block, verb.text, attr.text as "level" | "mute", index, t.slice(4), line);
}

function control(dsp: TesiraDsp, session: DspSession, block: Block, verb: string, attribute: "level" | "mute", index: number, rest: Token[], line: string): string[] {
  const i = index - 1;
  const isLevel = attribute === "level";
  const current = isLevel ? block.levels[i]! : block.mutes[i]!;
  const value = rest[0];
  switch (verb) {
    case "get":
      return [ok(session, isLevel ? formatLevel(current as number) : String(current))];
    case "set": {
      if (!value) return parseError(line.length, "not enough parameters supplied");
      const v = isLevel ? parseNumber(value.text) : parseBool(value.text);
      if (v === null) return parseError(value.at, "could not parse value");
      dsp.setValue(block, attribute, index, v);
      return ["+OK"];
    }
    case "increment":
    case "decrement": {
      if (!isLevel) return ["-ERR WRONG_STATE"];
      if (!value) return parseError(line.length, "not enough parameters supplied");
      const step = parseNumber(value.text);
      if (step === null) return parseError(value.at, "could not parse value");
      dsp.setValue(block, "level", index, (current as number) + (verb === "increment" ? step : -step));
      return ["+OK"];
    }
    case "toggle":
      if (isLevel) return ["-ERR WRONG_STATE"];
      dsp.setValue(block, "mute", index, !current);
      return ["+OK"];
    case "subscribe": {
      const token = value?.text ?? "";
      const ms = rest[1] ? parseNumber(rest[1].text) : 0;
      if (ms === null || ms < 0) return parseError(rest[1]!.at, "could not parse value");
      const key = `${block.tag}|${attribute}|${index}|${token}`;
      if (session.subs.has(key)) return ["-ERR ALREADY_SUBSCRIBED"];
      const sub: Subscription = { block, attribute, index, token };
      session.subs.set(key, sub);
      dsp.startPeriodic(session, sub, ms);
      return [dsp.pushLine(sub), "+OK"];
    }
    case "unsubscribe": {
      const key = `${block.tag}|${attribute}|${index}|${value?.text ?? ""}`;
      const sub = session.subs.get(key);
      if (!sub) return ["-ERR WRONG_STATE"];
      if (sub.timer !== undefined) dsp.clock.clearInterval(sub.timer);
      session.subs.delete(key);
      return ["+OK"];
    }
    default:
      return parseError(0, VERB_ERROR);
  }
}

function device(dsp: TesiraDsp, t: Token[], line: string): string[] {
  const service = t[1]!;
  if (service.text === "recallPreset") {
    const id = t[2];
    if (!id) return parseError(line.length, "not enough parameters supplied");
    if (!/^\d+$/.test(id.text)) return parseError(id.at, "could not parse value");
    return dsp.recallPreset(Number(id.text)) ? ["+OK"] : ["-ERR INVALID_PARAMETER"];
  }
  if (service.text === "get" && t[2]?.text === "version") return [`+OK "value":"${dsp.firmware}"`];
  if (service.text === "get") return [`-ERR '${t[2]?.text ?? ""}' is not supported by DeviceInterface::Attributes`];
  return parseError(service.at, VERB_ERROR);
}

function sessionCmd(dsp: TesiraDsp, session: DspSession, t: Token[], line: string): string[] {
  const [verb, attr, value] = [t[1]!, t[2], t[3]];
  if (verb.text === "get" && attr?.text === "aliases") {
    const list = [...dsp.blocks.keys(), "DEVICE"].map((k) => `"${k}"`).join(",");
    return [session.verbose ? `+OK "list":[${list}]` : `+OK [${list}]`];
  }
  if (verb.text === "set" && attr?.text === "verbose") {
    if (!value) return parseError(line.length, "not enough parameters supplied");
    const v = parseBool(value.text);
    if (v === null) return parseError(value.at, "could not parse value");
    session.verbose = v;
    return ["+OK"];
  }
  if (!VERBS.has(verb.text)) return parseError(verb.at, VERB_ERROR);
  return [`-ERR '${attr?.text ?? ""}' is not supported by TextSession::Attributes`];
}

function ok(session: DspSession, value: string): string {
  return session.verbose ? `+OK "value":${value}` : `+OK ${value}`;
}

function parseNumber(s: string): number | null {
  return /^[-+]?(\d+\.?\d*|\.\d+)$/.test(s) ? Number(s) : null;
}

function parseBool(s: string): boolean | null {
  return s === "true" ? true : s === "false" ? false : null;
}
