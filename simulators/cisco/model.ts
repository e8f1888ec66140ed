/**
 * The simulated RoomOS codec: its state, its status document, and its calls through the province's
 * MCU (simulators/codec-mcu). Sessions (shells) read the document, run commands, and hear what
 * changed as feedback; this model knows nothing of bytes.
 *
 * Calls (part B): an outgoing call is Dialling, then Connecting while the far end rings, then
 * Connected (event CallSuccessful); one that ends goes Disconnecting, then the event CallDisconnect
 * with its CauseType, then the call is removed (a ghost in feedback). CallIds are the MCU's.
 */
import type { Clock, TimerHandle } from "../../drivers/types.js";
import type { CommonFaults } from "../types.js";
import type { McuCall, McuEvent, SimulatedMcu } from "../codec-mcu/mcu.js";
import { diff, leaf, type JObj } from "./tree.js";

export interface CodecIdentity {
  name: string;
  productId: string;
  software: string;
}

export interface CodecOptions extends CodecIdentity {
  clock: Clock;
  mcu: SimulatedMcu;
  /** Which registrations the codec is configured for (a protocol that is off shows Inactive). */
  protocols: { sip: boolean; h323: boolean };
  sipUri: string;
  gatekeeper: string;
  defaultProtocol: "sip" | "h323";
  defaultRateKbps: number;
  /** Video input connectors 1..n (SetMainVideoSource). */
  connectors: number;
  /** Camera presets that exist (Camera Preset Activate). */
  presets: number[];
  defaultVolume: number;
}

export interface SimCall {
  id: number;
  status: "Dialling" | "Connecting" | "Ringing" | "Connected" | "Disconnecting";
  direction: "Outgoing" | "Incoming";
  number: string;
  name: string;
  protocol: "Sip" | "H323";
  rateKbps: number;
}

/** A session as the model sees it: it is told about feedback and events and filters them itself. */
export interface FeedbackSink {
  statusChanged(changed: JObj): void;
  event(name: string, fields: JObj): void;
}

/** End reasons of the MCU as the codec's CauseType and a Q.850-like CauseValue [A]. */
const CAUSES: Record<string, { type: string; value: number; text: string }> = {
  local: { type: "LocalDisconnect", value: 16, text: "" },
  remote: { type: "RemoteDisconnect", value: 16, text: "" },
  busy: { type: "RemoteBusy", value: 17, text: "Busy" },
  declined: { type: "RemoteRejected", value: 21, text: "Call rejected" },
  "not-found": { type: "UnknownRemoteSite", value: 1, text: "Not found" },
  "not-registered": { type: "NetworkRejected", value: 3, text: "No route to destination" },
  network: { type: "OtherRemote", value: 38, text: "Network out of order" },
};

export class CiscoCodec {
  readonly clock: Clock;
  readonly mcu: SimulatedMcu;
  readonly faults: CommonFaults = { silent: false, garbage: false, slowMs: 0 };
  readonly sessions = new Set<FeedbackSink>();
  readonly calls = new Map<number, SimCall>();
  /** Peripherals connected (xCommand Peripherals Connect), forgotten at reboot. */
  readonly peripherals = new Set<string>();
  volume: number;
  muted = false;
  standby: "Off" | "Standby" = "Off";
  presentation: { mode: "Off" | "Sending" | "Receiving"; source?: number } = { mode: "Off" };
  mainVideoSource = 1;
  lastPreset: number | undefined;
  booting = false;
  private last: JObj;
  private readonly timers = new Set<TimerHandle>();
  private readonly offMcu: () => void;

  constructor(readonly o: CodecOptions) {
    this.clock = o.clock;
    this.mcu = o.mcu;
    this.volume = o.defaultVolume;
    this.offMcu = this.mcu.on((e) => this.onMcu(e));
    this.last = this.status();
  }

  /** The whole status document (`Status` node), computed from the state now. */
  status(): JObj {
    const reg = this.mcu.registration;
    const sip = this.o.protocols.sip
      ? reg.sip
        ? { id: "1", Status: leaf("Registered"), URI: leaf(this.o.sipUri), Reason: leaf("") }
        : { id: "1", Status: leaf("Failed"), URI: leaf(this.o.sipUri), Reason: leaf("408 Request Timeout") }
      : { id: "1", Status: leaf("Inactive"), URI: leaf(""), Reason: leaf("") };
    const h323 = this.o.protocols.h323
      ? { Status: leaf(reg.h323 ? "Registered" : "Discovering"), Address: leaf(this.o.gatekeeper), Port: leaf(1719), Reason: leaf("") }
      : { Status: leaf("Inactive"), Address: leaf(""), Port: leaf(0), Reason: leaf("") };
    const presentation: JObj = { Mode: leaf(this.presentation.mode) };
    if (this.presentation.mode === "Sending") presentation["LocalInstance"] = [{ id: "1", Source: leaf(this.presentation.source ?? 2), SendingMode: leaf("LocalRemote") }];
    const doc: JObj = {
      SystemUnit: { ProductId: leaf(this.o.productId), ProductPlatform: leaf(this.o.productId.replace(/^Cisco (Webex )?/, "")), Software: { Version: leaf(this.o.software), DisplayName: leaf(`RoomOS ${this.o.software}`) } },
      Audio: { Microphones: { Mute: leaf(this.muted ? "On" : "Off") }, Volume: leaf(this.volume) },
      Standby: { State: leaf(this.standby) },
      Conference: { Presentation: presentation },
      Video: { Input: { MainVideoSource: leaf(this.mainVideoSource) } },
      SIP: { Registration: [sip] },
      H323: { Gatekeeper: h323 },
    };
    const calls = [...this.calls.values()];
    if (calls.length > 0) {
      doc["Call"] = calls.map((c) => ({
        id: String(c.id),
        Status: leaf(c.status),
        Direction: leaf(c.direction),
        RemoteNumber: leaf(c.number),
        CallbackNumber: leaf(`${c.protocol === "Sip" ? "sip" : "h323"}:${c.number}`),
        DisplayName: leaf(c.name),
        Protocol: leaf(c.protocol),
        CallType: leaf("Video"),
        ReceiveCallRate: leaf(c.rateKbps),
        TransmitCallRate: leaf(c.rateKbps),
      }));
      const media = calls.map((c) => this.mediaChannels(c)).filter((m): m is JObj => m !== undefined);
      if (media.length > 0) doc["MediaChannels"] = { Call: media };
    }
    return doc;
  }

  /** Recomputes the document and tells every session what changed. */
  changed(): void {
    const now = this.status();
    const d = diff(this.last, now);
    this.last = now;
    if (d) for (const s of [...this.sessions]) s.statusChanged(d);
  }

  event(name: string, fields: JObj): void {
    for (const s of [...this.sessions]) s.event(name, fields);
  }

  dial(number: string, protocol: "sip" | "h323", rateKbps: number): SimCall {
    const mc = this.mcu.dial(number, protocol, rateKbps);
    const call = this.calls.get(mc.id) ?? this.addCall(mc, "Dialling");
    this.changed();
    return call;
  }

  /** A reboot: calls dropped, sessions forgotten by their links, state back to the defaults. */
  reboot(): void {
    this.booting = true;
    for (const c of [...this.calls.values()]) this.mcu.drop(c.id, "network");
    this.calls.clear();
    this.peripherals.clear();
    this.volume = this.o.defaultVolume;
    this.muted = false;
    this.standby = "Off";
    this.presentation = { mode: "Off" };
    this.last = this.status();
  }

  booted(): void {
    this.booting = false;
    this.last = this.status();
  }

  close(): void {
    for (const t of this.timers) this.clock.clearTimeout(t);
    this.timers.clear();
    this.offMcu();
    this.sessions.clear();
  }

  after(ms: number, fn: () => void): void {
    const t = this.clock.setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private addCall(mc: McuCall, status: SimCall["status"]): SimCall {
    const call: SimCall = {
      id: mc.id,
      status,
      direction: mc.direction === "outgoing" ? "Outgoing" : "Incoming",
      number: mc.number,
      name: mc.name,
      protocol: mc.protocol === "h323" ? "H323" : "Sip",
      rateKbps: mc.rateKbps,
    };
    this.calls.set(call.id, call);
    return call;
  }

  private onMcu(e: McuEvent): void {
    if (this.booting) return;
    if (e.type === "registration") return this.changed();
    const mc = e.call;
    let call = this.calls.get(mc.id);
    if (mc.state === "ringing") {
      if (!call) call = this.addCall(mc, mc.direction === "outgoing" ? "Dialling" : "Ringing");
      if (mc.direction === "outgoing") {
        // Dialling is seen first; the far end ringing shows as Connecting (an outgoing call never "Rings" here).
        this.after(50, () => {
          if (call!.status === "Dialling" && this.calls.get(call!.id) === call) {
            call!.status = "Connecting";
            this.changed();
          }
        });
      }
      this.changed();
      return;
    }
    if (!call) call = this.addCall(mc, "Dialling");
    if (mc.state === "connected") {
      call.status = "Connected";
      this.changed();
      this.event("CallSuccessful", {
        CallId: leaf(call.id),
        Protocol: leaf(call.protocol.toLowerCase()),
        Direction: leaf(call.direction.toLowerCase()),
        CallRate: leaf(call.rateKbps),
        RemoteURI: leaf(`${call.protocol === "Sip" ? "sip" : "h323"}:${call.number}`),
        EncryptionIn: leaf("Off"),
        EncryptionOut: leaf("Off"),
      });
      return;
    }
    // ended
    call.status = "Disconnecting";
    this.changed();
    const cause = CAUSES[mc.endReason === "rejected" ? (mc.endCause ?? "declined") : (mc.endReason ?? "remote")] ?? CAUSES["remote"]!;
    this.event("CallDisconnect", {
      CallId: leaf(call.id),
      CauseValue: leaf(cause.value),
      CauseString: leaf(cause.text),
      CauseType: leaf(cause.type),
      OrigCallDirection: leaf(call.direction.toLowerCase()),
      RemoteURI: leaf(`${call.protocol === "Sip" ? "sip" : "h323"}:${call.number}`),
    });
    this.calls.delete(call.id);
    this.changed();
  }

  /** MediaChannels of a connected call from the MCU's figures: packets per 5 s interval, lost ones by the loss %. */
  private mediaChannels(c: SimCall): JObj | undefined {
    const m = this.mcu.media(c.id);
    if (!m) return undefined;
    const channels: JObj[] = [];
    const add = (n: number, type: "Audio" | "Video", dir: "rx" | "tx", role: "Main" | "Presentation", f: { lossPct: number; jitterMs: number; rateKbps: number }) => {
      const total = type === "Audio" ? 250 : Math.max(100, Math.round(((f.rateKbps * 1000) / 8 / 1100) * 5 / 100) * 100); // ~1100-byte packets, whole hundreds
      const lost = Math.round((total * f.lossPct) / 100);
      const ch: JObj = {
        id: String(c.id * 100 + n),
        Direction: leaf(dir === "rx" ? "Incoming" : "Outgoing"),
        Type: leaf(type),
        Netstat: {
          Bytes: leaf(total * 160),
          ChannelRate: leaf(f.rateKbps * 1000),
          Drop: leaf(0),
          Jitter: leaf(f.jitterMs),
          LastIntervalLost: leaf(lost),
          LastIntervalReceived: leaf(total - lost),
          Loss: leaf(lost),
          MaxJitter: leaf(f.jitterMs + 2),
          Packets: leaf(total),
        },
      };
      if (type === "Video") ch["Video"] = { ChannelRole: leaf(role), Protocol: leaf("H264") };
      else ch["Audio"] = { Protocol: leaf("AACLD") };
      channels.push(ch);
    };
    add(1, "Audio", "rx", "Main", m.audio.rx);
    add(2, "Audio", "tx", "Main", m.audio.tx);
    add(3, "Video", "rx", "Main", m.video.rx);
    add(4, "Video", "tx", "Main", m.video.tx);
    if (this.presentation.mode !== "Off") add(5, "Video", this.presentation.mode === "Sending" ? "tx" : "rx", "Presentation", m.video.tx);
    return { id: String(c.id), Channel: channels };
  }
}
