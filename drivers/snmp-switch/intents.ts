/**
 * Durable intent of a power-cycle (part D [A]: PoE admin values persist across a switch reboot, so a
 * port left off by an agent that died half-way stays off for good). Before a port goes off, `{port,
 * ifIndex, until}` is written to the device's durable record; it is removed once the port is on
 * again. The next start switches on every port still listed as soon as the switch answers.
 */
import type { DurableStore, Logger } from "../types.js";

export interface CycleIntent {
  port: string;
  ifIndex: number;
  /** Clock ms when the power was to be back on (for the log: a restart switches the port on at once). */
  until: number;
}

interface Record1 {
  version: 1;
  cycles: CycleIntent[];
}

export class Intents {
  private cycles: CycleIntent[] = [];

  constructor(
    private readonly store: DurableStore,
    private readonly log: Logger,
  ) {}

  /** Reads the record; entries that are not well-formed are dropped (and said so). */
  async load(): Promise<CycleIntent[]> {
    const raw = (await this.store.load()) as Partial<Record1> | undefined;
    const list = Array.isArray(raw?.cycles) ? raw.cycles : [];
    this.cycles = list.filter(
      (c): c is CycleIntent => typeof c?.port === "string" && Number.isInteger(c.ifIndex) && typeof c.until === "number" && Number.isFinite(c.until),
    );
    if (this.cycles.length !== list.length) this.log.warn({ kept: this.cycles.length, found: list.length }, "malformed power-cycle intents dropped");
    return this.list();
  }

  list(): CycleIntent[] {
    return this.cycles.map((c) => ({ ...c }));
  }

  has(port: string): boolean {
    return this.cycles.some((c) => c.port === port);
  }

  /** Records the intent on disk; resolves only once it is there (rejects: the port must not go off). */
  async add(intent: CycleIntent): Promise<void> {
    const next = [...this.cycles.filter((c) => c.port !== intent.port), intent];
    await this.store.save({ version: 1, cycles: next } satisfies Record1);
    this.cycles = next;
  }

  async remove(port: string): Promise<void> {
    if (!this.has(port)) return;
    const next = this.cycles.filter((c) => c.port !== port);
    await this.store.save({ version: 1, cycles: next } satisfies Record1);
    this.cycles = next;
  }
}

/** The record in memory, for a context without a durable store (tests outside an agent). */
export function memoryStore(): DurableStore {
  let value: unknown;
  return {
    load: async () => structuredClone(value),
    save: async (v) => {
      value = structuredClone(v);
    },
  };
}
