/**
 * The Poly simulator under `roomgate sim`: started from a site file's device (here over SSH, with the
 * site's credentials), its own controls by device id beside the common ones, bad values refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import { siteConfigSchema } from "../../config/site.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { startSiteSimulators, type SiteSimulators } from "../site.js";
import type { PolySimHandle } from "./index.js";

let sims: SiteSimulators | undefined;
afterEach(async () => {
  await sims?.close();
  sims = undefined;
});

describe("roomgate sim: the Poly codec", () => {
  it("starts on the site's SSH endpoint accepting the site's login, and answers its controls", async () => {
    const config = siteConfigSchema.parse({
      site: "district-01",
      broker: { url: "mqtt://127.0.0.1:1883" },
      devices: {
        codec: {
          kind: "codec",
          protocol: "poly",
          transport: { type: "ssh", host: "127.0.0.1", port: 2222, username: "admin", password: "site-pass" },
          simulator: { enabled: true, options: { numbers: { "8002": { kind: "reject", cause: "busy" } } } },
        },
      },
    });
    sims = await startSiteSimulators(config, memoryLogger(), { anyPort: true });
    const sim = sims.devices.get("codec") as PolySimHandle;
    expect(sim.sshUsers).toEqual({ admin: "site-pass" });
    expect(await sims.control("status")).toMatch(/^codec: poly Group 500 ssh:127\.0\.0\.1:\d+ sessions 0 calls 0 plugged faults=/);
    expect(await sims.control("help")).toContain("poly:\nPoly codec controls:\n  reboot DEV [ms]");
    expect(await sims.control("registration codec h323 off")).toBe("codec h323 registration lost");
    expect(sim.mcu.registration).toEqual({ sip: true, h323: false });
    expect(await sims.control("number codec 8003 no-answer")).toBe("codec 8003: no-answer");
    expect(await sims.control("incoming codec 9001")).toBe("codec call 1 from 9001 ringing");
    expect(await sims.control("hangup codec")).toBe("codec far end hung up 1");
    expect(await sims.control("storm codec 3 40")).toBe("codec storm: +3 % loss, +40 ms jitter");
    expect(await sims.control("password codec other")).toBe("codec password changed");
    expect(sim.sshUsers).toEqual({ admin: "other" });
    expect(await sims.control("storm codec lots")).toMatch(/^refused: storm needs LOSS%/);
    expect(await sims.control("registration codec isdn off")).toMatch(/^refused: registration needs sip\|h323\|all/);
    expect(await sims.control("reboot codec 0")).toBe("codec rebooting; prompt again in 0 ms");
    expect(await sims.control("garbage codec on")).toBe("codec garbage=true");
  });
});
