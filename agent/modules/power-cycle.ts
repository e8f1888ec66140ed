/**
 * `device.powercycle`: cuts the power of a device through what feeds it (its `power` entry in the
 * site file): a relay of a GPIO board (`relay.pulse`) or a PoE port of the access switch
 * (`port.powercycle`, which keeps a durable intent and waits for the port to deliver power again),
 * then waits for the device to be back (health ok) within the command's deadline.
 */
import { z } from "zod";
import type { ActionContext, ActionTable } from "../../drivers/types.js";
import { DeviceError } from "../../drivers/types.js";
import type { AgentModule, ModuleContext } from "../module.js";

/** How often the device's health is looked at while its power is off and after. */
const WATCH_MS = 100;
/** A device whose health never dropped is taken as back this long after the power returned. */
const NO_DROP_GRACE_MS = 2000;

export class PowerCycleModule implements AgentModule {
  readonly name = "power-cycle";

  actions(ctx: ModuleContext): ActionTable {
    return {
      "device.powercycle": {
        description:
          "Power-cycles a device through what feeds it (its `power` entry in the site file): a relay opened for offMs, or " +
          "a switch port's PoE cut for offMs; then the device's health is watched until it is ok again (or the deadline).",
        args: z
          .strictObject({
            device: z.string().regex(/^[a-z0-9-]+$/).describe("The device to power-cycle."),
            offMs: z.number().int().min(200).max(60_000).default(3000).describe("How long the power stays off."),
          })
          .meta({ examples: [{ device: "cam-main", offMs: 3000 }] }),
        run: async (args: { device: string; offMs: number }, actx: ActionContext) => powerCycle(ctx, args.device, args.offMs, actx),
      },
    };
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}

async function powerCycle(ctx: ModuleContext, device: string, offMs: number, actx: ActionContext): Promise<Record<string, unknown>> {
  const { clock, devices } = ctx;
  const power = ctx.config.devices[device]?.power;
  if (!devices.has(device)) throw new DeviceError("unknown_device", `no device "${device}"`);
  if (!power) throw new DeviceError("invalid_args", `device ${device} has no \`power\` entry (relay or switch port) in the site file`);
  const viaPort = "port" in power;
  if (!devices.has(power.device)) throw new DeviceError("unknown_device", `no device "${power.device}" (the ${viaPort ? "switch" : "relay board"} of ${device})`);
  const feed = viaPort ? { port: `${power.device}/${power.port}` } : { relay: `${power.device}/${power.relay}` };
  const status = () => devices.health(device)?.status;
  const t0 = clock.now();
  let wentDown = false;
  // Watch the device's own (undebounced) health from the moment the power goes off.
  const watch = clock.setInterval(() => {
    if (status() !== "ok") wentDown = true;
  }, WATCH_MS);
  try {
    if ("port" in power) await devices.run(power.device, "port.powercycle", { port: power.port, offMs }, actx);
    else await devices.run(power.device, "relay.pulse", { name: power.relay, ms: offMs }, actx);
    const poweredAt = clock.now();
    ctx.logger.info({ device, ...feed, offMs, user: actx.user }, "power cycled; waiting for the device");
    await new Promise<void>((resolve, reject) => {
      const check = clock.setInterval(() => {
        if (status() !== "ok") wentDown = true;
        else if (wentDown || clock.now() - poweredAt > NO_DROP_GRACE_MS) done();
      }, WATCH_MS);
      const onAbort = () => {
        clock.clearInterval(check);
        reject(new DeviceError("timeout", `power restored, but ${device} was not back (health ok) by the deadline; its health: ${status()}`));
      };
      const done = () => {
        clock.clearInterval(check);
        actx.signal.removeEventListener("abort", onAbort);
        resolve();
      };
      actx.signal.addEventListener("abort", onAbort, { once: true });
    });
    return { device, ...feed, offMs, wentDown, backAfterMs: clock.now() - poweredAt, totalMs: clock.now() - t0 };
  } finally {
    clock.clearInterval(watch);
  }
}
