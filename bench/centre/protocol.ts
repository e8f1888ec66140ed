/** What the centre bench and its load generator (bench/centre/generator.ts, a worker thread) say to each other. */
export interface GeneratorSetup {
  url: string;
  connections: number;
  sites: number;
  devices: number;
}

export type GeneratorTask =
  | { phase: "steady"; healthS: number; commandsPerSec: number; durationMs: number }
  | { phase: "burst"; count: number };

export interface GeneratorDone {
  phase: "steady" | "burst";
  sent: number;
  firstAt: number;
  lastAt: number;
}

export const siteName = (i: number) => `site-${String(i).padStart(5, "0")}`;
export const deviceName = (i: number) => `dev-${String(i).padStart(2, "0")}`;
