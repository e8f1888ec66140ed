/**
 * How a simulator validates its spec (a site file's `simulator.options`, or a test's): zod's issues
 * on one line, thrown as a `bad_config` error whose message names the field. Every simulator's
 * spec error is `SimulatorSpecError` under its own class name.
 */
import { z } from "zod";

export class SimulatorSpecError extends Error {
  readonly code = "bad_config";
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The parsed spec; throws `new Err("<what>: <issues>")` for one that can never work. */
export function parseSpec<S extends z.ZodType>(schema: S, data: unknown, what: string, Err: new (message: string) => Error = SimulatorSpecError): z.output<S> {
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new Err(`${what}: ${z.prettifyError(parsed.error).replace(/\n/g, "; ")}`);
  return parsed.data;
}
