/**
 * `roomgate sim` controls of the encryptor simulator (a separate control channel: never the
 * device line). `control(device, verb, args)` returns the answer line, undefined for a verb that
 * is not one of these, and throws an Error that says what is accepted for a bad value.
 */
import type { Enc1Device } from "./device.js";
import { SIM_KEYS, SIM_SEVERITIES, SIM_STATES, type SimKey, type SimSeverity, type SimState } from "./lines.js";

export const CONTROL_HELP = `  state DEV ${SIM_STATES.join("|")}
                               force a state (with its tunnel/key fields and alarm lines)
  tunnel DEV up|down           tunnel up / down (SECURE <-> TUNNEL_DOWN)
  key DEV valid|expiring|expired|none
                               key status (expired/none: SECURE -> KEY_EXPIRED)
  tamper DEV                   tamper switch: TAMPER + critical TAMPER alarm (latched)
  zeroize DEV                  keys erased: ZEROIZED, key NONE, tunnel DOWN + critical ZEROIZED alarm
  alarm DEV CODE raise|clear [CRIT|MAJ|MIN]
                               send an alarm line (e.g. alarm enc-main TEMP raise MIN)
  badchecksum DEV on|off       every line goes out with a wrong checksum
  flood DEV N                  N heartbeat lines at once (1..10000)`;

function pick<T extends string>(list: readonly T[], value: string | undefined, what: string): T {
  const v = value?.toUpperCase();
  if (v === undefined || !(list as readonly string[]).includes(v)) throw new Error(`${what}: expected one of ${list.join("|").toLowerCase()}, got ${value ?? "nothing"}`);
  return v as T;
}

function onOff(value: string | undefined, what: string): boolean {
  if (value === "on" || value === "off") return value === "on";
  throw new Error(`${what}: expected on|off, got ${value ?? "nothing"}`);
}

export function runControl(device: Enc1Device, verb: string, args: readonly string[]): string | undefined {
  const describe = () => `state=${device.state} tun=${device.tunnel} key=${device.key} alarms=${[...device.alarms.keys()].join(",") || "none"}`;
  switch (verb) {
    case "state":
      device.setState(pick<SimState>(SIM_STATES, args[0], "state"));
      return describe();
    case "tunnel":
      device.setTunnel(pick(["UP", "DOWN"] as const, args[0], "tunnel"));
      return describe();
    case "key":
      device.setKey(pick<SimKey>(SIM_KEYS, args[0], "key"));
      return describe();
    case "tamper":
      device.tamper();
      return describe();
    case "zeroize":
      device.zeroize();
      return describe();
    case "alarm": {
      const code = args[0]?.toUpperCase();
      if (code === undefined || !/^[A-Z0-9_]{1,32}$/.test(code)) throw new Error("alarm: expected a CODE of A-Z, 0-9 and _ (e.g. TEMP)");
      const action = pick(["RAISE", "CLEAR"] as const, args[1], "alarm action");
      const severity = args[2] === undefined ? undefined : pick<SimSeverity>(SIM_SEVERITIES, args[2], "alarm severity");
      device.alarm(code, action, severity);
      return describe();
    }
    case "badchecksum":
      device.faults.badChecksum = onOff(args[0], "badchecksum");
      return `badChecksum=${device.faults.badChecksum}`;
    case "flood": {
      const n = Number(args[0]);
      if (!Number.isInteger(n) || n < 1 || n > 10_000) throw new Error(`flood: expected a line count 1..10000, got ${args[0] ?? "nothing"}`);
      device.flood(n);
      return `sent ${n} heartbeat lines`;
    }
    default:
      return undefined;
  }
}
