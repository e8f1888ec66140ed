/**
 * The version of the agent's state directory ($ROOMGATE_STATE_DIR: boot sequence, outbox, alarms, the
 * broker's store), so that a gateway upgraded from one bundle to the next keeps what it owes the centre.
 *
 * `{stateDir}/format.json` says `{"format":"roomgate-state","version":N}`. At every start, before
 * anything else reads the directory, `prepareStateDir` brings it to STATE_FORMAT_VERSION:
 * - no directory, or an empty one: created and marked with the current version;
 * - files but no marker: the layout before markers existed (version 0), migrated step by step;
 * - an older version: each step from it to the current one runs in order, the marker written after
 *   each step (write-temp, fsync, rename), so a power cut mid-upgrade resumes at the step it was in;
 *   steps must therefore be safe to run again;
 * - a newer version (the gateway was rolled back to an older bundle): refused with `state_too_new`,
 *   rather than an old agent misreading or rewriting a newer outbox.
 *
 * Version 1 is the layout of version 0 (`{site}.bootseq`, `{site}.outbox/outbox.log` + `outbox.acked`,
 * `{site}.alarms.json`, `broker/`), now marked: the 0 -> 1 step moves nothing. The next change of an
 * on-disk format adds a step to MIGRATIONS and raises the version.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeSync } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "../drivers/types.js";

export const STATE_FORMAT_VERSION = 1;
export const STATE_FORMAT_FILE = "format.json";
const FORMAT_NAME = "roomgate-state";

/** One step: turns the layout of version `from` into that of `from + 1`, in place. */
export interface StateMigration {
  from: number;
  describe: string;
  run(stateDir: string, logger: Logger): Promise<void>;
}

export const MIGRATIONS: readonly StateMigration[] = [
  {
    from: 0,
    describe: "mark the unversioned layout (bootseq, outbox log, alarms, broker store) as version 1; no file changes",
    run: async () => undefined,
  },
];

/** A state directory this agent cannot use, with the fix in the message. */
export class StateFormatError extends Error {
  constructor(
    readonly code: "state_too_new" | "state_unreadable",
    message: string,
  ) {
    super(message);
    this.name = "StateFormatError";
  }
}

export interface StateDirReport {
  /** The version found: undefined for a new directory, 0 for an unmarked one. */
  found: number | undefined;
  version: number;
  /** The descriptions of the steps that ran. */
  migrated: string[];
}

/** The version recorded in a state directory: undefined when there is no directory or it is empty, 0 when unmarked. */
export async function readStateFormat(stateDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(path.join(stateDir, STATE_FORMAT_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw unreadable(stateDir, err);
    const entries = await readdir(stateDir).catch((e: NodeJS.ErrnoException) => {
      if (e.code === "ENOENT") return [];
      throw unreadable(stateDir, e);
    });
    return entries.length === 0 ? undefined : 0;
  }
  const parsed = safeJson(text) as { format?: unknown; version?: unknown } | undefined;
  if (parsed?.format !== FORMAT_NAME || !Number.isSafeInteger(parsed.version) || (parsed.version as number) < 1) {
    throw new StateFormatError("state_unreadable", `${path.join(stateDir, STATE_FORMAT_FILE)} is not a roomgate state marker; fix: restore it from a backup, or move the directory aside to start empty`);
  }
  return parsed.version as number;
}

/** Brings `stateDir` to the current format (see the header); throws StateFormatError when it cannot. */
export async function prepareStateDir(
  stateDir: string,
  logger: Logger,
  opts: { version?: number; migrations?: readonly StateMigration[] } = {},
): Promise<StateDirReport> {
  const target = opts.version ?? STATE_FORMAT_VERSION;
  const steps = opts.migrations ?? MIGRATIONS;
  const found = await readStateFormat(stateDir);
  if (found !== undefined && found > target) {
    throw new StateFormatError(
      "state_too_new",
      `state directory ${stateDir} is format ${found}, written by a newer roomgate; this one reads up to format ${target}. ` +
        "Fix: install the newer bundle again (its state is kept), or move the directory aside to start this release empty",
    );
  }
  await mkdir(stateDir, { recursive: true });
  const migrated: string[] = [];
  if (found === undefined) {
    writeMarker(stateDir, target);
    return { found, version: target, migrated };
  }
  for (let v = found; v < target; v++) {
    const step = steps.find((s) => s.from === v);
    if (!step) throw new StateFormatError("state_unreadable", `no migration from state format ${v} to ${v + 1} in this roomgate; fix: install a release that has it`);
    logger.info({ stateDir, from: v, to: v + 1, step: step.describe }, "migrating the state directory");
    await step.run(stateDir, logger);
    writeMarker(stateDir, v + 1);
    migrated.push(step.describe);
  }
  return { found, version: target, migrated };
}

function writeMarker(stateDir: string, version: number): void {
  const file = path.join(stateDir, STATE_FORMAT_FILE);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    writeSync(fd, `${JSON.stringify({ format: FORMAT_NAME, version })}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  // A power cut leaves either the old marker or the new one, never half of one.
  renameSync(tmp, file);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    void err; // reported by the caller as "not a roomgate state marker"
    return undefined;
  }
}

function unreadable(stateDir: string, err: unknown): StateFormatError {
  const code = (err as NodeJS.ErrnoException).code ?? String(err);
  return new StateFormatError("state_unreadable", `cannot read the state directory ${stateDir} (${code}); fix: it must be readable and writable by the service user (systemd's StateDirectory= does this)`);
}
