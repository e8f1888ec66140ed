/**
 * What every device simulator offers `roomgate sim` and the tests (DESIGN.md, "Simulators").
 * Each protocol's simulator module exports `startFromSite(transport, options, runtime)`
 * returning a `SimHandle`; `simulators/site.ts` maps protocol names to those modules.
 */
import type { TransportConfig } from "../config/site.js";
import type { Clock, Logger } from "../drivers/types.js";

/** Fault switches every simulator has; `roomgate sim` flips them by device id. */
export interface CommonFaults {
  /** Keep the link but answer nothing. */
  silent: boolean;
  /** Mix junk bytes into replies (or send malformed replies, for text/XML protocols). */
  garbage: boolean;
  /** Delay every reply by this many ms (0 = off). */
  slowMs: number;
}

export interface SimHandle {
  /** Protocol name, as in the site file (`visca`, `novastar`, `mdc`, `onvif`, ...). */
  readonly protocol: string;
  readonly faults: CommonFaults;
  /** Errors met while running (socket errors, model bugs); bounded. */
  readonly errors: readonly Error[];
  /** Pull the cable (serial) or take the endpoint off the network (tcp/udp/http). */
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
  /** One line: protocol, endpoint, plugged or not. */
  describe(): string;
  /** The port bound for a network link (the one asked for, or the kernel's pick for 0); absent for serial. */
  readonly port?: number | undefined;
  /**
   * Device-specific fault controls for the `roomgate sim` prompt, e.g. `overtemp on`,
   * `nakstorm on`, `reboot`. Returns the answer line, or undefined when the verb is not one of
   * this simulator's (the prompt then shows the help). Throws an Error with a clear message for a
   * known verb with a bad value.
   */
  control?(verb: string, args: readonly string[]): Promise<string | undefined> | string | undefined;
  /** Help lines for `control` verbs, e.g. `  overtemp DEV on|off   temperature fault`. */
  readonly controlHelp?: string;
}

/** Things a simulator may be given that are not data (never from a site file). */
export interface SimRuntime {
  clock?: Clock;
  logger?: Logger;
}

/**
 * Starts a simulator on the endpoint a site file's device transport names, so the agent runs
 * unchanged against it. `options` is the device's `simulator.options` block (validate it; throw
 * an Error whose message names the field for a bad one).
 */
export type StartFromSite = (transport: TransportConfig, options: Record<string, unknown>, runtime?: SimRuntime) => Promise<SimHandle>;
