/**
 * `roomgate sim` with a Cisco codec in the site file: the simulator comes up on the endpoint the
 * agent's SSH transport names, with the transport's user and password, and its controls answer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { siteConfigSchema } from "../../config/site.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { startSiteSimulators, type SiteSimulators } from "../site.js";
import type { CiscoSimHandle } from "./index.js";

let sims: SiteSimulators | undefined;
afterEach(async () => {
  await sims?.close();
  sims = undefined;
});

describe("the Cisco simulator under roomgate sim", () => {
  it("starts from the site file's ssh transport and answers its controls", async () => {
    const site = siteConfigSchema.parse({
      site: "hall-1",
      region: ["province", "hall-1"],
      broker: { url: "mqtt://127.0.0.1:1883" },
      devices: {
        codec: {
          kind: "codec",
          protocol: "cisco",
          transport: { type: "ssh", host: "127.0.0.1", port: 2222, username: "integrator", password: "s1te-pass" },
          simulator: { enabled: true, options: { numbers: { "8001": { kind: "reject", cause: "busy" } } } },
        },
      },
    });
    sims = await startSiteSimulators(site, memoryLogger(), { anyPort: true });
    const codec = sims.devices.get("codec") as CiscoSimHandle;
    expect(codec.users).toEqual({ integrator: "s1te-pass" });
    expect(sims.config.devices["codec"]!.transport).toMatchObject({ type: "ssh", port: codec.port });
    expect(await sims.control("help")).toContain("register DEV sip|h323 on|off");
    expect(await sims.control("register codec sip off")).toBe("codec sip registration off");
    expect(codec.codec.status()["SIP"]).toMatchObject({ Registration: [{ Status: { Value: "Failed" } }] });
    expect(await sims.control("storm codec 3 40")).toBe("codec storm loss=3% jitter=40ms");
    expect(await sims.control("storm codec lots")).toMatch(/^refused: storm needs/);
    expect(await sims.control("status codec")).toContain("unknown control");
    expect(await sims.control("status")).toMatch(/^codec: cisco ssh:127\.0\.0\.1:\d+ Cisco Webex Room Kit calls 0 plugged/);
  });
});
