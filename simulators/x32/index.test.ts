import { describe, expect, it } from "vitest";
import { startFromSite } from "./index.js";

describe("X32 simulator: roomgate sim entry", () => {
  it("starts on the site's UDP endpoint and exposes the X32 controls", async () => {
    const h = await startFromSite({ type: "udp", host: "127.0.0.1", port: 0 }, { name: "HALL" });
    try {
      expect(h.protocol).toBe("x32");
      expect(h.describe()).toMatch(/^x32 udp 127\.0\.0\.1:\d+ listening/);
      expect(h.controlHelp).toMatch(/change DEV CH/);
      expect(await h.control!("change", ["2", "mute"])).toBe("/ch/02/mix/on = 0 (pushed to 0 clients)");
      expect(await h.control!("bogus", [])).toBeUndefined();
      h.faults.slowMs = 100;
      expect(h.faults).toEqual({ silent: false, garbage: false, slowMs: 100 });
    } finally {
      await h.close();
    }
  });

  it("refuses links it does not have and bad options, naming them", async () => {
    await expect(startFromSite({ type: "tcp", host: "127.0.0.1", port: 0 }, {})).rejects.toThrow(/udp only/);
    await expect(startFromSite({ type: "udp", host: "127.0.0.1", port: 0 }, { rebootMs: -1 })).rejects.toThrow(/rebootMs/);
  });
});
