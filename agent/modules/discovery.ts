/**
 * `discover`: finds ONVIF cameras on the site's LAN (WS-Discovery) and answers with a ready-to-paste
 * site-file entry for each. The ONVIF driver is loaded only when asked, as the drivers are.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../../drivers/types.js";
import type { AgentModule, ModuleContext } from "../module.js";

/** Left of the command's deadline for the answer to travel back after the collecting window. */
const ANSWER_MARGIN_MS = 500;

const discoverArgs = z
  .strictObject({
    interface: z.string().min(1).max(64).optional().describe("Probe only from this interface (name or IPv4 address)."),
    unicast: z.array(z.string().regex(/^[^\s:]+(:\d{1,5})?$/)).max(64).optional().describe("Also probe these host[:port] directly."),
    multicast: z.boolean().optional().describe("Send the multicast probe (default true)."),
    windowMs: z.number().int().min(100).max(30_000).optional().describe("How long to collect replies (default 3000)."),
  })
  .describe("Where and how long to look.")
  // 192.0.2.0/24 is for documentation (RFC 5737): the example reaches no camera anywhere.
  .meta({ examples: [{ multicast: false, unicast: ["192.0.2.31"], windowMs: 500 }] });

export class DiscoveryModule implements AgentModule {
  readonly name = "discovery";

  actions(ctx: ModuleContext): ActionTable {
    return {
      discover: {
        description:
          "Finds ONVIF cameras on the site's LAN (WS-Discovery) and answers with each one's address, identity from its " +
          "scopes, and a ready-to-paste site-file entry. No credentials travel over MQTT, so model and firmware come " +
          "from the scopes only.",
        args: discoverArgs,
        run: async (args: z.output<typeof discoverArgs>, actx: ActionContext) => {
          const { discover, formatDeviceEntry } = await import("../../drivers/onvif/index.js");
          const windowMs = Math.max(100, Math.min(args.windowMs ?? 3000, actx.deadline - ctx.clock.now() - ANSWER_MARGIN_MS));
          const result = await discover({ ...args, windowMs, signal: actx.signal, logger: ctx.logger });
          return {
            cameras: result.cameras.map((c) => ({
              endpoint: c.endpoint, url: c.url, host: c.host, port: c.port, name: c.name, hardware: c.hardware,
              ptz: c.ptz, manufacturer: c.manufacturer, model: c.model, firmware: c.firmware, entry: formatDeviceEntry(c),
            })),
            malformed: result.malformed,
            errors: result.errors,
          };
        },
      },
    };
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}
