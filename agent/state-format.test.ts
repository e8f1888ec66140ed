import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { memoryLogger } from "../test/helpers/logger.js";
import { nextBootSeq } from "./boot-seq.js";
import { OutboxLog } from "./outbox-log.js";
import { STATE_FORMAT_VERSION, StateFormatError, prepareStateDir, readStateFormat, type StateMigration } from "./state-format.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(path.join(tmpdir(), "roomgate-state-"));
  dirs.push(d);
  return d;
}
const marker = (d: string) => JSON.parse(readFileSync(path.join(d, "format.json"), "utf8")) as unknown;

describe("the state directory's format", () => {
  it("marks a new directory with the current version", async () => {
    const d = path.join(dir(), "state");
    const r = await prepareStateDir(d, memoryLogger());
    expect(r).toEqual({ found: undefined, version: STATE_FORMAT_VERSION, migrated: [] });
    expect(marker(d)).toEqual({ format: "roomgate-state", version: STATE_FORMAT_VERSION });
  });

  it("migrates the unmarked layout of earlier releases and keeps the owed outbox, the boot sequence and the alarms", async () => {
    const d = dir();
    // What an agent before markers left behind: two owed events, boot 41, one active alarm.
    const log = new OutboxLog(path.join(d, "district-07.outbox"));
    log.append({ seq: 1, topic: "roomgate/v1/district-07/event", payload: { type: "a" }, at: 1 });
    log.append({ seq: 2, topic: "roomgate/v1/district-07/event", payload: { type: "b" }, at: 2 });
    log.close();
    writeFileSync(path.join(d, "district-07.bootseq"), "41\n");
    const alarms = `${JSON.stringify({ "cam-main-health": { id: "cam-main-health" } })}\n`;
    writeFileSync(path.join(d, "district-07.alarms.json"), alarms);
    expect(await readStateFormat(d)).toBe(0);

    const r = await prepareStateDir(d, memoryLogger());
    expect(r.found).toBe(0);
    expect(r.migrated).toHaveLength(1);
    expect(await readStateFormat(d)).toBe(STATE_FORMAT_VERSION);
    const again = new OutboxLog(path.join(d, "district-07.outbox"));
    expect(again.pending().map((p) => p.payload.type)).toEqual(["a", "b"]);
    again.close();
    expect(await nextBootSeq(d, "district-07")).toBe(42);
    expect(readFileSync(path.join(d, "district-07.alarms.json"), "utf8")).toBe(alarms);
    // A second start finds nothing to do.
    expect((await prepareStateDir(d, memoryLogger())).migrated).toEqual([]);
  });

  it("runs each step in order and records every step it finished, so an interrupted upgrade resumes", async () => {
    const d = dir();
    writeFileSync(path.join(d, "format.json"), '{"format":"roomgate-state","version":1}\n');
    const ran: number[] = [];
    const steps: StateMigration[] = [1, 2].map((from) => ({
      from,
      describe: `step ${from}`,
      run: async (sd) => {
        ran.push(from);
        if (from === 2 && ran.filter((x) => x === 2).length === 1) throw new Error("power cut");
        writeFileSync(path.join(sd, `v${from + 1}`), "");
      },
    }));
    await expect(prepareStateDir(d, memoryLogger(), { version: 3, migrations: steps })).rejects.toThrow("power cut");
    expect(await readStateFormat(d)).toBe(2);
    const r = await prepareStateDir(d, memoryLogger(), { version: 3, migrations: steps });
    expect(r).toEqual({ found: 2, version: 3, migrated: ["step 2"] });
    expect(ran).toEqual([1, 2, 2]);
  });

  it("refuses a directory written by a newer release, saying how to fix it", async () => {
    const d = dir();
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, "format.json"), `{"format":"roomgate-state","version":${STATE_FORMAT_VERSION + 1}}\n`);
    const err = await prepareStateDir(d, memoryLogger()).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(StateFormatError);
    expect((err as StateFormatError).code).toBe("state_too_new");
    expect((err as Error).message).toMatch(/install the newer bundle again/);
  });
});
