/**
 * A test driver that produces a known stream of device events on the agent's clock: `count`
 * events of type `tick`, one every `intervalMs`, each carrying its own number `n` (1..count).
 * With a fake clock a fault scenario makes "100 events a minute for 10 minutes" in a second, and
 * the numbers are ground truth the recorder checks independently of the agent's event ids.
 *
 * It never opens its transport (there is no device behind it); health is `ok` once started.
 */
import { EventEmitter } from "node:events";
import { z } from "zod";
import type { DriverModule } from "../../agent/drivers.js";
import type { ActionTable, Clock, Driver, DriverContext, DriverEvents, Health, TimerHandle } from "../../drivers/types.js";

export const TICK_EVENT = "tick";

const optionsSchema = z.strictObject({
  intervalMs: z.number().int().positive().default(600),
  /** How many ticks in all; 0 = none until `emit()` is called. */
  count: z.number().int().min(0).default(0),
});

type TickerState = { emitted: number };

export class TickerDriver extends EventEmitter<DriverEvents<TickerState>> implements Driver<TickerState> {
  readonly kind = "gpio" as const;
  readonly protocol = "ticker";
  readonly actions: ActionTable = {};
  readonly stateFields = ["emitted"] as const;
  private current: Health = { status: "unknown" };
  private emitted = 0;
  private timer: TimerHandle | undefined;
  private clock: Clock | undefined;

  get health(): Health {
    return { ...this.current };
  }

  /** Ticks emitted so far. */
  get count(): number {
    return this.emitted;
  }

  async start(ctx: DriverContext): Promise<void> {
    const opts = optionsSchema.parse(ctx.options);
    this.clock = ctx.clock;
    this.current = { status: "ok" };
    this.emit("health", this.health);
    if (opts.count > 0) {
      const target = opts.count;
      this.timer = ctx.clock.setInterval(() => {
        this.emitTicks(1);
        if (this.emitted >= target) this.stopTimer();
      }, opts.intervalMs);
    }
  }

  /** Emits `k` ticks now (on demand, for scenarios that pace the ticks themselves). */
  emitTicks(k: number): void {
    for (let i = 0; i < k; i++) {
      this.emitted++;
      this.emit("event", { type: TICK_EVENT, data: { n: this.emitted } });
    }
  }

  async stop(): Promise<void> {
    this.stopTimer();
  }

  async poll(): Promise<TickerState> {
    return { emitted: this.emitted };
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.clock?.clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** A driver loader for `Agent({ loadDriver })` that knows `ticker`; `drivers` holds every one made. */
export function tickerLoader(): { loadDriver: (protocol: string) => Promise<DriverModule>; drivers: TickerDriver[] } {
  const drivers: TickerDriver[] = [];
  return {
    drivers,
    loadDriver: async (protocol: string) => {
      if (protocol !== "ticker") throw new Error(`the fault suite's loader only knows "ticker", not "${protocol}"`);
      return {
        createDriver: () => {
          const d = new TickerDriver();
          drivers.push(d);
          return d;
        },
      };
    },
  };
}
