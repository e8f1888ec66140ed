/**
 * `roomgate discover`: which ONVIF cameras answer WS-Discovery on this gateway's LAN, with a
 * ready-to-paste device entry for the site file. The password, when given, is read from a file
 * (never a command-line argument, which `ps` shows to everyone) and never printed.
 */
import { readFile } from "node:fs/promises";
import { UsageError } from "./args.js";
import { parseCommand } from "./spec.js";
import { discoverSpec } from "./specs/site.js";

export async function discoverCommand(argv: string[]): Promise<number> {
  const { values } = parseCommand(discoverSpec, argv);
  const windowMs = values.window === undefined ? 3000 : Number(values.window);
  if (!Number.isInteger(windowMs) || windowMs < 100 || windowMs > 60_000) throw new UsageError(`--window: expected 100..60000 ms, got "${values.window}"`);
  if (values["password-file"] !== undefined && values.user === undefined) throw new UsageError("--password-file needs --user");
  const password = values["password-file"] === undefined ? undefined : (await readFile(values["password-file"], "utf8")).split(/\r?\n/)[0];
  const { discover, formatDeviceEntry, discoveryOptionsSchema } = await import("../drivers/onvif/index.js");
  const parsed = discoveryOptionsSchema.safeParse({
    ...(values.interface === undefined ? {} : { interface: values.interface }),
    multicast: !values["no-multicast"],
    unicast: values.unicast ?? [],
    windowMs,
    ...(values.user === undefined ? {} : { username: values.user }),
    ...(password === undefined ? {} : { password }),
  });
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((i) => `--${String(i.path[0] ?? "")}: ${i.message}`).join("; "));
  if (!values.json) process.stderr.write(`probing for ONVIF cameras for ${windowMs} ms...\n`);
  const result = await discover(parsed.data);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  const rows = result.cameras.map((c) => [
    `${c.host}:${c.port}`, c.manufacturer ?? "?", c.model ?? c.hardware ?? c.name ?? "?", c.firmware ?? "?", c.ptz === null ? "?" : c.ptz ? "yes" : "no",
  ]);
  const head = ["address", "manufacturer", "model", "firmware", "ptz"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((v, i) => v.padEnd(widths[i]!)).join("  ").trimEnd();
  const out: string[] = [`${result.cameras.length} camera(s) found`];
  if (rows.length > 0) out.push("", line(head), ...rows.map(line));
  for (const c of result.cameras) out.push("", "# under devices: in the site file", formatDeviceEntry(c).trimEnd());
  if (result.malformed > 0) out.push("", `${result.malformed} malformed repl${result.malformed === 1 ? "y" : "ies"} skipped`);
  for (const e of result.errors) out.push(`warning: ${e.source}: ${e.code}: ${e.message}`);
  if (values.user === undefined && result.cameras.length > 0) out.push("", "(give --user and --password-file to read each camera's model, firmware and PTZ support)");
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}
