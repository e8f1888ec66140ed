/**
 * The bytes of the retained store's files (retained-log.ts): a snapshot or a log is a 16-byte header
 * followed by records, each one retained message as it was set (or cleared) at one moment.
 *
 *   header: "rgretain" | u8 format version (1) | u8 kind (1 snapshot, 2 log) | 6 bytes zero
 *   record: u32 BE body length | u32 BE crc32(body) | body
 *   body:   u8 op (1 set, 2 clear) | u8 qos | u16 BE topic length | topic (UTF-8) | payload (the rest)
 *
 * The same record in both kinds, so one reader serves both. A record whose length runs past the end
 * of the file or whose checksum does not match ends the file: a write torn by a crash can only be
 * the last one (the log is append-only), and it is cut off when the store opens.
 */
import zlib from "node:zlib";

export const FILE_MAGIC = Buffer.from("rgretain", "latin1");
export const RECORDS_VERSION = 1;
export const FILE_HEADER_BYTES = 16;
const RECORD_HEAD = 8;
const BODY_HEAD = 4;
/** Larger than any MQTT packet (256 MiB): a length above it is corruption, not a message. */
const MAX_BODY = 268_435_455 + BODY_HEAD + 65_535;

export type FileKind = "snapshot" | "log";
const KIND_BYTE: Record<FileKind, number> = { snapshot: 1, log: 2 };

/** One retained message; an empty payload is a clear (MQTT-3.3.1-10). */
export interface RetainedRecord {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: number;
}

export function fileHeader(kind: FileKind): Buffer {
  const h = Buffer.alloc(FILE_HEADER_BYTES);
  FILE_MAGIC.copy(h, 0);
  h[8] = RECORDS_VERSION;
  h[9] = KIND_BYTE[kind];
  return h;
}

/** The encoded size of a record, to size a buffer before writing several. */
export function recordBytes(r: RetainedRecord): number {
  return RECORD_HEAD + BODY_HEAD + Buffer.byteLength(r.topic, "utf8") + r.payload.length;
}

/** Writes `r` into `into` at `at` (which must have recordBytes(r) free); returns the end. */
export function writeRecord(r: RetainedRecord, into: Buffer, at: number): number {
  const bodyAt = at + RECORD_HEAD;
  const topicBytes = into.write(r.topic, bodyAt + BODY_HEAD, "utf8");
  const payloadAt = bodyAt + BODY_HEAD + topicBytes;
  r.payload.copy(into, payloadAt);
  const end = payloadAt + r.payload.length;
  into[bodyAt] = r.payload.length === 0 ? 2 : 1;
  into[bodyAt + 1] = r.qos;
  into.writeUInt16BE(topicBytes, bodyAt + 2);
  into.writeUInt32BE(end - bodyAt, at);
  into.writeUInt32BE(zlib.crc32(into.subarray(bodyAt, end)), at + 4);
  return end;
}

export function encodeRecord(r: RetainedRecord): Buffer {
  const buf = Buffer.allocUnsafe(recordBytes(r));
  writeRecord(r, buf, 0);
  return buf;
}

export interface ReadResult {
  /** In file order; payloads are copies, not views of `data`. */
  records: RetainedRecord[];
  /** Bytes up to the end of the last good record (the header included). */
  validBytes: number;
  /** Why reading stopped before the end of the data, if it did. */
  stoppedAt?: string;
}

/** Reads a whole snapshot or log; an unknown header reads as nothing (stoppedAt says why). */
export function readRecords(data: Buffer, kind: FileKind): ReadResult {
  if (data.length < FILE_HEADER_BYTES) return { records: [], validBytes: 0, ...(data.length > 0 ? { stoppedAt: "a header cut short" } : {}) };
  if (!data.subarray(0, 8).equals(FILE_MAGIC) || data[9] !== KIND_BYTE[kind]) return { records: [], validBytes: 0, stoppedAt: `not a roomgate retained ${kind}` };
  if (data[8] !== RECORDS_VERSION) return { records: [], validBytes: 0, stoppedAt: `record format ${data[8]}, this broker reads ${RECORDS_VERSION}` };
  const records: RetainedRecord[] = [];
  let at = FILE_HEADER_BYTES;
  while (at < data.length) {
    if (at + RECORD_HEAD > data.length) return { records, validBytes: at, stoppedAt: "a record header cut short" };
    const len = data.readUInt32BE(at);
    if (len < BODY_HEAD || len > MAX_BODY || at + RECORD_HEAD + len > data.length) return { records, validBytes: at, stoppedAt: "a record cut short" };
    const body = data.subarray(at + RECORD_HEAD, at + RECORD_HEAD + len);
    if (zlib.crc32(body) !== data.readUInt32BE(at + 4)) return { records, validBytes: at, stoppedAt: "a record whose checksum does not match" };
    const topicLen = body.readUInt16BE(2);
    if (BODY_HEAD + topicLen > len) return { records, validBytes: at, stoppedAt: "a record whose topic runs past it" };
    const topic = body.toString("utf8", BODY_HEAD, BODY_HEAD + topicLen);
    const payload = body[0] === 2 ? Buffer.alloc(0) : Buffer.from(body.subarray(BODY_HEAD + topicLen));
    records.push({ topic, payload, qos: body[1]! });
    at += RECORD_HEAD + len;
  }
  return { records, validBytes: at };
}
