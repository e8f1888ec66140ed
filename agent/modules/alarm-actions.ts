/**
 * The operator's side of the site's alarms: `alarm.ack` and `alarm.list`. The alarms themselves
 * (raise, clear, persistence, the retained `alarm/{id}` and the `alarm.*` events) are the agent's
 * AlarmManager (agent/alarms.ts), which every module receives in its context.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../../drivers/types.js";
import type { AgentModule, ModuleContext } from "../module.js";

export class AlarmActionsModule implements AgentModule {
  readonly name = "alarms";

  actions(ctx: ModuleContext): ActionTable {
    return {
      "alarm.ack": {
        description: "Acknowledges an active alarm; the broker-verified user is recorded in the alarm and its event.",
        args: z
          .strictObject({ alarm: z.string().regex(/^[a-z0-9-]+$/).describe("The alarm id (the last segment of its topic).") })
          .meta({ examples: [{ alarm: "hall-not-secure" }] }),
        run: async (args: { alarm: string }, actx: ActionContext) => ctx.alarms.ack(args.alarm, actx.user ?? "unknown"),
      },
      "alarm.list": {
        description: "The active alarms of the site.",
        args: z.strictObject({}).meta({ examples: [{}] }),
        run: async () => ({ alarms: ctx.alarms.list().map((a) => ({ id: a.id, ...a.alarm })) }),
      },
    };
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
