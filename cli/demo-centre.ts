/**
 * `roomgate demo`'s centre: `startCentre` (PGlite in the demo's state directory) in a worker thread of
 * the demo's process (cli/demo-centre-worker.ts says why), seen from the demo as a handle.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import type { BrokerUser } from "../config/broker.js";

export interface DemoCentreSetup {
  stateDir: string;
  brokerUrl: string;
  logLevel: string;
  version: string;
  /** Post every commit's messages to the demo (tests wait on them). */
  reportCommits: boolean;
  /**
   * Serve the centre's web pages (centre/web: the console with its History and Availability pages)
   * from the worker too, once the record is open: the page's MQTT goes to `mqttUrl` (the demo
   * broker's WebSocket) or, without it, through the centre's relay to the broker. `users`: the demo's
   * `--users` (the broker checks their passwords); without them the pages are open, like the broker.
   */
  web?: { host: string; port: number; mqttUrl?: string; users?: Record<string, BrokerUser> };
}

export interface CommittedMessage {
  topic: string;
  payload: string;
}

export type ToDemoCentre = { type: "stop" };
export type FromDemoCentre =
  | { type: "up"; dir: string; consoleUrl?: string }
  | { type: "failed"; message: string }
  | { type: "commit"; msgs: CommittedMessage[] }
  | { type: "stopped" };

export interface DemoCentre {
  /** {stateDir}/centre: the PGlite files, the local API socket, the anchors' key. */
  readonly dir: string;
  /** The centre's console ({url}/console/) when it serves its web pages (undefined: not asked, or its port was taken: logged). */
  readonly consoleUrl: string | undefined;
  /** Called after each commit with its messages (only with `reportCommits`). Returns the unsubscribe. */
  onCommit(fn: (msgs: CommittedMessage[]) => void): () => void;
  stop(): Promise<void>;
}

/**
 * The worker's module: the compiled one beside this file; run from the sources (the tests), the
 * compiled copy in dist/ (built by `npm test`), since a worker thread does not load TypeScript.
 */
function workerUrl(): URL {
  const beside = new URL("./demo-centre-worker.js", import.meta.url);
  return existsSync(fileURLToPath(beside)) ? beside : new URL("../dist/cli/demo-centre-worker.js", import.meta.url);
}

/** Resolves once the centre records, or rejects with why it could not start. */
export function startDemoCentre(setup: DemoCentreSetup): Promise<DemoCentre> {
  const worker = new Worker(workerUrl(), { workerData: setup });
  const listeners = new Set<(msgs: CommittedMessage[]) => void>();
  let stopped: Promise<void> | undefined;
  return new Promise((resolve, reject) => {
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`the centre's thread exited (${code}) before it was up`)));
    worker.on("message", (m: FromDemoCentre) => {
      if (m.type === "failed") reject(new Error(m.message));
      else if (m.type === "commit") for (const fn of listeners) fn(m.msgs);
      else if (m.type === "up") {
        resolve({
          dir: m.dir,
          consoleUrl: m.consoleUrl,
          onCommit: (fn) => {
            listeners.add(fn);
            return () => listeners.delete(fn);
          },
          stop: () =>
            (stopped ??= new Promise<void>((done) => {
              worker.once("exit", () => done());
              worker.postMessage({ type: "stop" } satisfies ToDemoCentre);
            })),
        });
      }
    });
  });
}
