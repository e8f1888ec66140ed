import type { Logger } from "../drivers/types.js";

/**
 * Errors a simulator endpoint meets while running (socket errors, write failures, model bugs).
 * They must never crash the process, and never vanish either: kept here (bounded) for tests and
 * `describe()`, and logged when a logger was given. One for every simulator (each one's
 * errors.ts re-exports it).
 */
export class ErrorLog {
  private readonly items: Error[] = [];

  constructor(
    private readonly logger: Logger | undefined,
    private readonly bindings: Record<string, unknown>,
    private readonly max = 20,
  ) {}

  add(err: unknown, msg: string): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.items.push(error);
    if (this.items.length > this.max) this.items.shift();
    this.logger?.warn({ ...this.bindings, err: { message: error.message, code: (error as NodeJS.ErrnoException).code } }, msg);
  }

  get list(): readonly Error[] {
    return this.items;
  }
}
