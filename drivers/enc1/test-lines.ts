/** Test-only builders of ENC/1 device lines (never used in production code). */
import { checksum } from "./codec.js";

/** A device line with its checksum and LF, e.g. `dev("ENC,HB,1,0")` -> `$ENC,HB,1,0*6F\n`. */
export function dev(body: string): string {
  return `$${body}*${checksum(body)}\n`;
}

export const st = (seq: number, state: string, tun = "UP", key = "VALID", alarm = "NONE") =>
  dev(`ENC,ST,${seq},${state},tun=${tun},key=${key},alarm=${alarm}`);
export const hb = (seq: number, uptime = seq * 2) => dev(`ENC,HB,${seq},${uptime}`);
export const al = (seq: number, code: string, sev: string, action: string) => dev(`ENC,AL,${seq},${code},${sev},${action}`);
