/**
 * Throw-away PKI for TLS tests, made with the system's openssl: a CA, a server certificate for
 * 127.0.0.1/localhost, client certificates by CN, and a second ("rogue") CA. Files go in a fresh
 * temporary directory; nothing is reused between runs.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

export interface Pki {
  dir: string;
  caFile: string;
  ca: Buffer;
  certFile: string;
  keyFile: string;
  /** A client certificate and key signed by the CA (or by the rogue CA), CN = `cn`. */
  client(cn: string, opts?: { rogue?: boolean }): { cert: Buffer; key: Buffer; certFile: string; keyFile: string };
}

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

function makeCa(dir: string, name: string): void {
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", `/CN=${name}`, "-keyout", `${name}.key`, "-out", `${name}.crt`], dir);
}

function signed(dir: string, name: string, cn: string, ca: string, days: number, ext?: string): void {
  openssl(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${cn}`, "-keyout", `${name}.key`, "-out", `${name}.csr`], dir);
  const extArgs = ext === undefined ? [] : (writeFileSync(path.join(dir, `${name}.ext`), ext), ["-extfile", `${name}.ext`]);
  openssl(["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", String(days), "-out", `${name}.crt`, ...extArgs], dir);
}

/** `serverDays`: validity of the server certificate (the broker warns under 30). */
export function makePki(serverDays = 2): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), "roomgate-pki-"));
  makeCa(dir, "ca");
  makeCa(dir, "rogue");
  signed(dir, "server", "localhost", "ca", serverDays, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  let n = 0;
  return {
    dir,
    caFile: path.join(dir, "ca.crt"),
    ca: readFileSync(path.join(dir, "ca.crt")),
    certFile: path.join(dir, "server.crt"),
    keyFile: path.join(dir, "server.key"),
    client(cn, opts = {}) {
      const name = `client-${++n}`;
      signed(dir, name, cn, opts.rogue ? "rogue" : "ca", 2);
      const certFile = path.join(dir, `${name}.crt`);
      const keyFile = path.join(dir, `${name}.key`);
      return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
    },
  };
}
