/** `roomgate history verify`: every site's audit chain (or one site's), walked from the database. */
import { verifyChain, type AuditRow, type ChainVerdict, type KeyRing } from "../chain/audit.js";
import type { Sql } from "../db/db.js";

export async function verifyAudit(db: Sql, f: { site?: string }, keys: KeyRing): Promise<ChainVerdict[]> {
  const site = f.site ?? null;
  const sites = await db.query<{ site: string }>(
    `select site from chain_heads where ($1::text is null or site = $1) union select distinct site from audit where ($1::text is null or site = $1) order by site`,
    [site],
  );
  // The database's own copy of the anchors' keys, after any given from outside it (which win).
  const ring: KeyRing = new Map(keys);
  for (const k of await db.query<{ key_id: string; public_key: string }>("select key_id, public_key from chain_keys")) {
    if (!ring.has(k.key_id)) ring.set(k.key_id, { pem: k.public_key, source: "the copy in the database" });
  }
  const out: ChainVerdict[] = [];
  for (const { site: s } of sites) {
    const rows = await db.query<AuditRow>("select * from audit where site = $1 order by seq", [s]);
    const head = (await db.query<{ seq: number; hash: string }>("select seq, hash from chain_heads where site = $1", [s]))[0];
    out.push(verifyChain(s, rows, head, ring));
  }
  return out;
}
