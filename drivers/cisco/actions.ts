/**
 * The codec vocabulary's actions (drivers/codec/vocabulary.ts) as xAPI commands (part B):
 *   call.dial      xCommand Dial Number: "..." [Protocol: Sip|H323] [CallRate: n]   (dial.ts)
 *   call.hangup    xCommand Call Disconnect CallId: n   (each call when no id: no firmware-dependent "all")
 *   call.answer    xCommand Call Accept CallId: n
 *   mic.mute       xCommand Audio Microphones Mute | Unmute
 *   volume.set     xCommand Audio Volume Set Level: n
 *   camera.select  xCommand Video Input SetMainVideoSource ConnectorId: n
 *   camera.preset  xCommand Camera Preset Activate PresetId: n
 *   content.start  xCommand Presentation Start [PresentationSource: n] SendingMode: LocalRemote
 *   content.stop   xCommand Presentation Stop
 *   standby.set    xCommand Standby Activate | Deactivate
 * Args are the vocabulary's zod schemas, unchanged. The state is patched at once; feedback confirms it.
 */
import { z } from "zod";
import { codecActionArgs, type CodecAction, type CodecCall, type CodecState } from "../codec/vocabulary.js";
import type { ActionContext, ActionSpec, ActionTable } from "../types.js";
import { DeviceError } from "../types.js";
import { dial, type DialDeps } from "./dial.js";
import type { Tree } from "./replies.js";

export interface ActionHost {
  calls(): CodecCall[];
  /** The next end of this call is ours (an operator's hang-up): it says local. */
  endingByUs(id: string): void;
  command(path: string[], args: Record<string, string | number | undefined>, actx: ActionContext): Promise<Tree>;
  patch(p: Partial<CodecState>): void;
  current(): CodecState;
  dialDeps(): DialDeps;
  /** How long call.dial may take: its no-answer time and a request's deadline. */
  dialMs(): number;
}

function action<K extends CodecAction>(description: string, name: K, run: (a: z.output<(typeof codecActionArgs)[K]>, ctx: ActionContext) => Promise<unknown>, extra: Partial<ActionSpec> = {}): ActionSpec {
  const args = codecActionArgs[name];
  return {
    description,
    args,
    ...extra,
    run: async (raw: unknown, ctx: ActionContext) => {
      const parsed = args.safeParse(raw);
      if (!parsed.success) throw new DeviceError("invalid_args", z.prettifyError(parsed.error), { issues: parsed.error.issues });
      return run(parsed.data as z.output<(typeof codecActionArgs)[K]>, ctx);
    },
  };
}

export function buildActions(h: ActionHost): ActionTable {
  const cmd = (ctx: ActionContext, ...path: string[]) => (args: Record<string, string | number | undefined> = {}) => h.command(path, args, ctx);
  return {
    "call.dial": action(
      "Dial a number or URI; answers once the call is connected (call_rejected, no_answer, call_dropped, not_registered otherwise)",
      "call.dial",
      (a, ctx) => dial(h.dialDeps(), a, ctx),
      // The far end may ring longer than the agent's default command deadline: the dial has its own.
      { timeoutMs: () => h.dialMs() },
    ),
    "call.hangup": action("Hang up a call (state.calls[].id), or every call", "call.hangup", async (a, ctx) => {
      const ids = a.callId !== undefined ? [a.callId] : h.calls().map((c) => c.id);
      const ended: string[] = [];
      for (const id of ids) {
        h.endingByUs(id);
        try {
          await cmd(ctx, "Call", "Disconnect")({ CallId: Number(id) });
        } catch (err) {
          // A call that is already gone (the far end, or the dial's own give-up, ended it first) is
          // hung up: the codec's "No active call" then is no failure. Any other refusal is.
          if (err instanceof DeviceError && err.code === "device_error" && !h.calls().some((c) => c.id === id)) continue;
          throw err;
        }
        ended.push(id);
      }
      return { ended };
    }),
    "call.answer": action("Answer an incoming call (the ringing one when no id)", "call.answer", async (a, ctx) => {
      const ringing = h.calls().find((c) => c.direction === "incoming" && c.state === "ringing");
      const id = a.callId ?? ringing?.id;
      if (id === undefined) throw new DeviceError("device_error", "no incoming call is ringing");
      await cmd(ctx, "Call", "Accept")({ CallId: Number(id) });
      return { callId: id };
    }),
    "mic.mute": action("Mute (on: true) or unmute the room's microphones", "mic.mute", async (a, ctx) => {
      await cmd(ctx, "Audio", "Microphones", a.on ? "Mute" : "Unmute")();
      h.patch({ mic: { muted: a.on } });
      return { muted: a.on };
    }),
    "volume.set": action("Set the loudspeaker volume, 0..100 %", "volume.set", async (a, ctx) => {
      await cmd(ctx, "Audio", "Volume", "Set")({ Level: a.percent });
      h.patch({ volume: a.percent });
      return { volume: a.percent };
    }),
    "camera.select": action("Send this camera (video input connector) as main video", "camera.select", async (a, ctx) => {
      await cmd(ctx, "Video", "Input", "SetMainVideoSource")({ ConnectorId: a.source });
      h.patch({ camera: { source: a.source } });
      return { source: a.source };
    }),
    "camera.preset": action("Recall a camera preset (Camera Preset Activate)", "camera.preset", async (a, ctx) => {
      await cmd(ctx, "Camera", "Preset", "Activate")({ PresetId: a.preset });
      return { preset: a.preset };
    }),
    "content.start": action("Share content from an input (Presentation Start)", "content.start", async (a, ctx) => {
      await cmd(ctx, "Presentation", "Start")({ PresentationSource: a.source, SendingMode: "LocalRemote" });
      h.patch({ content: { active: true, direction: "sending", ...(a.source !== undefined ? { source: a.source } : {}) } });
      return { sharing: true };
    }),
    "content.stop": action("Stop sharing content (Presentation Stop)", "content.stop", async (_a, ctx) => {
      await cmd(ctx, "Presentation", "Stop")();
      h.patch({ content: { active: false } });
      return { sharing: false };
    }),
    "standby.set": action("Standby (on: true) or wake the codec", "standby.set", async (a, ctx) => {
      await cmd(ctx, "Standby", a.on ? "Activate" : "Deactivate")();
      h.patch({ standby: a.on });
      return { standby: a.on };
    }),
  };
}
