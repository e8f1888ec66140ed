/**
 * The agent's own actions: `ping` (is it there, since when) and `rebirth` (publish every retained
 * topic again, as a request on `agent/rebirth` does).
 */
import { z } from "zod";
import type { ActionTable } from "../../drivers/types.js";
import type { AgentModule, ModuleContext } from "../module.js";

export class CoreModule implements AgentModule {
  readonly name = "core";

  actions(ctx: ModuleContext): ActionTable {
    return {
      ping: {
        description: "Answers with the agent's boot sequence and uptime.",
        args: z.object({}).strict().meta({ examples: [{}] }),
        run: async () => ({ pong: true, bootSeq: ctx.bootSeq, uptimeMs: ctx.clock.now() - ctx.startedAt }),
      },
      rebirth: {
        description: "Republishes every retained topic of this site.",
        args: z.object({}).strict().meta({ examples: [{}] }),
        run: async () => {
          ctx.republish();
          return { republished: true };
        },
      },
    };
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
