/** The switch's actions: PoE on/off and a port power-cycle (the work is the driver's; here the args and wording). */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../types.js";

const portArg = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "expected a port name from options.ports").describe("A named port (options.ports).");

export const actionArgs = {
  "poe.set": z.strictObject({ port: portArg, on: z.boolean().describe("true: power allowed on the port; false: cut.") }).meta({ examples: [{ port: "cam-main", on: true }] }),
  "port.powercycle": z
    .strictObject({
      port: portArg,
      offMs: z.number().int().min(200).max(120_000).default(3000).describe("How long the port's power stays off."),
    })
    .meta({ examples: [{ port: "cam-main", offMs: 3000 }] }),
};

export interface SwitchOps {
  setPoe(port: string, on: boolean, ctx: ActionContext): Promise<Record<string, unknown>>;
  cycle(port: string, offMs: number, ctx: ActionContext): Promise<Record<string, unknown>>;
}

export function buildActions(ops: SwitchOps): ActionTable {
  return {
    "poe.set": {
      description: "Turns a named port's PoE on or off (the vendor's object per options.variant). A protected port refuses off.",
      args: actionArgs["poe.set"],
      run: (a: { port: string; on: boolean }, ctx) => ops.setPoe(a.port, a.on, ctx),
    },
    "port.powercycle": {
      description:
        "Power-cycles what a named port feeds: PoE off (the intent written to disk first), offMs, on again, then waits " +
        "until the port delivers power. A protected port refuses; an agent that dies half-way turns the port on when it starts.",
      args: actionArgs["port.powercycle"],
      run: (a: { port: string; offMs: number }, ctx) => ops.cycle(a.port, a.offMs, ctx),
    },
  };
}
