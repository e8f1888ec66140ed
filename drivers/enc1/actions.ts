/**
 * The ENC/1 driver's action table. The encryptor is read-only to us: the one action asks for a
 * fresh status line ($Q,ST) and returns the resulting state. There is no action (and no encoder)
 * for zeroize, bypass, keys, configuration or reboot.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../types.js";
import type { Enc1DriverState } from "./state.js";

export const actionArgs = {
  "status.refresh": z.strictObject({}).describe("No arguments."),
} as const;

export interface ActionDeps {
  /** Sends $Q,ST and resolves with the state once the device's status line has arrived. */
  refresh(ctx: ActionContext): Promise<Enc1DriverState>;
}

export function buildActions(deps: ActionDeps): ActionTable {
  return {
    "status.refresh": {
      description: "Ask the encryptor for its status now ($Q,ST) and return the state it reports. Read-only.",
      args: actionArgs["status.refresh"],
      run: (_args: Record<string, never>, ctx: ActionContext) => deps.refresh(ctx),
    },
  };
}
