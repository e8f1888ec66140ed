/**
 * The `SimHandle` that `roomgate sim` gets from a simulator whose own handle already has the common
 * parts: its faults, errors, unplug/replug/close, describe and port are forwarded as they are (read
 * live), and the simulator adds its own controls.
 */
import type { CommonFaults, SimHandle } from "./types.js";

/** What a simulator's own handle offers that SimHandle forwards. */
export interface ForwardedSim {
  readonly faults: CommonFaults;
  readonly errors: readonly Error[];
  readonly port?: number | undefined;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
  describe(): string;
}

export function siteHandle(protocol: string, sim: ForwardedSim, own: Pick<SimHandle, "control" | "controlHelp"> = {}): SimHandle {
  return {
    protocol,
    faults: sim.faults,
    get errors() {
      return sim.errors;
    },
    get port() {
      return sim.port;
    },
    unplug: () => sim.unplug(),
    replug: () => sim.replug(),
    close: () => sim.close(),
    describe: () => sim.describe(),
    ...own,
  };
}
