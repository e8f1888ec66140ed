/**
 * The ONVIF camera actions. Names and argument shapes are the VISCA driver's wherever the meaning
 * is the same (drivers/visca/actions.ts), so an operator's tooling does not care which protocol a
 * camera speaks: `preset.recall|set|reset {preset}`, `move {direction, panSpeed, tiltSpeed}`,
 * `stop`, `home`, `zoom {direction, speed?}`, `zoom.position {position}`.
 * ONVIF-only: `preset.list`, `move.absolute` (normalized coordinates), and `timeoutMs` on `move`.
 * Not offered: `power` (ONVIF Profile S has no standby), `focus` (Imaging service, not wired),
 * VISCA's `position` (its pan/tilt units are camera-specific; no general mapping to ONVIF's -1..1).
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../types.js";
import { DeviceError } from "../types.js";
import type { CallOptions, OnvifClient } from "./client.js";
import type { Preset, PtzVector } from "./messages.js";

/** What an action needs from the driver. */
export interface OnvifActionHost {
  /** Runs camera exchanges within the action's deadline; health follows the outcome. */
  exec<T>(ctx: ActionContext, fn: (client: OnvifClient, opts: CallOptions) => Promise<T>): Promise<T>;
  /** Waits (bounded by options and the deadline) for MoveStatus IDLE; true when the camera said so. */
  waitIdle(ctx: ActionContext): Promise<boolean>;
  update(patch: { lastPreset?: string; pan?: number; tilt?: number; zoom?: number }): void;
}

// VISCA's speed ranges (1..24 pan, 1..23 tilt, zoom 0..7) map onto ONVIF's normalized velocities.
const PAN_SPEED_MAX = 24;
const TILT_SPEED_MAX = 23;
const ZOOM_SPEED_STEPS = 8;
// The VISCA driver's defaults (drivers may not import each other: DESIGN.md), so `move` feels the same.
const DEFAULT_PAN_SPEED = 12;
const DEFAULT_TILT_SPEED = 10;
/** VISCA's direct zoom range (wide end .. tele end), mapped linearly onto ONVIF's 0..1. */
export const VISCA_ZOOM_MAX = 16384;

const presetArg = z
  .union([z.number().int().min(0).max(65535), z.string().min(1).max(64)])
  .describe(
    "Preset: a number (as for VISCA cameras) or a preset token. It names the camera's preset whose token, " +
      "else whose name, is that text (preset 1 -> token \"1\").",
  );
const panSpeed = z.number().int().min(1).max(PAN_SPEED_MAX).default(DEFAULT_PAN_SPEED).describe("Pan speed 1..24 (24 = full speed)");
const tiltSpeed = z.number().int().min(1).max(TILT_SPEED_MAX).default(DEFAULT_TILT_SPEED).describe("Tilt speed 1..23 (23 = full speed)");

export const actionArgs = {
  preset: z.strictObject({ preset: presetArg }),
  none: z.strictObject({}),
  move: z.strictObject({
    direction: z.enum(["up", "down", "left", "right", "up-left", "up-right", "down-left", "down-right"]),
    panSpeed,
    tiltSpeed,
    timeoutMs: z
      .number()
      .int()
      .min(100)
      .max(600_000)
      .optional()
      .describe("ONVIF only: the camera stops by itself after this long; absent: it moves until `stop`"),
  }),
  zoom: z.strictObject({
    direction: z.enum(["tele", "wide", "stop"]),
    speed: z.number().int().min(0).max(7).optional().describe("0 (slow) .. 7 (fast); omitted: half speed"),
  }),
  zoomPosition: z.strictObject({
    position: z.number().int().min(0).max(VISCA_ZOOM_MAX).describe("0 = wide end .. 16384 = tele end (ONVIF zoom = position / 16384)"),
  }),
  absolute: z.strictObject({
    pan: z.number().min(-1).max(1).describe("Pan, -1 (left end) .. 1 (right end)"),
    tilt: z.number().min(-1).max(1).describe("Tilt, -1 (bottom) .. 1 (top)"),
    zoom: z.number().min(0).max(1).optional().describe("Zoom, 0 (wide) .. 1 (tele); absent: unchanged"),
    speed: z.number().min(0).max(1).optional().describe("Speed 0..1 of the camera's range; absent: the camera's default"),
  }),
};

type Args<K extends keyof typeof actionArgs> = z.output<(typeof actionArgs)[K]>;

const DIRECTIONS: Record<Args<"move">["direction"], [number, number]> = {
  up: [0, 1], down: [0, -1], left: [-1, 0], right: [1, 0],
  "up-left": [-1, 1], "up-right": [1, 1], "down-left": [-1, -1], "down-right": [1, -1],
};

/** Normalized velocity for a VISCA-style direction and speeds. */
export function moveVelocity(a: Pick<Args<"move">, "direction" | "panSpeed" | "tiltSpeed">): PtzVector {
  const [px, ty] = DIRECTIONS[a.direction];
  const round = (v: number) => Number(v.toFixed(4)) + 0; // + 0 turns -0 into 0
  return { pan: round((px * a.panSpeed) / PAN_SPEED_MAX), tilt: round((ty * a.tiltSpeed) / TILT_SPEED_MAX) };
}

/** Normalized zoom velocity: 0..7 -> 1/8..8/8 of full speed; absent: 1/2. */
export function zoomVelocity(direction: "tele" | "wide", speed?: number): number {
  const v = speed === undefined ? 0.5 : (speed + 1) / ZOOM_SPEED_STEPS;
  return direction === "tele" ? v : -v;
}

/** The camera's token for a preset argument: by token, then by name; else the text itself (the camera decides). */
export function matchPreset(presets: readonly Preset[], arg: number | string): Preset | undefined {
  const key = String(arg);
  return presets.find((p) => p.token === key) ?? presets.find((p) => p.name === key);
}

/** Same helper as the VISCA driver: args parsed again in `run` so that defaults apply to raw args. */
function action<S extends z.ZodType>(description: string, args: S, run: (a: z.output<S>, ctx: ActionContext) => Promise<unknown>) {
  return {
    description,
    args,
    run: async (raw: unknown, ctx: ActionContext) => {
      const parsed = args.safeParse(raw);
      if (!parsed.success) throw new DeviceError("invalid_args", z.prettifyError(parsed.error), { issues: parsed.error.issues });
      return run(parsed.data, ctx);
    },
  };
}

export function buildActions(host: OnvifActionHost): ActionTable {
  return {
    "preset.recall": action("Move to a stored preset; resolves when the camera reports it is there", actionArgs.preset, async (a, ctx) => {
      const token = await host.exec(ctx, async (c, o) => {
        const t = matchPreset(await c.presets(o), a.preset)?.token ?? String(a.preset);
        await c.gotoPreset(t, undefined, o);
        return t;
      });
      const arrived = await host.waitIdle(ctx);
      host.update({ lastPreset: token });
      return { ok: true, token, arrived };
    }),
    "preset.set": action("Store the current position as a preset (overwrites one of that token or name)", actionArgs.preset, async (a, ctx) =>
      host.exec(ctx, async (c, o) => {
        const existing = matchPreset(await c.presets(o), a.preset);
        const token = existing
          ? await c.setPreset(existing.name || undefined, existing.token, o)
          : await c.setPreset(String(a.preset), undefined, o);
        return { ok: true, token };
      }),
    ),
    "preset.reset": action("Erase a stored preset", actionArgs.preset, async (a, ctx) =>
      host.exec(ctx, async (c, o) => {
        const token = matchPreset(await c.presets(o), a.preset)?.token ?? String(a.preset);
        await c.removePreset(token, o);
        return { ok: true, token };
      }),
    ),
    "preset.list": action("List the camera's presets (ONVIF only)", actionArgs.none, async (_a, ctx) =>
      host.exec(ctx, async (c, o) => ({
        presets: (await c.presets(o)).map((p) => ({
          token: p.token, name: p.name, pan: p.position?.pan ?? null, tilt: p.position?.tilt ?? null, zoom: p.position?.zoom ?? null,
        })),
      })),
    ),
    move: action("Start moving in a direction; the camera keeps moving until `stop` (or `timeoutMs`)", actionArgs.move, async (a, ctx) =>
      host.exec(ctx, async (c, o) => {
        await c.continuousMove(moveVelocity(a), a.timeoutMs, o);
        return { ok: true };
      }),
    ),
    stop: action("Stop pan, tilt and zoom motion", actionArgs.none, async (_a, ctx) =>
      host.exec(ctx, async (c, o) => {
        await c.stop(true, true, o);
        return { ok: true };
      }),
    ),
    "move.absolute": action("Move to a normalized pan/tilt(/zoom) position (ONVIF only)", actionArgs.absolute, async (a, ctx) => {
      await host.exec(ctx, async (c, o) => {
        const position: PtzVector = { pan: a.pan, tilt: a.tilt, ...(a.zoom !== undefined ? { zoom: a.zoom } : {}) };
        const speed = a.speed === undefined ? undefined : { pan: a.speed, tilt: a.speed, ...(a.zoom !== undefined ? { zoom: a.speed } : {}) };
        await c.absoluteMove(position, speed, o);
      });
      return { ok: true, arrived: await host.waitIdle(ctx) };
    }),
    home: action("Move to the home position", actionArgs.none, async (_a, ctx) => {
      await host.exec(ctx, (c, o) => c.home(o));
      return { ok: true, arrived: await host.waitIdle(ctx) };
    }),
    zoom: action("Zoom in (tele), out (wide), or stop zooming", actionArgs.zoom, async (a, ctx) =>
      host.exec(ctx, async (c, o) => {
        if (a.direction === "stop") await c.stop(false, true, o);
        else await c.continuousMove({ zoom: zoomVelocity(a.direction, a.speed) }, undefined, o);
        return { ok: true };
      }),
    ),
    "zoom.position": action("Zoom to an absolute position", actionArgs.zoomPosition, async (a, ctx) => {
      await host.exec(ctx, (c, o) => c.absoluteMove({ zoom: a.position / VISCA_ZOOM_MAX }, undefined, o));
      return { ok: true, arrived: await host.waitIdle(ctx) };
    }),
  };
}
