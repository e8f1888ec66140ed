/**
 * Scenes (docs/readiness.md): named sequences of device actions, waits and verifications, run in
 * order with each step's result reported. The one step runner of the agent: `scene.run`, the
 * `prepare` scene of `readiness.run {fix: true}`, and the secure-session fail-safe steps all use
 * `runSteps`.
 *
 * A failing step stops the scene or lets it continue, as the scene (or the step) says; a step
 * never throws out of the runner: its error is a value in its result.
 */
import type { Clock } from "../drivers/types.js";
import { DeviceError } from "../drivers/types.js";
import type { SceneConfig, SceneStep } from "../config/readiness.js";
import type { SiteConfig } from "../config/site.js";

export interface StepResult {
  index: number;
  kind: "action" | "wait" | "verify";
  device?: string;
  action?: string;
  /** skipped: not run because an earlier step failed and the scene stops on failure. */
  status: "ok" | "error" | "skipped";
  error?: { code: string; message: string };
  durationMs: number;
  /** A verify step's failing items (`device.key: message`). */
  failing?: string[];
}

export interface SceneResult {
  scene: string;
  room: string;
  status: "ok" | "failed";
  steps: StepResult[];
  startedAt: number;
  durationMs: number;
}

export interface StepDeps {
  clock: Clock;
  /** Runs a device action under a deadline; rejects with a DeviceError. */
  run(device: string, action: string, args: Record<string, unknown>, timeoutMs: number): Promise<unknown>;
  /** Reads devices back against the room profile; resolves with the failing items (empty: all pass). */
  verify?(devices: string[], timeoutMs: number): Promise<string[]>;
  /** Called as each step ends (progress for a console or a TTY). */
  onStep?(result: StepResult): void;
  signal?: AbortSignal;
}

/** Runs steps in order; resolves with every step's result (never rejects). */
export async function runSteps(steps: readonly SceneStep[], onFailure: SceneConfig["onFailure"], deps: StepDeps): Promise<StepResult[]> {
  const results: StepResult[] = [];
  let stopped = false;
  for (const [index, step] of steps.entries()) {
    const t0 = deps.clock.now();
    const base = describeStep(index, step);
    let result: StepResult;
    if (stopped || deps.signal?.aborted) {
      result = { ...base, status: "skipped", durationMs: 0 };
    } else {
      try {
        const failing = await runOne(step, deps);
        result = { ...base, status: failing.length === 0 ? "ok" : "error", durationMs: deps.clock.now() - t0 };
        if (failing.length > 0) {
          result.failing = failing;
          result.error = { code: "verify_failed", message: `not as the profile expects: ${failing.join("; ")}` };
        }
      } catch (err) {
        const code = err instanceof DeviceError ? err.code : "internal";
        result = { ...base, status: "error", error: { code, message: err instanceof Error ? err.message : String(err) }, durationMs: deps.clock.now() - t0 };
      }
      const policy = ("onFailure" in step ? step.onFailure : undefined) ?? onFailure;
      if (result.status === "error" && policy === "stop") stopped = true;
    }
    results.push(result);
    deps.onStep?.(result);
  }
  return results;
}

function describeStep(index: number, step: SceneStep): Omit<StepResult, "status" | "durationMs"> {
  if ("wait" in step) return { index, kind: "wait" };
  if ("verify" in step) return { index, kind: "verify", device: ([] as string[]).concat(step.verify).join(",") };
  return { index, kind: "action", device: step.device, action: step.action };
}

async function runOne(step: SceneStep, deps: StepDeps): Promise<string[]> {
  if ("wait" in step) {
    await wait(deps.clock, step.wait, deps.signal);
    return [];
  }
  if ("verify" in step) {
    if (!deps.verify) throw new DeviceError("invalid_args", "verify steps need the room's readiness profile");
    return deps.verify(([] as string[]).concat(step.verify), step.timeoutMs);
  }
  await deps.run(step.device, step.action, step.args, step.timeoutMs);
  return [];
}

function wait(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(new DeviceError("cancelled", "scene cancelled"));
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** The scenes a room has: its own, plus `failsafe` made of `secure.failsafe` when that is where the steps are. */
export function roomScenes(config: SiteConfig, room: string): Record<string, SceneConfig> {
  const cfg = config.rooms?.[room];
  const scenes: Record<string, SceneConfig> = { ...(cfg?.scenes ?? {}) };
  const failsafe = cfg?.secure?.failsafe ?? [];
  if (!scenes.failsafe && failsafe.length > 0) {
    // The interlock's steps run each on their own: a failing one never stops the next.
    scenes.failsafe = { description: "Secure-session fail-safe steps (rooms.*.secure.failsafe)", onFailure: "continue", steps: failsafe };
  }
  return scenes;
}

/** Total time a scene may take: every step's deadline and wait, plus a margin for the answer. */
export function sceneBudgetMs(scene: SceneConfig): number {
  return scene.steps.reduce((sum, s) => sum + ("wait" in s ? s.wait : s.timeoutMs), 0) + 2000;
}
