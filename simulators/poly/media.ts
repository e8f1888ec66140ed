/**
 * The figures `advnetstats N` and `netstats N` print, from the MCU's media figures of each call.
 * advnetstats counts lost packets (cumulative over the call); the MCU gives a loss % per moment,
 * so the counters are integrated here: over each stretch of time, the packets the rate implies
 * times the loss then. The simulator's packet model ([A], and the driver's defaults): audio 50
 * packets a second each way, video packets of 1200 bytes. Call `settle()` before a storm starts
 * or ends, so the stretch before it is counted at the old loss.
 */
import type { Clock } from "../../drivers/types.js";
import type { McuCall, MediaFigures, SimulatedMcu } from "../codec-mcu/mcu.js";

export const AUDIO_PACKETS_PER_S = 50;
export const VIDEO_PACKET_BYTES = 1200;

type Key = "ta" | "ra" | "tv" | "rv";

interface Counters {
  at: number;
  lost: Record<Key, number>;
}

export class MediaCounters {
  private readonly calls = new Map<number, Counters>();

  constructor(
    private readonly clock: Clock,
    private readonly mcu: SimulatedMcu,
  ) {}

  /** Starts counting when a call connects, stops when it ends. */
  track(c: McuCall): void {
    if (c.state === "connected" && !this.calls.has(c.id)) this.calls.set(c.id, { at: this.clock.now(), lost: { ta: 0, ra: 0, tv: 0, rv: 0 } });
    if (c.state === "ended") this.calls.delete(c.id);
  }

  /** Counts every connected call up to now at its present loss. */
  settle(): void {
    for (const id of this.calls.keys()) this.advance(id);
  }

  /** The four lines of `advnetstats` for the Nth connected call (P1's sample layout), or undefined. */
  advnetstats(index: number): string[] | undefined {
    const c = this.connected()[index];
    const m = c && this.advance(c.id);
    if (!c || !m) return undefined;
    const n = this.calls.get(c.id)!.lost;
    const k = (f: MediaFigures) => `${f.rateKbps} K`;
    return [
      `call:${index} tar:${k(m.audio.tx)} rar:${k(m.audio.rx)} tvr:${k(m.video.tx)} rvr:${k(m.video.rx)}`,
      `tvru:${k(m.video.tx)} rvru:${k(m.video.rx)} tvfr:30 rvfr:30 vfe:0`,
      `tapl:${Math.floor(n.ta)} rapl:${Math.floor(n.ra)} taj:${m.audio.tx.jitterMs} ms raj:${m.audio.rx.jitterMs} ms tvpl:${Math.floor(n.tv)} rvpl:${Math.floor(n.rv)}`,
      `tvj:${m.video.tx.jitterMs} ms rvj:${m.video.rx.jitterMs} ms dc:Disabled rsid:${c.number} ccaps:---`,
    ];
  }

  /** The two lines of `netstats` (transmit loss only, as the API guide says). */
  netstats(index: number): string[] | undefined {
    const c = this.connected()[index];
    const m = c && this.advance(c.id);
    if (!c || !m) return undefined;
    const n = this.calls.get(c.id)!.lost;
    const proto = c.protocol === "h323" ? "H.323" : "SIP";
    const tx = m.audio.tx.rateKbps + m.video.tx.rateKbps;
    const rx = m.audio.rx.rateKbps + m.video.rx.rateKbps;
    return [
      `call:${index} txrate:${tx} K rxrate:${rx} K pktloss:${Math.floor(n.ta + n.tv)} %pktloss:${m.video.tx.lossPct.toFixed(1)} %`,
      `tvp:H.264 rvp:H.264 tvf:1280x720 rvf:1280x720 tap:G.722.1 rap:G.722.1 tcp:${proto} rcp:${proto}`,
    ];
  }

  /** Connected calls in the order the MCU placed them: the N of advnetstats N. */
  connected(): McuCall[] {
    return this.mcu.active().filter((c) => c.state === "connected");
  }

  private advance(id: number): ReturnType<SimulatedMcu["media"]> {
    const m = this.mcu.media(id);
    const cnt = this.calls.get(id);
    if (!m || !cnt) return m;
    const now = this.clock.now();
    const s = (now - cnt.at) / 1000;
    cnt.at = now;
    const audio = AUDIO_PACKETS_PER_S * s;
    const video = (f: MediaFigures) => ((f.rateKbps * 1000) / 8 / VIDEO_PACKET_BYTES) * s;
    cnt.lost.ta += (audio * m.audio.tx.lossPct) / 100;
    cnt.lost.ra += (audio * m.audio.rx.lossPct) / 100;
    cnt.lost.tv += (video(m.video.tx) * m.video.tx.lossPct) / 100;
    cnt.lost.rv += (video(m.video.rx) * m.video.rx.lossPct) / 100;
    return m;
  }
}
