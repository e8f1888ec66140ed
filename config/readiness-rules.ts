/**
 * Cross-field rules of the readiness parts of the site file: every device a profile, scene or
 * verification names exists; the fail-safe steps are given once; host ids do not shadow device ids
 * (`roomgate sim` controls both by id). What each driver can check is its own rule (agent/drivers.ts).
 */
import type { z } from "zod";

export type ReadinessShape = {
  devices: Record<string, unknown>;
  rooms?: Record<string, {
    secure?: { failsafe: unknown[] } | undefined;
    profile?: { devices: Record<string, unknown>; hosts: Record<string, unknown> } | undefined;
    scenes?: Record<string, { steps: ({ device: string } | { wait: number } | { verify: string | string[] })[] }> | undefined;
  }> | undefined;
  readiness: { schedule: { sessions: { room?: string | undefined }[] } };
};

export function checkReadiness(site: ReadinessShape, ctx: z.RefinementCtx): void {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const rooms = site.rooms ?? {};
  for (const [room, cfg] of Object.entries(rooms)) {
    const profiled = Object.keys(cfg.profile?.devices ?? {});
    for (const d of profiled) {
      if (!(d in site.devices)) issue(["rooms", room, "profile", "devices", d], `no device "${d}"; devices: ${Object.keys(site.devices).join(", ") || "none"}`);
    }
    for (const h of Object.keys(cfg.profile?.hosts ?? {})) {
      if (h in site.devices) issue(["rooms", room, "profile", "hosts", h], `host id "${h}" is also a device id; use another`);
    }
    for (const [scene, sc] of Object.entries(cfg.scenes ?? {})) {
      sc.steps.forEach((step, i) => {
        const at = ["rooms", room, "scenes", scene, "steps", i];
        if ("device" in step && !(step.device in site.devices)) issue([...at, "device"], `no device "${step.device}"`);
        if ("verify" in step) {
          for (const d of Array.isArray(step.verify) ? step.verify : [step.verify]) {
            if (!profiled.includes(d)) issue([...at, "verify"], `device "${d}" has no expectations in rooms.${room}.profile.devices, so there is nothing to verify`);
          }
        }
      });
    }
    if (cfg.scenes?.failsafe && (cfg.secure?.failsafe.length ?? 0) > 0) {
      issue(["rooms", room, "scenes", "failsafe"], "the fail-safe steps are given twice: keep either rooms." + room + ".secure.failsafe or this scene");
    }
  }
  site.readiness.schedule.sessions.forEach((s, i) => {
    if (s.room !== undefined && !(s.room in rooms)) issue(["readiness", "schedule", "sessions", i, "room"], `no room "${s.room}"`);
  });
}
