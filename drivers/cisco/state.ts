/**
 * The Cisco driver's state in the codec vocabulary's shape (CodecState, CODEC_STATE_FIELDS), and how
 * a status tree (a full read or one feedback document) updates it. Feedback reaches the `state`
 * event through drivers/state-emitter.ts, so it does not flood it.
 */
import { initialCodecState, isRegistered, type CodecState } from "../codec/vocabulary.js";
import { dig, list, text, type Tree } from "./replies.js";
import { h323Registration, presentationFrom, sipRegistration, standbyFrom, type StatusOptions } from "./status.js";

export function initialState(): CodecState {
  return initialCodecState("not read yet");
}

/** Applies what `status` says (and nothing else) to `s`; returns whether anything changed, and the Call entries. */
export function applyStatus(s: CodecState, status: Tree, o: StatusOptions): { changed: boolean; calls: Tree[] | undefined } {
  const before = JSON.stringify({ ...s, calls: undefined });
  const model = text(status, "SystemUnit", "ProductId");
  if (model !== undefined) s.model = model;
  const sw = text(status, "SystemUnit", "Software", "Version");
  if (sw !== undefined) s.software = sw;
  const mute = text(status, "Audio", "Microphones", "Mute");
  if (mute !== undefined) s.mic = { muted: mute.toLowerCase() === "on" };
  const vol = Number(text(status, "Audio", "Volume"));
  if (text(status, "Audio", "Volume") !== undefined && Number.isFinite(vol)) s.volume = vol;
  const standby = text(status, "Standby", "State");
  if (standby !== undefined) s.standby = standbyFrom(standby);
  const content = presentationFrom(status);
  if (content) s.content = content;
  const main = Number(text(status, "Video", "Input", "MainVideoSource"));
  if (Number.isInteger(main) && main > 0) s.camera = { source: main };
  const sip = sipRegistration(status, o);
  if (sip) s.registration = { ...s.registration, sip };
  const h323 = h323Registration(status, o);
  if (h323) s.registration = { ...s.registration, h323 };
  s.registered = isRegistered(s.registration);
  const calls = dig(status, "Call") === undefined ? undefined : list(status, "Call");
  return { changed: JSON.stringify({ ...s, calls: undefined }) !== before, calls };
}

export function cloneState(s: CodecState): CodecState {
  return structuredClone(s);
}
