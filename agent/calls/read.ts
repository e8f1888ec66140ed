/**
 * Reading a codec's calls out of what the agent hears: its state (`calls`, in the vocabulary's shape,
 * drivers/codec/vocabulary.ts) and its `call.ended` events. The agent takes these from a driver as
 * plain records, so they are checked here, not trusted: a malformed entry is left out, never thrown.
 */
import { z } from "zod";
import type { DriverEvent } from "../../drivers/types.js";
import { CALL_STATES, type CallEnded, type CallQuality, type CodecCall, type QualityThresholds } from "../../drivers/codec/vocabulary.js";

const stats = z.object({ lossPct: z.number().nullable(), jitterMs: z.number().nullable(), rateKbps: z.number().nullable() });
const pair = z.object({ rx: stats, tx: stats });
const callSchema = z.object({
  id: z.string().min(1),
  direction: z.enum(["incoming", "outgoing"]),
  remote: z.string(),
  remoteName: z.string().optional(),
  state: z.enum(CALL_STATES),
  quality: z.object({ audio: pair, video: pair, content: pair.optional(), at: z.number() }).optional(),
});

const endedSchema = z.object({
  callId: z.string().min(1),
  remote: z.string(),
  direction: z.enum(["incoming", "outgoing"]),
  local: z.boolean(),
  cause: z.string(),
  reason: z.enum(["local", "remote", "network", "rejected", "no_answer", "unknown"]),
  connectedMs: z.number().nonnegative(),
});

/** The calls of a codec's state that read as the vocabulary says (others left out). */
export function callsOf(state: Record<string, unknown> | undefined): CodecCall[] {
  if (!Array.isArray(state?.calls)) return [];
  return state.calls.flatMap((c) => {
    const r = callSchema.safeParse(c);
    return r.success ? [r.data as CodecCall] : [];
  });
}

/** The data of a `call.ended` driver event, or undefined for another event or a malformed one. */
export function callEndedOf(e: DriverEvent): CallEnded | undefined {
  if (e.type !== "call.ended") return undefined;
  const r = endedSchema.safeParse(e.data);
  return r.success ? r.data : undefined;
}

/** Whether the codec gave any loss or jitter figure for the call (else nothing can be judged). */
export function hasFigures(q: CallQuality | undefined): boolean {
  if (!q) return false;
  return [q.audio, q.video, ...(q.content ? [q.content] : [])].some((p) =>
    [p.rx, p.tx].some((s) => s.lossPct !== null || s.jitterMs !== null),
  );
}

/** `video.rx: loss 4.2 % (limit 1 %), jitter 12 ms (limit 30 ms)`. */
export function breachText(b: { media: string; lossPct: number | null; jitterMs: number | null }, t: QualityThresholds): string {
  const loss = b.lossPct === null ? "loss unknown" : `loss ${b.lossPct} % (limit ${t.lossPct} %)`;
  const jitter = b.jitterMs === null ? "jitter unknown" : `jitter ${b.jitterMs} ms (limit ${t.jitterMs} ms)`;
  return `${b.media}: ${loss}, ${jitter}`;
}

/** `12 min 5 s`, `3.2 s`. */
export function durationText(ms: number): string {
  if (ms < 60_000) return `${Math.round(ms / 100) / 10} s`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h > 0 ? `${h} h ` : ""}${m} min ${s % 60} s`;
}

/** `call 7 with 8001@mcu (Province MCU)`. */
export const callText = (c: { id?: string; callId?: string; remote: string; remoteName?: string | undefined }): string =>
  `call ${c.id ?? c.callId} with ${c.remote}${c.remoteName !== undefined && c.remoteName !== c.remote ? ` (${c.remoteName})` : ""}`;
