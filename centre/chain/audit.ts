/**
 * Each site's command audit records form a hash chain: row `seq` carries `prev_hash`, the hash of row
 * seq-1 (GENESIS for row 1), and `hash` = sha256(prev_hash "\n" canonical(body)), the body being every
 * other column (centre/chain/canonical.ts). Editing any column of a row breaks its hash; removing a
 * row leaves a gap in `seq` and a `prev_hash` that nothing matches.
 *
 * A retention cut removes the oldest rows and appends an anchor row at the head, an ordinary member
 * of the chain (hashed like any row) whose data says where the chain now starts: `cutSeq` (the last
 * row removed), `continuesFrom` (that row's hash, which the first remaining row carries as its
 * prev_hash), how many rows were removed and when; signed with the centre's Ed25519 key
 * (centre/chain/keys.ts) so that an anchor cannot be made up by someone with only database access.
 */
import { chainHash, canonicalJson, GENESIS } from "./canonical.js";
import { signText, verifyText, type ChainKey } from "./keys.js";

/** An audit row as stored (column names of the `audit` table). */
export interface AuditRow {
  site: string;
  seq: number;
  kind: "record" | "anchor";
  event_id: string | null;
  ts: number;
  username: string | null;
  device: string | null;
  action: string | null;
  status: string | null;
  duration_ms: number | null;
  error_code: string | null;
  command_id: string | null;
  historical: boolean | null;
  data: Record<string, unknown>;
  received_at: number;
  prev_hash: string;
  hash: string;
}

export interface AnchorData {
  cutSeq: number;
  continuesFrom: string;
  removed: number;
  firstRemovedSeq: number;
  oldestRemovedTs: number;
  newestRemovedTs: number;
  removedBefore: number;
  retentionDays: number;
  keyId: string;
  signature?: string;
}

/** What the hash covers: every column but the hash itself. */
export function rowBody(r: Omit<AuditRow, "hash" | "prev_hash">): Record<string, unknown> {
  return {
    v: 1,
    site: r.site,
    seq: r.seq,
    kind: r.kind,
    eventId: r.event_id,
    ts: r.ts,
    user: r.username,
    device: r.device,
    action: r.action,
    status: r.status,
    durationMs: r.duration_ms,
    errorCode: r.error_code,
    commandId: r.command_id,
    historical: r.historical,
    data: r.data,
    receivedAt: r.received_at,
  };
}

export function sealRow(r: Omit<AuditRow, "hash">): AuditRow {
  return { ...r, hash: chainHash(r.prev_hash, rowBody(r)) };
}

function anchorSigningText(site: string, seq: number, ts: number, data: AnchorData): string {
  const { signature: _omit, ...unsigned } = data;
  void _omit;
  return canonicalJson({ v: 1, site, seq, ts, anchor: unsigned });
}

/** The anchor row a cut appends at the head (seq = head + 1). */
export function makeAnchor(
  key: ChainKey,
  at: { site: string; seq: number; ts: number; prevHash: string },
  cut: Omit<AnchorData, "keyId" | "signature">,
): AuditRow {
  const unsigned: AnchorData = { ...cut, keyId: key.keyId };
  const data: AnchorData = { ...unsigned, signature: signText(key, anchorSigningText(at.site, at.seq, at.ts, unsigned)) };
  return sealRow({
    site: at.site, seq: at.seq, kind: "anchor", event_id: null, ts: at.ts, username: null, device: null, action: null, status: null,
    duration_ms: null, error_code: null, command_id: null, historical: null, data: data as unknown as Record<string, unknown>, received_at: at.ts,
    prev_hash: at.prevHash,
  });
}

export interface ChainProblem {
  seq: number;
  what: "changed" | "removed" | "anchor";
  message: string;
  row?: Pick<AuditRow, "event_id" | "ts" | "username" | "device" | "action">;
}

export interface ChainVerdict {
  site: string;
  ok: boolean;
  rows: number;
  anchors: number;
  firstSeq: number | null;
  headSeq: number | null;
  headHash: string | null;
  /** The first problem along the chain (the earliest row changed or removed). */
  problem?: ChainProblem;
}

/** Public keys by key id, and where they came from (for the message). */
export type KeyRing = Map<string, { pem: string; source: string }>;

const describe = (r: AuditRow): string =>
  r.kind === "anchor" ? `anchor row ${r.seq}` : `row ${r.seq} (event ${r.event_id}, ${new Date(r.ts).toISOString()}, ${r.username ?? "?"} ${r.device ?? "-"} ${r.action ?? "?"})`;

/**
 * Walks one site's chain (`rows` in seq order) and names the first row changed or removed.
 * `head` is the chain_heads row (the last seq and hash the centre wrote), if any.
 */
export function verifyChain(site: string, rows: readonly AuditRow[], head: { seq: number; hash: string } | undefined, keys: KeyRing): ChainVerdict {
  const anchors = rows.filter((r) => r.kind === "anchor");
  const base = { site, rows: rows.length, anchors: anchors.length, firstSeq: rows[0]?.seq ?? null, headSeq: rows.at(-1)?.seq ?? null, headHash: rows.at(-1)?.hash ?? null };
  const fail = (problem: ChainProblem): ChainVerdict => ({ ...base, ok: false, problem });
  const pick = (r: AuditRow) => ({ event_id: r.event_id, ts: r.ts, username: r.username, device: r.device, action: r.action });
  const first = rows[0];
  if (first === undefined) {
    if (head !== undefined && head.seq > 0) return fail({ seq: 1, what: "removed", message: `rows 1..${head.seq} were removed: the chain head says ${head.seq} rows were written, none is left` });
    return { ...base, ok: true };
  }
  let expectedPrev = GENESIS;
  if (first.seq !== 1) {
    // The chain starts after a cut: an anchor must say so, and vouch for the first row's prev_hash.
    const anchor = anchors.filter((a) => (anchorData(a)?.cutSeq ?? Infinity) < first.seq).at(-1);
    const a = anchor === undefined ? undefined : anchorData(anchor);
    if (anchor === undefined || a === undefined || a.cutSeq !== first.seq - 1) {
      const from = a === undefined ? 1 : a.cutSeq + 1;
      return fail({ seq: from, what: "removed", message: `rows ${from}..${first.seq - 1} were removed without an anchor: the chain starts at row ${first.seq}` });
    }
    if (a.continuesFrom !== first.prev_hash) {
      return fail({ seq: first.seq, what: "changed", message: `${describe(first)} does not continue from the hash ${describe(anchor)} vouches for`, row: pick(first) });
    }
    expectedPrev = first.prev_hash;
  }
  let expectedSeq = first.seq;
  let previous: AuditRow | undefined;
  for (const r of rows) {
    if (r.seq !== expectedSeq) {
      return fail({ seq: expectedSeq, what: "removed", message: `row${r.seq - expectedSeq > 1 ? `s ${expectedSeq}..${r.seq - 1}` : ` ${expectedSeq}`} removed: the chain goes from row ${expectedSeq - 1} to row ${r.seq}` });
    }
    if (sealRow(r).hash !== r.hash) {
      return fail({ seq: r.seq, what: "changed", message: `${describe(r)} was changed: its content does not match its hash`, row: pick(r) });
    }
    if (r.prev_hash !== expectedPrev) {
      // r's own hash holds, so its prev_hash is as written: the row before it was rewritten (hash and all).
      const p = previous ?? r;
      return fail({ seq: p.seq, what: "changed", message: `${describe(p)} was changed: row ${r.seq} was chained to another hash`, row: pick(p) });
    }
    if (r.kind === "anchor") {
      const a = anchorData(r);
      const key = a === undefined ? undefined : keys.get(a.keyId);
      if (a === undefined || a.signature === undefined) return fail({ seq: r.seq, what: "anchor", message: `${describe(r)} is not a well-formed anchor` });
      if (key === undefined) return fail({ seq: r.seq, what: "anchor", message: `${describe(r)} is signed by key ${a.keyId}, which is not among the keys given` });
      if (!verifyText(key.pem, anchorSigningText(r.site, r.seq, r.ts, a), a.signature)) {
        return fail({ seq: r.seq, what: "anchor", message: `${describe(r)}: its signature does not verify with key ${a.keyId} (${key.source})` });
      }
    }
    expectedPrev = r.hash;
    expectedSeq = r.seq + 1;
    previous = r;
  }
  const last = rows.at(-1)!;
  if (head !== undefined && head.seq > last.seq) {
    return fail({ seq: last.seq + 1, what: "removed", message: `row${head.seq - last.seq > 1 ? `s ${last.seq + 1}..${head.seq}` : ` ${head.seq}`} removed: the chain head says ${head.seq} rows were written, the last one left is row ${last.seq}` });
  }
  if (head !== undefined && head.seq === last.seq && head.hash !== last.hash) {
    return fail({ seq: last.seq, what: "changed", message: `${describe(last)} was changed: its hash is not the one the centre wrote last`, row: pick(last) });
  }
  return { ...base, ok: true };
}

function anchorData(r: AuditRow): AnchorData | undefined {
  const d = r.data as Partial<AnchorData>;
  if (typeof d.cutSeq !== "number" || typeof d.continuesFrom !== "string" || typeof d.keyId !== "string") return undefined;
  return d as AnchorData;
}
