/**
 * The Poly driver's actions: kind `codec`'s whole vocabulary (drivers/codec/vocabulary.ts), each
 * a command from codec.ts and the state it leaves. No byte string here (STYLE.md rule 1).
 */
import { codecActionArgs, type CodecCall, type CodecState } from "../codec/vocabulary.js";
import type { ActionContext, ActionTable } from "../types.js";
import { DeviceError } from "../types.js";
import * as cmd from "./codec.js";
import type { PolyLine } from "./lines.js";

export interface ActionDeps {
  /** One command within the action's deadline; resolves with its reply lines. */
  command(c: cmd.PolyCommand, actx: ActionContext): Promise<PolyLine[]>;
  dial(args: { number: string; protocol: cmd.CallProtocol; rateKbps?: number | undefined }, actx: ActionContext): Promise<CodecCall>;
  hangup(callId: string | undefined, actx: ActionContext): Promise<string[]>;
  answer(callId: string | undefined, actx: ActionContext): Promise<string>;
  patch(p: Partial<CodecState>): void;
  /** How long a dial may take, for the agent's deadline of `call.dial`. */
  dialBudgetMs(): number;
}

export function buildActions(d: ActionDeps): ActionTable {
  return {
    "call.dial": {
      description: "Dial a number; settles once the call is connected (ok, with the call), or with call_rejected, no_answer (the attempt is hung up), call_dropped, not_registered or timeout.",
      args: codecActionArgs["call.dial"],
      run: (a, actx) => d.dial(a, actx),
      timeoutMs: () => d.dialBudgetMs(),
    },
    "call.hangup": {
      description: "Hang up one call (callId) or every call.",
      args: codecActionArgs["call.hangup"],
      run: async (a, actx) => ({ hungUp: await d.hangup(a.callId, actx) }),
    },
    "call.answer": {
      description: "Answer the ringing incoming call (`answer video`).",
      args: codecActionArgs["call.answer"],
      run: async (a, actx) => ({ callId: await d.answer(a.callId, actx) }),
    },
    "mic.mute": {
      description: "Mute or unmute the room's microphones (`mute near on|off`).",
      args: codecActionArgs["mic.mute"],
      run: async (a, actx) => {
        await d.command(cmd.muteSet(a.on), actx);
        d.patch({ mic: { muted: a.on } });
        return { muted: a.on };
      },
    },
    "volume.set": {
      description: "Loudspeaker volume in % (the codec's 0..50 steps: 2 % each).",
      args: codecActionArgs["volume.set"],
      run: async (a, actx) => {
        const level = cmd.percentToApi(a.percent);
        await d.command(cmd.volumeSet(level), actx);
        const percent = cmd.apiToPercent(level);
        d.patch({ volume: percent });
        return { percent };
      },
    },
    "camera.select": {
      description: `Send near camera N (1..${cmd.NEAR_CAMERAS} on a Group Series) as main video.`,
      args: codecActionArgs["camera.select"],
      run: async (a, actx) => {
        if (a.source > cmd.NEAR_CAMERAS) throw new DeviceError("invalid_args", `the codec has near cameras 1..${cmd.NEAR_CAMERAS}; got ${a.source}`);
        await d.command(cmd.cameraSelect(a.source), actx);
        d.patch({ camera: { source: a.source } });
        return { source: a.source };
      },
    },
    "camera.preset": {
      description: "Recall a near camera preset (0..99).",
      args: codecActionArgs["camera.preset"],
      run: async (a, actx) => {
        await d.command(cmd.presetGo(a.preset), actx);
        return { preset: a.preset };
      },
    },
    "content.start": {
      description: "Share content (`vcbutton play [source]`).",
      args: codecActionArgs["content.start"],
      run: async (a, actx) => {
        await d.command(cmd.contentPlay(a.source), actx);
        const content: CodecState["content"] = a.source === undefined ? { active: true, direction: "sending" } : { active: true, direction: "sending", source: a.source };
        d.patch({ content });
        return content;
      },
    },
    "content.stop": {
      description: "Stop sharing content (`vcbutton stop`).",
      args: codecActionArgs["content.stop"],
      run: async (_a, actx) => {
        await d.command(cmd.contentStop, actx);
        d.patch({ content: { active: false } });
        return { active: false };
      },
    },
    "standby.set": {
      description: "Standby on (`sleep`) or off (`wake`).",
      args: codecActionArgs["standby.set"],
      run: async (a, actx) => {
        await d.command(cmd.standby(a.on), actx);
        d.patch({ standby: a.on });
        return { standby: a.on };
      },
    },
  };
}
