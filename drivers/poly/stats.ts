/**
 * Per-call media quality from `advnetstats N` and `netstats N` (PROTOCOLS-CONFERENCE-NETWORK.md,
 * part A, "Call statistics"; P1 quoting the API guide 6.0). Pure.
 *
 * advnetstats gives rates (`tar rar tvr rvr`, `tvru rvru` = video rate used, `tcr rcr tcru rcru`
 * for content on newer software), jitter in ms (`taj raj tvj rvj`) and *counts* of lost packets
 * (`tapl rapl tvpl rvpl tcpl rcpl`), never a packet total. netstats gives `%pktloss` (transmit
 * only, over the last 5 s) and the call's protocol (`tcp:H.323`). So a loss % per direction is
 * computed here from the lost-packet counters between two samples, over the packets the rate
 * implies in that interval ([A], options `audioPacketRate` and `videoPacketBytes`):
 *   lossPct = 100 * Δlost / max(expected, Δlost),  expected = audio: rate * Δt; video: kbps * Δt / (8 * bytes)
 * The first sample of a call seen from its connect counts from zero at the connect; of a call found
 * already connected it only sets the baseline (loss null until the next sample). `---` is null.
 */
import type { CallQuality, MediaPair, MediaStats } from "../codec/vocabulary.js";

export interface DirectionFigures {
  rateKbps: number | null;
  /** Lost packets, cumulative over the call. */
  lost: number | null;
  jitterMs: number | null;
}

export interface MediaFigures {
  tx: DirectionFigures;
  rx: DirectionFigures;
}

export interface AdvNetStats {
  audio: MediaFigures;
  video: MediaFigures;
  /** Absent when the reply has no content figures, or all of them are zero or `---`. */
  content?: MediaFigures;
}

export interface NetStats {
  /** Transmit loss over the last 5 s, %. */
  txLossPct: number | null;
  protocol: "sip" | "h323" | "unknown";
}

export interface PacketModel {
  /** Audio packets a second each way (20 ms frames: 50). */
  audioPacketRate: number;
  /** Average video (and content) payload per packet, bytes. */
  videoPacketBytes: number;
}

/** A number, or null for `---`, an empty or a non-numeric value. */
export function figure(v: string | undefined): number | null {
  if (v === undefined || v === "" || /^-+$/.test(v)) return null;
  const n = Number.parseFloat(v);
  return Number.isFinite(n) ? n : null;
}

const dir = (f: Record<string, string>, rate: string, rateUsed: string | null, lost: string, jitter: string | null): DirectionFigures => ({
  rateKbps: (rateUsed !== null ? figure(f[rateUsed]) : null) ?? figure(f[rate]),
  lost: figure(f[lost]),
  jitterMs: jitter === null ? null : figure(f[jitter]),
});

/** The fields of every line of one advnetstats reply, merged. */
export function parseAdvNetStats(f: Record<string, string>): AdvNetStats {
  const out: AdvNetStats = {
    audio: { tx: dir(f, "tar", null, "tapl", "taj"), rx: dir(f, "rar", null, "rapl", "raj") },
    video: { tx: dir(f, "tvr", "tvru", "tvpl", "tvj"), rx: dir(f, "rvr", "rvru", "rvpl", "rvj") },
  };
  const content: MediaFigures = { tx: dir(f, "tcr", "tcru", "tcpl", null), rx: dir(f, "rcr", "rcru", "rcpl", null) };
  const any = [content.tx.rateKbps, content.rx.rateKbps, content.tx.lost, content.rx.lost].some((x) => x !== null && x !== 0);
  if (any) out.content = content;
  return out;
}

export function parseNetStats(f: Record<string, string>): NetStats {
  const p = (f["tcp"] ?? f["rcp"] ?? "").toLowerCase();
  return { txLossPct: figure(f["%pktloss"]), protocol: p.includes("323") ? "h323" : p.includes("sip") ? "sip" : "unknown" };
}

/** Lost-packet counters at one moment: the baseline of the next loss figure. */
export interface LossSample {
  at: number;
  lost: Record<string, number | null>;
}

/** A baseline of zero at `at` (a call seen connecting: its counters start there). */
export const zeroSample = (at: number): LossSample => ({ at, lost: { "audio.tx": 0, "audio.rx": 0, "video.tx": 0, "video.rx": 0, "content.tx": 0, "content.rx": 0 } });

export interface QualityResult {
  quality: CallQuality;
  /** The baseline for the next call. */
  sample: LossSample;
}

/** The vocabulary's CallQuality from one advnetstats (+ netstats) reply and the previous sample. */
export function callQuality(adv: AdvNetStats, net: NetStats | undefined, prev: LossSample | undefined, now: number, model: PacketModel): QualityResult {
  const sample: LossSample = { at: now, lost: {} };
  const ms = prev ? now - prev.at : 0;
  const stats = (media: "audio" | "video" | "content", d: "tx" | "rx", f: DirectionFigures): MediaStats => {
    const key = `${media}.${d}`;
    sample.lost[key] = f.lost;
    let lossPct = lossBetween(media, f, prev?.lost[key] ?? null, ms, model);
    if (lossPct === null && d === "tx" && f.lost === null && net) lossPct = net.txLossPct; // transmit %, all media (netstats)
    return { lossPct, jitterMs: f.jitterMs, rateKbps: f.rateKbps };
  };
  const pair = (media: "audio" | "video" | "content", m: MediaFigures): MediaPair => ({ rx: stats(media, "rx", m.rx), tx: stats(media, "tx", m.tx) });
  const quality: CallQuality = { audio: pair("audio", adv.audio), video: pair("video", adv.video), at: now };
  if (adv.content) quality.content = pair("content", adv.content);
  return { quality, sample };
}

function lossBetween(media: "audio" | "video" | "content", f: DirectionFigures, before: number | null, ms: number, model: PacketModel): number | null {
  if (f.lost === null || before === null || ms <= 0) return null;
  const lost = f.lost - before;
  if (lost < 0) return null; // the counters restarted (a new call in that slot)
  const perSecond = media === "audio" ? model.audioPacketRate : ((f.rateKbps ?? 0) * 1000) / 8 / model.videoPacketBytes;
  const expected = (perSecond * ms) / 1000;
  if (expected <= 0) return lost === 0 ? 0 : null;
  return Math.round((10_000 * lost) / Math.max(expected, lost)) / 100;
}
