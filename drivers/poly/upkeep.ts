/**
 * What keeps a logged-in Poly session alive and registered, on the injected clock:
 * - keepalive: after `keepaliveMs` with no command, `keepalive()` (the driver sends `callinfo all`,
 *   as P2 does every 50 s); any command puts it off;
 * - re-registration every `reregisterMs` (P3: every 30 min), on top of the one after each login.
 * Nothing runs while the link is down; `stop()` leaves no timer.
 */
import type { Clock, TimerHandle } from "../types.js";

export interface UpkeepHandlers {
  keepalive(): Promise<void>;
  reregister(): Promise<void>;
}

export class Upkeep {
  private keepaliveTimer: TimerHandle | undefined;
  private reregisterTimer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly o: { keepaliveMs: number; reregisterMs: number },
    private readonly h: UpkeepHandlers,
  ) {}

  /** A command goes out: no keepalive needed meanwhile. */
  busy(): void {
    if (this.keepaliveTimer !== undefined) this.clock.clearTimeout(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  /** Nothing on the wire any more: the keepalive counts from now. */
  idle(): void {
    this.busy();
    if (this.o.keepaliveMs <= 0) return;
    this.keepaliveTimer = this.clock.setTimeout(() => {
      this.keepaliveTimer = undefined;
      void this.h.keepalive();
    }, this.o.keepaliveMs);
  }

  /** Logged in (and registered): the next re-registration counts from now. */
  registered(): void {
    if (this.reregisterTimer !== undefined) this.clock.clearTimeout(this.reregisterTimer);
    this.reregisterTimer = undefined;
    if (this.o.reregisterMs <= 0) return;
    this.reregisterTimer = this.clock.setTimeout(() => {
      this.reregisterTimer = undefined;
      void this.h.reregister();
    }, this.o.reregisterMs);
  }

  stop(): void {
    this.busy();
    if (this.reregisterTimer !== undefined) this.clock.clearTimeout(this.reregisterTimer);
    this.reregisterTimer = undefined;
  }
}
