/**
 * The readiness checks of a site file that need the drivers: each profiled device's expectations
 * pass its driver's profile schema and cross-check (a state the driver does not have, a channel its
 * options do not name), and every scene and fail-safe step names an action the driver has, with args
 * its schema accepts; and every codec's test call dials what the codec vocabulary's `call.dial` accepts.
 * Issues name the dotted path and, with a locator, the line.
 */
import type { SiteConfig } from "../../config/site.js";
import { configErrorMap, zodIssuesToConfigIssues, type ConfigIssue } from "../../config/issues.js";
import type { Locate } from "../../config/load-site.js";
import type { DriverModule } from "../drivers.js";
import { codecActionArgs } from "../../drivers/codec/vocabulary.js";

type Path = (string | number)[];

export async function readinessConfigIssues(
  config: SiteConfig,
  load: (protocol: string) => Promise<DriverModule> | undefined,
  locate: Locate = () => undefined,
): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  const at = (path: Path, message: string, atKey = false): ConfigIssue => {
    const pos = locate(path, atKey);
    return { path: path.join("."), message, ...(pos ? { line: pos.line, column: pos.column } : {}) };
  };
  const moduleOf = async (device: string) => {
    const dev = config.devices[device];
    return dev ? { dev, mod: await load(dev.protocol) } : undefined;
  };
  for (const [room, cfg] of Object.entries(config.rooms ?? {})) {
    for (const [device, expect] of Object.entries(cfg.profile?.devices ?? {})) {
      const base: Path = ["rooms", room, "profile", "devices", device];
      const found = await moduleOf(device);
      if (!found?.mod) continue; // unknown device or protocol: reported by the site schema / checkDevices
      const spec = found.mod.readiness;
      if (!spec) {
        issues.push(at(base, `the ${found.dev.protocol} driver has no readiness checks (docs/readiness.md says how to add them)`, true));
        continue;
      }
      const parsed = spec.profile.safeParse(expect, { error: configErrorMap });
      if (!parsed.success) {
        for (const i of zodIssuesToConfigIssues(parsed.error.issues, expect, (p, k) => locate([...base, ...p], k))) {
          issues.push({ ...i, path: `${base.join(".")}${i.path === "" ? "" : `.${i.path}`}` });
        }
        continue;
      }
      const options = found.mod.optionsSchema?.safeParse(found.dev.options ?? {});
      if (options && !options.success) continue; // the options' own issues are reported already
      for (const i of spec.crossCheck?.(parsed.data, found.dev.options ?? {}) ?? []) issues.push(at([...base, ...i.path], i.message));
    }
    const steps: { path: Path; step: { device: string; action: string; args: Record<string, unknown> } }[] = [];
    (cfg.secure?.failsafe ?? []).forEach((step, i) => steps.push({ path: ["rooms", room, "secure", "failsafe", i], step }));
    for (const [scene, sc] of Object.entries(cfg.scenes ?? {})) {
      sc.steps.forEach((step, i) => {
        if ("action" in step) steps.push({ path: ["rooms", room, "scenes", scene, "steps", i], step });
      });
    }
    for (const { path, step } of steps) {
      const found = await moduleOf(step.device);
      if (!found?.mod) continue;
      const actions = found.mod.createDriver().actions;
      const spec = Object.hasOwn(actions, step.action) ? actions[step.action] : undefined;
      if (!spec) {
        issues.push(at([...path, "action"], `${step.device} (${found.dev.protocol}) has no action "${step.action}"; actions: ${Object.keys(actions).sort().join(", ")}`));
        continue;
      }
      const args = spec.args.safeParse(step.args, { error: configErrorMap });
      if (!args.success) {
        for (const i of zodIssuesToConfigIssues(args.error.issues, step.args, (p, k) => locate([...path, "args", ...p], k))) {
          issues.push({ ...i, path: `${[...path, "args"].join(".")}${i.path === "" ? "" : `.${i.path}`}` });
        }
      }
    }
  }
  for (const [id, dev] of Object.entries(config.devices)) {
    const t = dev.calls?.testCall;
    if (t === undefined) continue;
    const path: Path = ["devices", id, "calls", "testCall"];
    const dial = { number: t.number, protocol: t.protocol, ...(t.rateKbps !== undefined ? { rateKbps: t.rateKbps } : {}) };
    const args = codecActionArgs["call.dial"].safeParse(dial, { error: configErrorMap });
    if (args.success) continue;
    for (const i of zodIssuesToConfigIssues(args.error.issues, dial, (p, k) => locate([...path, ...p], k))) {
      issues.push({ ...i, path: `${path.join(".")}${i.path === "" ? "" : `.${i.path}`}` });
    }
  }
  return issues;
}
