/**
 * Secrets a driver reads from a file named in its options (a codec's console password, an ONVIF
 * password, an SNMP community or key): the first line, read at every use so a rotated secret needs
 * no restart. A file that cannot be read is `invalid_args` naming the option and the file, never
 * the content.
 */
import { readFile } from "node:fs/promises";
import { DeviceError } from "./types.js";

/** The first line of `file` (`""` for an empty file); `option` names it in the error. */
export async function readSecretLine(file: string, option: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new DeviceError("invalid_args", `options.${option}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? "error"})`);
  }
  return text.split(/\r?\n/)[0] ?? "";
}
