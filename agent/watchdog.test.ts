/**
 * The watchdog pings systemd the way the unit expects. The last test sends real `systemd-notify
 * WATCHDOG=1` datagrams to a unix socket standing in for systemd's: systemd-socket-activate (from
 * the same systemd package) listens on it and hands the first datagram to a node that prints it.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { fakeClock } from "../test/helpers/clock.js";
import { memoryLogger } from "../test/helpers/logger.js";
import { itWith, toolPath } from "../test/helpers/tools.js";
import { Watchdog, type Notify } from "./watchdog.js";

const env = (extra: Record<string, string>) => ({ NOTIFY_SOCKET: "/run/systemd/notify", ...extra });

describe("the systemd watchdog", () => {
  it("pings WATCHDOG=1 at once and then every half of WATCHDOG_USEC, until stopped", async () => {
    const clock = fakeClock();
    const sent: string[][] = [];
    const notify: Notify = (args, done) => {
      sent.push(args);
      done(null);
    };
    const w = new Watchdog({ env: env({ WATCHDOG_USEC: "60000000" }), pid: 42, clock, logger: memoryLogger(), notify });
    expect(w.intervalMs).toBe(30_000);
    w.start();
    expect(sent).toEqual([["WATCHDOG=1"]]);
    await clock.tickAsync(90_000);
    expect(sent).toHaveLength(4);
    w.stop();
    await clock.tickAsync(90_000);
    expect(sent).toHaveLength(4);
  });

  it("stays off without WatchdogSec, and when the watchdog is meant for another process", () => {
    const clock = fakeClock();
    const logger = memoryLogger();
    expect(new Watchdog({ env: {}, pid: 42, clock, logger }).intervalMs).toBeUndefined();
    expect(new Watchdog({ env: env({}), pid: 42, clock, logger }).intervalMs).toBeUndefined();
    expect(new Watchdog({ env: env({ WATCHDOG_USEC: "1000000", WATCHDOG_PID: "7" }), pid: 42, clock, logger }).intervalMs).toBeUndefined();
    expect(new Watchdog({ env: env({ WATCHDOG_USEC: "1000000", WATCHDOG_PID: "42" }), pid: 42, clock, logger }).intervalMs).toBe(500);
  });

  it("logs a failing ping once, not at every interval", async () => {
    const clock = fakeClock();
    const logger = memoryLogger();
    const notify: Notify = (_args, done) => done(Object.assign(new Error("No such file"), { code: "ENOENT" }));
    const w = new Watchdog({ env: env({ WATCHDOG_USEC: "2000000" }), pid: 1, clock, logger, notify });
    w.start();
    await clock.tickAsync(10_000);
    w.stop();
    expect(logger.records.filter((r) => r.msg === "systemd watchdog ping failed")).toHaveLength(1);
  });

  itWith("systemd-notify")("reaches a notify socket through the real systemd-notify", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "roomgate-notify-"));
    const sock = path.join(dir, "notify");
    // Node has no unix datagram sockets; read(2) on the inherited one (fd 3) returns one datagram.
    const print = 'const b = Buffer.alloc(4096); process.stdout.write(b.subarray(0, require("fs").readSync(3, b)))';
    const listen = ["--datagram", "-l", sock, "--", process.execPath, "-e", print];
    const receiver = spawn(toolPath("systemd-notify", "systemd-socket-activate"), listen, { stdio: ["ignore", "pipe", "pipe"] });
    try {
      let got = "";
      let log = "";
      const arrived = new Promise<void>((resolve) => receiver.stdout.on("data", (d: Buffer) => ((got += d.toString()), got.includes("WATCHDOG=1") && resolve())));
      await new Promise<void>((resolve, reject) => {
        receiver.stderr.on("data", (d: Buffer) => ((log += d.toString()), log.includes("Listening on") && resolve()));
        receiver.once("exit", (code) => reject(new Error(`systemd-socket-activate exited (${code}): ${log}`)));
      });
      const logger = memoryLogger();
      const w = new Watchdog({ env: { NOTIFY_SOCKET: sock, WATCHDOG_USEC: "60000000", PATH: process.env.PATH ?? "" }, pid: process.pid, clock: fakeClock(), logger });
      try {
        w.start();
        await arrived;
      } finally {
        w.stop();
      }
      expect(got).toContain("WATCHDOG=1");
    } finally {
      receiver.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
