/**
 * systemd's watchdog for the agent's service (deploy/roomgate-agent.service, WatchdogSec=): while the
 * event loop runs, `WATCHDOG=1` is sent every half of $WATCHDOG_USEC; an agent whose loop is stuck
 * stops sending, and systemd kills and restarts it.
 *
 * How it is sent: sd_notify is a datagram on the unix socket $NOTIFY_SOCKET, and Node's dgram has no
 * unix sockets (only a native module would have). So the agent runs systemd's own `systemd-notify
 * WATCHDOG=1`, a child in the service's cgroup (the unit says NotifyAccess=all). Since systemd 246 it
 * waits until the manager has read the message (sd_notify_barrier), so the manager still knows which
 * unit the short-lived sender belonged to. Without WatchdogSec (or outside systemd) nothing runs.
 * A ping that fails is logged, once per kind of failure; systemd then restarts the agent, which is
 * the point: a watchdog we cannot feed is a unit file to fix, and the log says so.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import type { Clock, Logger, TimerHandle } from "../drivers/types.js";

export type Notify = (args: string[], done: (err: Error | null) => void) => void;

export interface WatchdogDeps {
  env: NodeJS.ProcessEnv;
  pid: number;
  clock: Clock;
  logger: Logger;
  /** Runs systemd-notify with these arguments (tests pass their own). */
  notify?: Notify;
}

const NOTIFY_BINARIES = ["/usr/bin/systemd-notify", "/bin/systemd-notify"];

function systemdNotify(env: NodeJS.ProcessEnv): Notify | undefined {
  const bin = NOTIFY_BINARIES.find((b) => existsSync(b));
  if (bin === undefined) return undefined;
  return (args, done) => execFile(bin, args, { timeout: 5000, env }, (err) => done(err));
}

export class Watchdog {
  private timer: TimerHandle | undefined;
  private readonly failures = new Set<string>();

  constructor(private readonly deps: WatchdogDeps) {}

  /** The ping interval, or undefined when systemd asked for no watchdog (or asked another process). */
  get intervalMs(): number | undefined {
    const { env, pid } = this.deps;
    const usec = Number(env.WATCHDOG_USEC);
    if (env.NOTIFY_SOCKET === undefined || !Number.isFinite(usec) || usec <= 0) return undefined;
    if (env.WATCHDOG_PID !== undefined && Number(env.WATCHDOG_PID) !== pid) return undefined;
    return Math.max(100, Math.floor(usec / 1000 / 2));
  }

  start(): void {
    const every = this.intervalMs;
    if (every === undefined) return;
    const notify = this.deps.notify ?? systemdNotify(this.deps.env);
    if (notify === undefined) {
      this.deps.logger.error({ wanted: NOTIFY_BINARIES }, "WatchdogSec is set but systemd-notify is missing: systemd will restart the agent; install systemd or remove WatchdogSec from the unit");
      return;
    }
    this.deps.logger.info({ everyMs: every }, "systemd watchdog on");
    const ping = () => {
      notify(["WATCHDOG=1"], (err) => {
        if (err === null) return;
        const kind = (err as NodeJS.ErrnoException).code?.toString() ?? err.message;
        if (this.failures.has(kind)) return;
        this.failures.add(kind);
        this.deps.logger.error({ err: err.message }, "systemd watchdog ping failed");
      });
    };
    ping();
    this.timer = this.deps.clock.setInterval(ping, every);
  }

  stop(): void {
    if (this.timer !== undefined) this.deps.clock.clearInterval(this.timer);
    this.timer = undefined;
  }
}
