/**
 * The one interface the centre's SQL runs on, PGlite or a PostgreSQL server: the same statements,
 * `$1` parameters, rows as plain objects. Both drivers parse int8 and numeric to JS numbers (every
 * time is ms since the epoch, far below 2^53) and json/jsonb to values, so a query's rows look the
 * same whichever database answered. Parameters are text, numbers, booleans or null; JSON goes in as
 * text with a `::jsonb` cast, so neither driver's own serialisation of objects is relied on.
 */
export type Row = Record<string, unknown>;
export type Param = string | number | boolean | null;

export interface Sql {
  query<T extends object = Row>(text: string, params?: readonly Param[]): Promise<T[]>;
  /** Several statements without parameters (migrations). */
  exec(text: string): Promise<void>;
}

export type DatabaseKind = "pglite" | "postgres";

export interface Db extends Sql {
  readonly kind: DatabaseKind;
  /** A description without secrets: `pglite /var/lib/roomgate/centre/pgdata`, `postgres rec@db:5432/roomgate`. */
  readonly where: string;
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(fn: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Why the database did not take a statement, as the centre reacts to it. */
export type DbFailure =
  /** Not reachable (refused, reset, shut down, timed out): retry the same rows later. */
  | "down"
  /** Out of disk (or another resource): retry the same rows later. */
  | "full"
  /** This data is refused (bad value, constraint): retrying it will never work, quarantine it. */
  | "data";

/**
 * Classifies an error of either driver. SQLSTATE classes: 08 connection, 57P admin shutdown, 53 and
 * 58 insufficient resources / system error (53100 disk_full), 22 data exception, 23 integrity
 * constraint. Node's socket errors have no SQLSTATE: down. Anything else, e.g. a syntax error
 * (42xxx, our bug) counts as down: it will not go away by itself, but it must not lose messages
 * either, so the centre holds them and says so until someone fixes it.
 */
export function classifyDbError(err: unknown): DbFailure {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) {
    if (code === "53100" || code.startsWith("53")) return "full";
    if (code.startsWith("22") || code.startsWith("23")) return "data";
    return "down";
  }
  if (/no space left|ENOSPC/i.test(String((err as Error | null)?.message ?? err))) return "full";
  return "down";
}

/** A short reason for logs and the health topic, without secrets. */
export function dbErrorMessage(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const message = typeof e?.message === "string" ? e.message : String(err);
  return typeof e?.code === "string" ? `${message} [${e.code}]` : message;
}
