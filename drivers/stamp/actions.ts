/**
 * The link probe's actions: a burst of probes measured now (what a technician runs to see the link
 * at once, without waiting for the window), and a fresh window.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../types.js";
import type { RttFigures } from "./window.js";

export const MAX_BURST_MS = 5000;

export const actionArgs = {
  "probe.run": z
    .strictObject({
      count: z.number().int().min(1).max(100).default(10).describe("Probes to send."),
      spacingMs: z.number().int().min(5).max(1000).default(20).describe("Time between them."),
    })
    .refine((a) => (a.count - 1) * a.spacingMs <= MAX_BURST_MS, `the burst must fit in ${MAX_BURST_MS} ms: (count - 1) × spacingMs`)
    .describe("Send a burst of probes now and answer with their figures (they count in the window too)."),
  "probe.reset": z.strictObject({}).describe("Start a new window: figures start again from nothing."),
};

export interface BurstResult {
  sent: number;
  received: number;
  lossPct: number;
  rttMs: RttFigures | null;
}

export interface ActionDeps {
  burst(count: number, spacingMs: number, actx: ActionContext): Promise<BurstResult>;
  reset(): { since: number };
}

export function buildActions(deps: ActionDeps): ActionTable {
  return {
    "probe.run": {
      description: "Send a burst of probes now (count, spacingMs) and answer with loss and round trips; they count in the window too.",
      args: actionArgs["probe.run"],
      run: (a: { count: number; spacingMs: number }, actx: ActionContext) => deps.burst(a.count, a.spacingMs, actx),
    },
    "probe.reset": {
      description: "Start a new window: the figures start again from nothing. The quality band and its alarm stay until the new window judges otherwise.",
      args: actionArgs["probe.reset"],
      run: async () => deps.reset(),
    },
  };
}
