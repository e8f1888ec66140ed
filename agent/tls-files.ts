/**
 * The broker link's TLS files (site file `broker.tls`), read at every connect so that a renewed
 * certificate needs no restart. A file that cannot be read is an Error naming the file (never its
 * content); the session logs it and its usual backoff tries again.
 */
import { readFileSync } from "node:fs";

export interface TlsFiles {
  caFile?: string | undefined;
  certFile?: string | undefined;
  keyFile?: string | undefined;
}

export function readTlsFiles(files: TlsFiles | undefined): { ca?: Buffer; cert?: Buffer; key?: Buffer } | Error {
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  const want = { ca: files?.caFile, cert: files?.certFile, key: files?.keyFile };
  for (const [k, file] of Object.entries(want) as Array<[keyof typeof out, string | undefined]>) {
    if (file === undefined) continue;
    try {
      out[k] = readFileSync(file);
    } catch (err) {
      return new Error(`${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return out;
}
