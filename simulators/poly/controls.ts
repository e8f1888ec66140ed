/**
 * The Poly simulator's own fault controls, for tests and the `roomgate sim` prompt (the common
 * ones, silent/garbage/slow/unplug, are simulators/site.ts's). A known verb with a bad value throws
 * an Error that says what it takes; an unknown verb answers undefined.
 */
import type { NumberBehaviour, SimulatedMcu } from "../codec-mcu/mcu.js";
import type { PolyCodec } from "./codec.js";

export const CONTROL_HELP = `Poly codec controls:
  reboot DEV [ms]                        NUL on every session, calls dropped, prompt or banner again after ms (default bootMs)
  password DEV TEXT | password DEV       the codec's password changes (the agent's no longer works) / none
  registration DEV sip|h323|all on|off   registration lost / back at the MCU
  hangup DEV [CALL]                      the far end hangs up (every call without CALL)
  drop DEV [CALL]                        the network drops the call
  number DEV NUMBER answer [RINGMS] | reject busy|declined|not-found | no-answer   how a far end behaves
  incoming DEV NUMBER                    a far end calls the room
  storm DEV LOSS% JITTERMS | storm DEV off   loss and jitter on every call
  sessions DEV N                         at most N API sessions (telnet; SSH keeps its limit from start)
  mute DEV on|off | volume DEV 0..50     changed at the codec (remote control): pushed to registered sessions
  farcontent DEV on|off                  the far end shares content`;

export interface ControlTarget {
  codec: PolyCodec;
  mcu: SimulatedMcu;
  sshUsers: Record<string, string>;
  username: string;
}

const onOff = (verb: string, v: string | undefined): boolean => {
  if (v !== "on" && v !== "off") throw new Error(`${verb} needs on|off, got ${v ?? "nothing"}`);
  return v === "on";
};

const int = (verb: string, v: string | undefined, min: number, max: number): number => {
  const n = Number(v);
  if (v === undefined || !Number.isInteger(n) || n < min || n > max) throw new Error(`${verb} needs a whole number ${min}..${max}, got ${v ?? "nothing"}`);
  return n;
};

/** The calls a far-end control acts on: one by id, or every active one. */
function callsOf(t: ControlTarget, verb: string, id: string | undefined): number[] {
  if (id === undefined) return t.mcu.active().map((c) => c.id);
  const call = t.mcu.get(Number(id));
  if (!call || call.state === "ended") throw new Error(`${verb}: no active call ${id}; active: ${t.mcu.active().map((c) => c.id).join(", ") || "none"}`);
  return [call.id];
}

export function runControl(t: ControlTarget, verb: string, args: readonly string[]): string | undefined {
  const { codec, mcu } = t;
  const [a, b, c, d] = args;
  switch (verb) {
    case "reboot": {
      const ms = a === undefined ? codec.settings.bootMs : int(verb, a, 0, 600_000);
      codec.reboot(ms);
      return `rebooting; prompt again in ${ms} ms`;
    }
    case "password": {
      const next = a ?? "";
      codec.password = next;
      if (Object.keys(t.sshUsers).length > 0) for (const user of Object.keys(t.sshUsers)) t.sshUsers[user] = next;
      return next === "" ? "no password" : "password changed";
    }
    case "registration": {
      if (a !== "sip" && a !== "h323" && a !== "all") throw new Error(`registration needs sip|h323|all, got ${a ?? "nothing"}`);
      const on = onOff(verb, b);
      const which: ("sip" | "h323")[] = a === "all" ? ["sip", "h323"] : [a];
      for (const p of which) mcu.setRegistered(p, on);
      return `${a} registration ${on ? "back" : "lost"}`;
    }
    case "hangup":
    case "drop": {
      const ids = callsOf(t, verb, a);
      for (const id of ids) mcu.drop(id, verb === "hangup" ? "remote" : "network");
      return `${verb === "hangup" ? "far end hung up" : "network dropped"} ${ids.join(", ") || "nothing"}`;
    }
    case "number": {
      if (a === undefined) throw new Error("number needs a dial string and answer|reject|no-answer");
      let behaviour: NumberBehaviour;
      if (b === "answer") behaviour = c === undefined ? { kind: "answer" } : { kind: "answer", ringMs: int(verb, c, 0, 600_000) };
      else if (b === "reject") {
        if (c !== "busy" && c !== "declined" && c !== "not-found") throw new Error(`number ... reject needs busy|declined|not-found, got ${c ?? "nothing"}`);
        behaviour = { kind: "reject", cause: c };
      } else if (b === "no-answer") behaviour = { kind: "no-answer" };
      else throw new Error(`number needs answer|reject|no-answer, got ${b ?? "nothing"}`);
      mcu.setNumber(a, behaviour);
      return `${a}: ${b}${c ? ` ${c}` : ""}${d ? ` ${d}` : ""}`;
    }
    case "incoming": {
      if (a === undefined) throw new Error("incoming needs the calling number");
      return `call ${mcu.incoming(a).id} from ${a} ringing`;
    }
    case "storm": {
      codec.media.settle(); // what went before is counted at the old loss
      if (a === "off") {
        mcu.storm.lossPct = 0;
        mcu.storm.jitterMs = 0;
        return "storm over";
      }
      const loss = Number(a);
      const jitter = Number(b);
      if (!Number.isFinite(loss) || loss < 0 || loss > 100 || !Number.isFinite(jitter) || jitter < 0) throw new Error("storm needs LOSS% (0..100) and JITTERMS, or off");
      mcu.storm.lossPct = loss;
      mcu.storm.jitterMs = jitter;
      return `storm: +${loss} % loss, +${jitter} ms jitter`;
    }
    case "sessions":
      codec.maxSessions = int(verb, a, 1, 64);
      return `at most ${codec.maxSessions} sessions`;
    case "mute":
      codec.setMic(onOff(verb, a));
      return `mic ${codec.mic ? "muted" : "live"}`;
    case "volume":
      codec.setVolume(int(verb, a, 0, 50));
      return `volume ${codec.volume}`;
    case "farcontent":
      codec.farContent(onOff(verb, a));
      return `far content ${a}`;
    default:
      return undefined;
  }
}
