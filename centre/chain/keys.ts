/**
 * The key that signs the audit chain's anchors (the rows a retention cut leaves). Ed25519, made on
 * the centre's first start in its state directory: chain-key.pem (private, 0600) and
 * chain-key.pub.pem. Its public half is also recorded in the database (chain_keys), but
 * `history verify` prefers a copy from outside the database (--key, or the state directory): a key
 * read from the same database an intruder could edit proves consistency, not origin.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

export interface ChainKey {
  keyId: string;
  publicPem: string;
  privateKey: KeyObject;
}

export function keyIdOf(publicPem: string): string {
  const der = createPublicKey(publicPem).export({ type: "spki", format: "der" });
  return createHash("sha256").update(der).digest("hex").slice(0, 16);
}

export async function loadOrCreateChainKey(dir: string): Promise<ChainKey> {
  const privFile = path.join(dir, "chain-key.pem");
  const pubFile = path.join(dir, "chain-key.pub.pem");
  let privatePem: string;
  try {
    privatePem = await readFile(privFile, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const pair = generateKeyPairSync("ed25519");
    privatePem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    // wx: two centres starting on one state dir must not overwrite each other's key.
    await writeFile(privFile, privatePem, { mode: 0o600, flag: "wx" });
  }
  const privateKey = createPrivateKey(privatePem);
  const publicPem = createPublicKey(privateKey).export({ type: "spki", format: "pem" }).toString();
  await writeFile(pubFile, publicPem, { mode: 0o644 });
  return { keyId: keyIdOf(publicPem), publicPem, privateKey };
}

export function signText(key: ChainKey, text: string): string {
  return sign(null, Buffer.from(text, "utf8"), key.privateKey).toString("base64");
}

export function verifyText(publicPem: string, text: string, signature: string): boolean {
  try {
    return verify(null, Buffer.from(text, "utf8"), createPublicKey(publicPem), Buffer.from(signature, "base64"));
  } catch {
    // A malformed key or signature is a failed verification, reported as such by the caller.
    return false;
  }
}
