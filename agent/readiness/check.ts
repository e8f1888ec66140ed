/**
 * One readiness check (docs/readiness.md): every expectation of the chosen rooms' profiles, judged
 * on states read back from the devices now (never the cached ones) and on live host probes.
 *
 * Devices are read in parallel (each its own link), each once per check, each under its own
 * deadline; the whole check under the check's deadline: what has not answered by then is a failed
 * item with `unreachable`, and the check ends on time. A device that does not answer fails its
 * `answers` item and skips its expectations (nothing can be said about them). Agent modules with
 * readiness items of their own (agent/module.ts) are judged beside the devices, under the same deadline.
 */
import type { Clock } from "../../drivers/types.js";
import { DeviceError } from "../../drivers/types.js";
import type { DriverReadiness, ReadinessItem } from "../../drivers/readiness.js";
import type { SiteConfig } from "../../config/site.js";
import type { PlannedItem, ReadinessItemReport } from "../topics.js";
import type { ModuleReadinessSource } from "../module.js";
import { checkHost, type Connect } from "./hosts.js";

export interface CheckDeps {
  config: SiteConfig;
  clock: Clock;
  /** Reads a device back now (a fresh poll) within timeoutMs; rejects with a DeviceError. */
  read(device: string, timeoutMs: number): Promise<Record<string, unknown>>;
  /** The device's driver readiness (its module's `readiness`), or undefined. */
  spec(device: string): Promise<DriverReadiness | undefined>;
  connect: Connect;
  /** The started agent modules that judge readiness items of their own. */
  modules?(): readonly ModuleReadinessSource[];
}

export interface CheckRequest {
  rooms: string[];
  /** Only these devices (a scene's verify step); default: every profiled device and host. */
  devices?: string[];
  deadlineMs: number;
  onItem?(item: ReadinessItemReport): void;
}

interface Target {
  room: string;
  device?: string;
  host?: string;
  module?: ModuleReadinessSource;
  /** Id prefix: the device, host or module, with the room when it is in more than one checked room. */
  prefix: string;
}

/** Rooms that have a profile, in the site file's order. */
export function profiledRooms(config: SiteConfig): string[] {
  return Object.entries(config.rooms ?? {})
    .filter(([, r]) => r.profile !== undefined)
    .map(([id]) => id);
}

/** The items a check will report, in order, before anything is read (for progress lines). */
export async function planCheck(deps: CheckDeps, req: Omit<CheckRequest, "onItem" | "deadlineMs">): Promise<PlannedItem[]> {
  const plan: PlannedItem[] = [];
  for (const t of targets(deps, req)) {
    const items = t.module ? t.module.readiness.plan(t.room) : t.device !== undefined ? await expected(deps, t.room, t.device, {}) : [{ key: "rtt", name: hostName(deps.config, t) }];
    if (t.device !== undefined) items.unshift(answersItem(t.device, "pass", 0, deps.config.readiness.slowMs));
    for (const i of items) plan.push({ ...ids(t, i.key), name: i.name });
  }
  return plan;
}

/** Runs the check; resolves with every item by the deadline (never rejects). */
export async function runCheck(deps: CheckDeps, req: CheckRequest): Promise<ReadinessItemReport[]> {
  const { clock, config } = deps;
  const settings = config.readiness;
  const plan = await planCheck(deps, req);
  const done = new Map<string, ReadinessItemReport>();
  const report = (item: ReadinessItemReport) => {
    if (done.has(item.id)) return;
    done.set(item.id, item);
    req.onItem?.(item);
  };
  const reads = new Map<string, Promise<{ state: Record<string, unknown>; ms: number }>>();
  const readOnce = (device: string) => {
    let r = reads.get(device);
    if (!r) {
      const t0 = clock.now();
      r = deps.read(device, Math.min(settings.deviceTimeoutMs, req.deadlineMs)).then((state) => ({ state, ms: clock.now() - t0 }));
      reads.set(device, r);
    }
    return r;
  };
  const work = targets(deps, req).map(async (t) => {
    if (t.module) {
      await judgeModule(t, clock, clock.now() + req.deadlineMs, report);
      return;
    }
    if (t.host !== undefined) {
      const t0 = clock.now();
      const item = await checkHost(t.host, config.rooms![t.room]!.profile!.hosts[t.host]!, deps.connect);
      report({ ...ids(t, item.key), ...fields(item), durationMs: clock.now() - t0 });
      return;
    }
    const device = t.device!;
    let read: { state: Record<string, unknown>; ms: number };
    try {
      read = await readOnce(device);
    } catch (err) {
      const answers = unreachable(device, err);
      report({ ...ids(t, answers.key), ...fields(answers) });
      for (const i of await expected(deps, t.room, device, {})) {
        report({ ...ids(t, i.key), name: i.name, result: "skip", code: "unreachable", message: `not checked: ${device} did not answer` });
      }
      return;
    }
    report({ ...ids(t, "answers"), ...fields(answersItem(device, "pass", read.ms, settings.slowMs)), durationMs: read.ms });
    for (const i of await expected(deps, t.room, device, read.state)) report({ ...ids(t, i.key), ...fields(i), durationMs: read.ms });
  });
  let timer: unknown;
  const deadline = new Promise<void>((resolve) => {
    timer = clock.setTimeout(resolve, req.deadlineMs);
  });
  const finished = await Promise.race([Promise.all(work).then(() => true), deadline.then(() => false)]);
  clock.clearTimeout(timer);
  // Whatever has not answered by the deadline fails, so the check always ends on time.
  for (const p of plan) {
    if (done.has(p.id)) continue;
    const message = finished ? "the driver's checks did not report this item (a bug: please report it)" : `no answer within the check's deadline (${req.deadlineMs} ms)`;
    report({ ...p, result: "fail", code: finished ? "internal" : "unreachable", message });
  }
  return plan.map((p) => done.get(p.id)!);
}

function targets(deps: CheckDeps, req: { rooms: string[]; devices?: string[] | undefined }): Target[] {
  const { config } = deps;
  const count = new Map<string, number>();
  const out: Omit<Target, "prefix">[] = [];
  for (const room of req.rooms) {
    const profile = config.rooms?.[room]?.profile;
    if (!profile) continue;
    for (const device of Object.keys(profile.devices)) {
      if (req.devices && !req.devices.includes(device)) continue;
      out.push({ room, device });
    }
    if (req.devices) continue;
    for (const host of Object.keys(profile.hosts)) out.push({ room, host });
    for (const module of deps.modules?.() ?? []) if (module.readiness.plan(room).length > 0) out.push({ room, module });
  }
  const key = (t: Omit<Target, "prefix">): string => t.device ?? t.host ?? t.module!.module;
  for (const t of out) count.set(key(t), (count.get(key(t)) ?? 0) + 1);
  return out.map((t) => {
    const id = key(t);
    return { ...t, prefix: (count.get(id) ?? 0) > 1 ? `${t.room}.${id}` : id };
  });
}

function ids(t: Target, key: string): Pick<ReadinessItemReport, "id" | "room" | "device" | "host"> {
  return { id: `${t.prefix}.${key}`, room: t.room, ...(t.device !== undefined ? { device: t.device } : {}), ...(t.host !== undefined ? { host: t.host } : {}) };
}

/** A module's items: what it judged by the deadline, or each planned item failed with the module's error. */
async function judgeModule(t: Target, clock: Clock, deadline: number, report: (item: ReadinessItemReport) => void): Promise<void> {
  const t0 = clock.now();
  const planned = t.module!.readiness.plan(t.room);
  try {
    const items = await t.module!.readiness.evaluate(t.room, deadline);
    for (const i of items) report({ ...ids(t, i.key), ...fields(i), durationMs: clock.now() - t0 });
  } catch (err) {
    const code = err instanceof DeviceError ? err.code : "internal";
    const message = `${t.module!.module} could not judge it: ${err instanceof Error ? err.message : String(err)}`;
    for (const p of planned) report({ ...ids(t, p.key), name: p.name, result: "fail", code, message, durationMs: clock.now() - t0 });
  }
}

function fields(i: ReadinessItem): Omit<ReadinessItemReport, "id"> {
  const { key, ...rest } = i;
  void key;
  return rest;
}

function hostName(config: SiteConfig, t: Target): string {
  const h = config.rooms![t.room]!.profile!.hosts[t.host!]!;
  return `${t.host} (${h.host}:${h.port}) reachable, RTT <= ${h.maxRttMs} ms`;
}

async function expected(deps: CheckDeps, room: string, device: string, state: Record<string, unknown>): Promise<ReadinessItem[]> {
  const spec = await deps.spec(device);
  const raw = deps.config.rooms?.[room]?.profile?.devices[device] ?? {};
  const dev = deps.config.devices[device];
  if (!spec || !dev) return [];
  // Validated when the site file was loaded (agent/drivers.ts), so this parse only applies defaults.
  const profile = spec.profile.parse(raw);
  return spec.evaluate(profile, state, dev.options ?? {});
}

function answersItem(device: string, result: "pass", ms: number, slowMs: number): ReadinessItem {
  const name = `${device} answers`;
  if (ms > slowMs) {
    return { key: "answers", name, result: "warn", code: "slow", message: `answered in ${ms} ms (slow: over ${slowMs} ms)`, fix: "check the link to the device (cable, baud rate, network load)", actual: { ms } };
  }
  return { key: "answers", name, result, message: `answered in ${ms} ms`, actual: { ms } };
}

function unreachable(device: string, err: unknown): ReadinessItem {
  const code = err instanceof DeviceError ? err.code : "internal";
  const message = err instanceof Error ? err.message : String(err);
  // A device that answers with an error is reachable but wrong; silence and closed links are unreachable.
  const silent = code === "timeout" || code === "not_connected" || code === "cancelled";
  return {
    key: "answers",
    name: `${device} answers`,
    result: "fail",
    code: silent ? "unreachable" : code,
    message,
    fix: silent ? `check ${device}'s power and cable (or network), then its health: roomgate watch` : `see the device's error; its health is on dev/${device}/health`,
  };
}
