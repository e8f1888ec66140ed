import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { siteConfigSchema } from "../config/site.js";
import { startSiteSimulators } from "./site.js";
import type { SiteSimulators } from "./site.js";
import { memoryLogger } from "../test/helpers/logger.js";
import { freePort } from "../test/helpers/net.js";

let sims: SiteSimulators | undefined;
afterEach(async () => {
  await sims?.close();
  sims = undefined;
});

async function site() {
  const port = await freePort();
  const config = siteConfigSchema.parse({
    site: "district-01",
    region: ["province", "district-01"],
    broker: { url: "mqtt://127.0.0.1:1883" },
    devices: {
      cam: { kind: "camera", protocol: "visca", transport: { type: "udp", host: "127.0.0.1", port }, simulator: { enabled: true } },
      real: { kind: "camera", protocol: "visca", transport: { type: "udp", host: "127.0.0.1", port: port + 1 } },
    },
  });
  sims = await startSiteSimulators(config, memoryLogger());
  return sims;
}

describe("roomgate sim fault controls", () => {
  it("starts only the devices marked simulated, on the endpoint the agent will use", async () => {
    const s = await site();
    expect([...s.devices.keys()]).toEqual(["cam"]);
    expect(await s.control("status")).toMatch(/^cam: .*udp/);
  });

  it("sets faults by device id and refuses bad values without throwing", async () => {
    const s = await site();
    expect(await s.control("silent cam on")).toBe("cam silent=true");
    expect(s.devices.get("cam")!.faults.silent).toBe(true);
    expect(await s.control("slow cam 250")).toBe("cam slowMs=250");
    expect(await s.control("error cam not_executable")).toBe("cam errorReply=not_executable");
    expect(await s.control("error cam bogus")).toMatch(/^refused: /);
    expect(JSON.parse((await s.control("status")).replace(/^.*faults=/, ""))).toMatchObject({ errorReply: "not_executable" });
    expect(await s.control("help")).toContain("visca:\n  error DEV CODE|off");
    expect(await s.control("where cam")).toMatch(/^cam power=\w+ pan=-?\d+ tilt=-?\d+ zoom=\d+/);
    expect(await s.control("unplug nobody")).toContain('unknown device "nobody"');
    expect(await s.control("dance cam")).toContain('unknown control "dance"');
  });

  it("a room's host stand-in goes down and up, and refuses the faults a TCP listener cannot produce", async () => {
    const port = await freePort();
    const config = siteConfigSchema.parse({
      site: "district-01",
      broker: { url: "mqtt://127.0.0.1:1883" },
      rooms: { hall: { profile: { hosts: { bridge: { host: "127.0.0.1", port, maxRttMs: 150, simulator: { enabled: true } } } } } },
    });
    sims = await startSiteSimulators(config, memoryLogger());
    expect(await sims.control("status")).toBe(`bridge: tcp 127.0.0.1:${port} listening faults={"silent":false,"garbage":false,"slowMs":0}`);
    expect(await sims.control("slow bridge 500")).toMatch(/^refused: the host stand-in cannot answer slowly/);
    expect(await sims.control("silent bridge on")).toMatch(/^refused: the host stand-in cannot go silent/);
    expect(sims.devices.get("bridge")!.faults).toEqual({ silent: false, garbage: false, slowMs: 0 });
    expect(await sims.control("unplug bridge")).toBe("bridge unplugged");
    expect(await sims.control("status")).toMatch(/unplugged/);
  });
});

describe("the demo's simulators on ports the kernel picks (roomgate demo --free-ports)", () => {
  it("binds every network device and host on port 0 and reports the site with the ports they got", async () => {
    const { loadSiteConfig } = await import("../config/load.js");
    const { exampleSitePath } = await import("../cli/demo.js");
    const { relocatePtys } = await import("./site-endpoints.js");
    const { mkdtempSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const path = await import("node:path");
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-anyport-"));
    try {
      const example = relocatePtys(await loadSiteConfig(exampleSitePath()), dir);
      sims = await startSiteSimulators(example, memoryLogger(), { anyPort: true });
      let network = 0;
      for (const [id, dev] of Object.entries(sims.config.devices)) {
        const t = dev.transport;
        if (t.type === "serial") {
          expect(t.path).toBe(path.join(dir, id));
          continue;
        }
        network++;
        // The port the simulator bound, which is not the example's fixed one (a running demo may hold that).
        expect(t.port, id).toBe(sims.devices.get(id)!.port);
        expect(t.port, id).not.toBe((example.devices[id]!.transport as { port: number }).port);
      }
      expect(network).toBe(9);
      // The switch's traps go to the agent's trap port, moved too: the simulator sends to the port the agent is given.
      const trapPort = (sims.config.devices["access-switch"]!.options as { trapPort: number }).trapPort;
      expect(trapPort).not.toBe(1162);
      const sw = sims.devices.get("access-switch") as import("./snmp-switch/index.js").SnmpSwitchSimHandle;
      const traps = createSocket("udp4");
      try {
        await new Promise<void>((resolve) => traps.bind(trapPort, "127.0.0.1", resolve));
        const got = new Promise<Buffer>((resolve) => traps.once("message", resolve));
        expect(await sims.control("flap access-switch codec-main 100")).toBe("access-switch codec-main down for 100 ms");
        expect((await got).length).toBeGreaterThan(0);
        expect(sw.trapsSent.sent).toBeGreaterThan(0);
      } finally {
        traps.close();
      }
      const bridge = sims.config.rooms!["main-hall"]!.profile!.hosts!.bridge!;
      expect(bridge.port).toBe(sims.devices.get("bridge")!.port);
      expect(bridge.port).not.toBe(5061);
    } finally {
      await sims?.close();
      sims = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the demo's site moved onto free ports (relocateSite: tests, and doctor's demo)", () => {
  it("moves the switch's trap port with the simulators, so two demos never share one", async () => {
    const { loadSiteConfig } = await import("../config/load.js");
    const { exampleSitePath } = await import("../cli/demo.js");
    const { relocateSite, simulatorEndpoints } = await import("./site-endpoints.js");
    const example = await loadSiteConfig(exampleSitePath());
    let next = 30_000;
    const moved = await relocateSite(example, "/tmp/roomgate-relocated", async () => next++);
    const trapPort = (moved.devices["access-switch"]!.options as { trapPort: number }).trapPort;
    expect(trapPort).toBeGreaterThanOrEqual(30_000);
    // The demo's preflight names it among what must be free.
    expect(simulatorEndpoints(example)).toContainEqual({ what: "the agent's trap receiver for access-switch (options.trapPort)", proto: "udp", host: "127.0.0.1", port: 1162 });
    expect(simulatorEndpoints(moved).filter((e) => e.proto === "udp" && e.port === trapPort)).toHaveLength(1);
  });
});
