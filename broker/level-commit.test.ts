import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ClassicLevel } from "classic-level";
import { afterEach, describe, expect, it } from "vitest";
import { GroupCommitLevel } from "./level-commit.js";

const open: Array<{ db: GroupCommitLevel; dir: string }> = [];
afterEach(async () => {
  for (const { db, dir } of open.splice(0)) {
    await db.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

async function fresh(): Promise<{ db: GroupCommitLevel; dir: string; raw: ClassicLevel<string, Buffer> }> {
  const dir = mkdtempSync(path.join(tmpdir(), "roomgate-level-commit-"));
  const raw = new ClassicLevel<string, Buffer>(dir);
  await raw.open();
  const db = new GroupCommitLevel(raw);
  open.push({ db, dir });
  return { db, dir, raw };
}

const B = (s: string) => Buffer.from(s);
const BUF = { valueEncoding: "buffer" } as const;

describe("GroupCommitLevel", () => {
  it("commits the writes made in one turn of the event loop as one synced batch, and each write settles with it", async () => {
    const { db, raw } = await fresh();
    const writes = [db.put("a", B("1")), db.batch([{ type: "put", key: "b", value: B("2") }, { type: "del", key: "a" }]), db.batch().put("c", B("3")).write()];
    expect(await db.get("b", BUF)).toEqual(B("2")); // reads see what is not committed yet
    expect(await db.get("a", BUF)).toBeUndefined();
    await Promise.all(writes);
    expect(db.stats()).toEqual({ commits: 1, writes: 4 });
    expect(await raw.get("c", BUF)).toEqual(B("3"));
    expect(await raw.get("a", BUF)).toBeUndefined();
  });

  it("while one batch is on its way, later writes share the next one", async () => {
    const { db } = await fresh();
    const first = db.put("k0", B("0"));
    await new Promise((r) => setImmediate(r)); // the first batch has started
    const later = Array.from({ length: 20 }, (_, i) => db.put(`k${i + 1}`, B(String(i + 1))));
    await Promise.all([first, ...later]);
    expect(db.stats()).toEqual({ commits: 2, writes: 21 });
  });

  it("an iterator waits for the writes made before it, not for those made after (no starvation under a stream of writes)", async () => {
    const { db } = await fresh();
    void db.put("sub:1", B("x"));
    let stop = false;
    const stream = (async () => {
      for (let i = 0; !stop; i++) {
        await db.put(`other:${i}`, B("y"));
      }
    })();
    const seen: string[] = [];
    for await (const v of db.values({ gte: "sub:", lt: "sub;", ...BUF })) seen.push(v.toString());
    stop = true;
    await stream;
    expect(seen).toEqual(["x"]);
  });
});
