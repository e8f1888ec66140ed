/**
 * The camera actions: names and zod args are the operator-facing contract (ONVIF cameras reuse them).
 * Each action maps its args to ViscaCommands; the bytes live in codec.ts, never here.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../types.js";
import { DeviceError } from "../types.js";
import { PRESET_MAX, type ViscaCommand } from "./codec.js";

/** What an action needs from the driver: run commands in order, and record what the camera now does. */
export interface ActionHost {
  exec(cmd: ViscaCommand, ctx: ActionContext): Promise<void>;
  update(patch: Partial<CameraStatePatch>): void;
}

export interface CameraStatePatch {
  power: "on" | "standby";
  pan: number;
  tilt: number;
  zoom: number;
  focusMode: "auto" | "manual";
  lastPreset: number;
}

export const DEFAULT_PAN_SPEED = 12;
export const DEFAULT_TILT_SPEED = 10;

const panSpeed = z.number().int().min(1).max(24).default(DEFAULT_PAN_SPEED).describe("Pan speed 1..24");
const tiltSpeed = z.number().int().min(1).max(23).default(DEFAULT_TILT_SPEED).describe("Tilt speed 1..23");
// `FF` ends a VISCA frame, so a preset number is one byte 0..0xFE.
const presetArgs = z.strictObject({
  preset: z.number().int().min(0).max(PRESET_MAX).describe("Preset number, 0-based"),
});
const position16 = (name: string) => z.number().int().min(-32768).max(32767).describe(`${name}, signed 16-bit camera units`);

export const actionArgs = {
  power: z.strictObject({ on: z.boolean().describe("true: power on; false: standby") }),
  preset: presetArgs,
  move: z.strictObject({
    direction: z.enum(["up", "down", "left", "right", "up-left", "up-right", "down-left", "down-right"]),
    panSpeed,
    tiltSpeed,
  }),
  none: z.strictObject({}),
  position: z.strictObject({ pan: position16("Pan"), tilt: position16("Tilt"), panSpeed, tiltSpeed }),
  zoom: z.strictObject({
    direction: z.enum(["tele", "wide", "stop"]),
    speed: z.number().int().min(0).max(7).optional().describe("0 (slow) .. 7 (fast); omitted: standard speed"),
  }),
  zoomPosition: z.strictObject({ position: z.number().int().min(0).max(16384).describe("0 = wide end .. 16384 = tele end") }),
  focus: z.strictObject({ mode: z.enum(["auto", "manual", "one-push"]) }),
};

type Args<K extends keyof typeof actionArgs> = z.output<(typeof actionArgs)[K]>;
const OK = { ok: true } as const;

/**
 * Defines one action. Args are parsed again in `run` (cheap and idempotent) so that defaults apply
 * even when a caller hands in raw args.
 */
function action<S extends z.ZodType>(
  description: string,
  args: S,
  run: (a: z.output<S>, ctx: ActionContext) => Promise<unknown>,
) {
  return {
    description,
    args,
    run: async (raw: unknown, ctx: ActionContext) => {
      const parsed = args.safeParse(raw);
      if (!parsed.success) {
        throw new DeviceError("invalid_args", z.prettifyError(parsed.error), { issues: parsed.error.issues });
      }
      return run(parsed.data, ctx);
    },
  };
}

export function buildActions(host: ActionHost): ActionTable {
  const preset = (op: "reset" | "set" | "recall") => async (a: Args<"preset">, ctx: ActionContext) => {
    await host.exec({ type: "preset", op, preset: a.preset }, ctx);
    if (op === "recall") host.update({ lastPreset: a.preset });
    return OK;
  };
  return {
    power: action("Power the camera on, or put it in standby", actionArgs.power, async (a, ctx) => {
      await host.exec({ type: "power", on: a.on }, ctx);
      host.update({ power: a.on ? "on" : "standby" });
      return OK;
    }),
    "preset.recall": action("Move to a stored preset; resolves when the camera gets there", actionArgs.preset, preset("recall")),
    "preset.set": action("Store the current position as a preset", actionArgs.preset, preset("set")),
    "preset.reset": action("Erase a stored preset", actionArgs.preset, preset("reset")),
    move: action(
      "Start moving in a direction; the camera keeps moving until `stop`",
      actionArgs.move,
      async (a, ctx) => {
        await host.exec({ type: "panTiltDrive", direction: a.direction, panSpeed: a.panSpeed, tiltSpeed: a.tiltSpeed }, ctx);
        return OK;
      },
    ),
    stop: action("Stop pan, tilt and zoom motion", actionArgs.none, async (_a, ctx) => {
      await host.exec(
        { type: "panTiltDrive", direction: "stop", panSpeed: DEFAULT_PAN_SPEED, tiltSpeed: DEFAULT_TILT_SPEED },
        ctx,
      );
      await host.exec({ type: "zoom", mode: "stop" }, ctx);
      return OK;
    }),
    position: action("Move to an absolute pan/tilt position", actionArgs.position, async (a, ctx) => {
      await host.exec({ type: "panTiltAbsolute", pan: a.pan, tilt: a.tilt, panSpeed: a.panSpeed, tiltSpeed: a.tiltSpeed }, ctx);
      host.update({ pan: a.pan, tilt: a.tilt });
      return OK;
    }),
    home: action("Move to the home position (pan 0, tilt 0)", actionArgs.none, async (_a, ctx) => {
      await host.exec({ type: "panTiltHome" }, ctx);
      host.update({ pan: 0, tilt: 0 });
      return OK;
    }),
    zoom: action("Zoom in (tele), out (wide), or stop zooming", actionArgs.zoom, async (a, ctx) => {
      const cmd: ViscaCommand =
        a.direction === "stop" || a.speed === undefined
          ? { type: "zoom", mode: a.direction }
          : { type: "zoomVariable", direction: a.direction, speed: a.speed };
      await host.exec(cmd, ctx);
      return OK;
    }),
    "zoom.position": action("Zoom to an absolute position", actionArgs.zoomPosition, async (a, ctx) => {
      await host.exec({ type: "zoomDirect", position: a.position }, ctx);
      host.update({ zoom: a.position });
      return OK;
    }),
    focus: action("Set the focus mode, or trigger a one-push autofocus", actionArgs.focus, async (a, ctx) => {
      if (a.mode === "one-push") {
        await host.exec({ type: "focusOnePush" }, ctx);
      } else {
        await host.exec({ type: "focusMode", mode: a.mode }, ctx);
        host.update({ focusMode: a.mode });
      }
      return OK;
    }),
  };
}
