/**
 * The link simulator through `roomgate sim`: started from a site file's `kind: link` device with its
 * simulator options, and its path faults set by device id at the prompt (bad values refused, never thrown).
 */
import { afterEach, describe, expect, it } from "vitest";
import { siteConfigSchema } from "../../config/site.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { startSiteSimulators, type SiteSimulators } from "../site.js";

let sims: SiteSimulators | undefined;
afterEach(async () => {
  await sims?.close();
  sims = undefined;
});

describe("roomgate sim: the WAN link", () => {
  it("starts the reflector from the site file and takes loss, delay, jitter and the common faults by device id", async () => {
    const config = siteConfigSchema.parse({
      site: "district-01",
      broker: { url: "mqtt://127.0.0.1:1883" },
      devices: {
        "wan-mcu": {
          kind: "link", protocol: "stamp", transport: { type: "udp", host: "127.0.0.1", port: 8620 },
          simulator: { enabled: true, options: { delayMs: 30, lossPct: 0.5 } },
        },
      },
    });
    sims = await startSiteSimulators(config, memoryLogger(), { anyPort: true });
    const port = (sims.config.devices["wan-mcu"]!.transport as { port: number }).port;
    expect(await sims.control("status")).toMatch(new RegExp(`^wan-mcu: stamp reflector udp 127\\.0\\.0\\.1:${port} listening delay=30ms jitter=0ms loss=0\\.5%`));
    expect(await sims.control("loss wan-mcu 5")).toBe("wan-mcu loss=5%");
    expect(await sims.control("delay wan-mcu 200")).toBe("wan-mcu delay=200ms");
    expect(await sims.control("jitter wan-mcu 40")).toBe("wan-mcu jitter=40ms");
    expect(await sims.control("silent wan-mcu on")).toBe("wan-mcu silent=true");
    expect(sims.devices.get("wan-mcu")!.faults).toMatchObject({ silent: true, lossPct: 5, delayMs: 200, jitterMs: 40 });
    expect(await sims.control("loss wan-mcu 101")).toBe("refused: loss needs a percentage 0..100, got 101");
    expect(await sims.control("help")).toContain("stamp:\n  loss DEV PCT");
    expect(await sims.control("clean wan-mcu")).toBe("wan-mcu clean: every fault off");
    expect(sims.devices.get("wan-mcu")!.faults).toMatchObject({ silent: false, lossPct: 0, delayMs: 0, jitterMs: 0 });
  });

  it("refuses simulator options it does not know, naming them", async () => {
    const config = siteConfigSchema.parse({
      site: "district-01",
      broker: { url: "mqtt://127.0.0.1:1883" },
      devices: { wan: { kind: "link", protocol: "stamp", transport: { type: "udp", host: "127.0.0.1", port: 8620 }, simulator: { enabled: true, options: { lossy: true } } } },
    });
    await expect(startSiteSimulators(config, memoryLogger(), { anyPort: true })).rejects.toThrow(/STAMP simulator spec: .*lossy/);
  });
});
