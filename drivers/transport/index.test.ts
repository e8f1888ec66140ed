import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { fakeClock } from "../../test/helpers/clock.js";
import { memoryLogger } from "../../test/helpers/logger.js";
import { createTransport, listSerialPorts, type TransportSpec } from "./index.js";

const deps = () => ({ clock: fakeClock(), logger: memoryLogger() });

describe("createTransport", () => {
  it("builds each kind from its spec, unopened, with a description free of secrets", async () => {
    const serial = await createTransport({ type: "serial", path: "/dev/ttyUSB0", baudRate: 9600, parity: "even" }, deps());
    const tcp = await createTransport({ type: "tcp", host: "10.0.0.7", port: 1515 }, deps());
    const udp = await createTransport({ type: "udp", host: "10.0.0.5", port: 52381, localPort: 52381 }, deps());
    expect([serial.kind, serial.description, serial.state]).toEqual(["serial", "serial:/dev/ttyUSB0@9600", "idle"]);
    expect([tcp.kind, tcp.description, tcp.state]).toEqual(["tcp", "tcp:10.0.0.7:1515", "idle"]);
    expect([udp.kind, udp.description, udp.state]).toEqual(["udp", "udp:10.0.0.5:52381", "idle"]);
  });

  it("rejects (never throws) with bad_config for a spec or backoff that can never work", async () => {
    await expect(createTransport({ type: "modbus" } as unknown as TransportSpec, deps())).rejects.toMatchObject({
      code: "bad_config",
      message: "transport.type: expected serial|tcp|udp|http|ssh; got modbus",
    });
    await expect(createTransport({ type: "tcp", host: "h", port: 0 }, deps())).rejects.toMatchObject({ code: "bad_config" });
    await expect(
      createTransport({ type: "udp", host: "h", port: 1 }, { ...deps(), backoff: { initialMs: -1 } }),
    ).rejects.toMatchObject({ code: "bad_config", message: "backoff.initialMs: expected a number > 0; got -1" });
  });

  it("loads serialport only through a dynamic import (sites without serial stay small)", async () => {
    const src = await readFile(new URL("./index.ts", import.meta.url), "utf8");
    const staticImports = src.split("\n").filter((l) => /^import\s/.test(l));
    expect(staticImports.filter((l) => /serialport|serial\.js|tcp\.js|udp\.js/.test(l))).toEqual([]);
    expect(src).toContain('await import("./serial.js")');
  });
});

describe("listSerialPorts", () => {
  it("returns no ports and a warning when udevadm is missing, instead of failing", async () => {
    const spawnError = Object.assign(new Error("spawn udevadm ENOENT"), { code: "ENOENT", syscall: "spawn udevadm" });
    await expect(listSerialPorts(() => Promise.reject(spawnError))).resolves.toEqual({
      ports: [],
      warning: "cannot list serial ports: udevadm not found (install udev, or give the device path, e.g. /dev/ttyUSB0, by hand)",
    });
  });

  it("passes other failures on as a warning", async () => {
    await expect(listSerialPorts(() => Promise.reject(new Error("EACCES /run/udev")))).resolves.toEqual({
      ports: [],
      warning: "cannot list serial ports: EACCES /run/udev",
    });
  });

  it("keeps path and manufacturer of each port", async () => {
    const found = [
      { path: "/dev/ttyUSB0", manufacturer: "FTDI" },
      { path: "/dev/ttyS0", manufacturer: undefined },
    ];
    await expect(listSerialPorts(async () => found)).resolves.toEqual({
      ports: [{ path: "/dev/ttyUSB0", manufacturer: "FTDI" }, { path: "/dev/ttyS0" }],
    });
  });

  it("never rejects on this machine, whatever it has", async () => {
    const result = await listSerialPorts();
    expect(Array.isArray(result.ports)).toBe(true);
    if (result.warning !== undefined) expect(result.warning).toMatch(/^cannot list serial ports: /);
  });
});
