/**
 * The fault suite's counting (recorder.ts): what it calls lost, duplicated and resent. Fed by hand,
 * as if from the broker, so each rule is shown on its own.
 */
import { describe, expect, it } from "vitest";
import { Recorder } from "./recorder.js";

const P = "roomgate/v1/s";
function recorder(): Recorder & { feed(topic: string, json: unknown): void } {
  const r = new (Recorder as unknown as new (site: string) => Recorder)("s");
  const onMessage = (r as unknown as { onMessage(t: string, p: Buffer, retain: boolean): void }).onMessage.bind(r);
  return Object.assign(r, { feed: (topic: string, json: unknown) => onMessage(topic, Buffer.from(JSON.stringify(json)), false) });
}
const event = (id: string, historical = false) => ({ id, ts: 1, type: "health", ...(historical ? { historical } : {}) });

describe("the fault recorder", () => {
  it("counts a second copy of an event as a duplicate", () => {
    const r = recorder();
    for (const id of ["1-1", "1-2", "1-2", "1-3"]) r.feed(`${P}/event`, event(id));
    expect(r.analyse()).toMatchObject({ expected: 3, received: 3, lost: [], duplicates: ["1-2"], resent: [] });
  });

  it("excuses one resend of the owed message that arrived last before a cut, and only that one", () => {
    const r = recorder();
    r.feed(`${P}/event`, event("1-1"));
    r.feed(`${P}/event`, event("1-2"));
    r.feed(`${P}/agent/state`, { state: "online" }); // not owed: never the one in flight
    r.markCut();
    r.feed(`${P}/event`, event("1-2", true)); // its PUBACK was lost in the cut: sent again
    r.feed(`${P}/event`, event("1-1", true)); // acknowledged before the cut: a real duplicate
    r.feed(`${P}/event`, event("1-3"));
    r.feed(`${P}/event`, event("1-2", true)); // a second resend is more than the cut explains
    expect(r.analyse()).toMatchObject({ lost: [], duplicates: ["1-1", "1-2"], resent: ["1-2"] });
  });

  it("the message in flight at a cut may be a command response", () => {
    const r = recorder();
    r.feed(`${P}/event`, event("1-1"));
    r.feed(`${P}/res/fault-monitor`, { id: "c1", status: "ok" });
    r.markCut();
    r.feed(`${P}/res/fault-monitor`, { id: "c1", status: "ok" });
    expect(r.analyse()).toMatchObject({ duplicates: [], resent: ["fault-monitor:c1"], responses: { duplicates: [] } });
  });

  it("after a kill, each message delivered before it may come once more, and what comes after may not", () => {
    const r = recorder();
    r.feed(`${P}/event`, event("1-1"));
    r.feed(`${P}/event`, event("1-2"));
    r.markKill();
    r.feed(`${P}/event`, event("1-1", true)); // the restart found an older acked mark
    r.feed(`${P}/event`, event("1-2", true));
    r.feed(`${P}/event`, event("1-3", true)); // owed, never delivered before the kill
    r.feed(`${P}/event`, event("1-1", true)); // a third copy: more than the kill explains
    r.feed(`${P}/event`, event("1-3", true)); // delivered only after the kill: a real duplicate
    expect(r.analyse()).toMatchObject({ lost: [], duplicates: ["1-1", "1-3"], resent: ["1-1", "1-2"] });
  });
});
