/**
 * How a bench reports: the readable table on stderr (unless --json-only), progress notes on stderr,
 * and exactly one JSON line, last, on stdout.
 */
let quiet = false;

export function setJsonOnly(on: boolean): void {
  quiet = on;
}

/** A progress or table line for humans (stderr, so stdout stays one JSON line). */
export function note(text: string): void {
  if (!quiet) process.stderr.write(`${text}\n`);
}

export function emitJson(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
