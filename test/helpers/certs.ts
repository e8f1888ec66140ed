/**
 * Throw-away PKI for TLS tests, made in-process (no openssl binary): a CA, a server certificate for
 * 127.0.0.1/localhost, client certificates by CN, and a second ("rogue") CA. Files go in a fresh
 * temporary directory; nothing is reused between runs.
 *
 * Keys are EC P-256 from node:crypto (native, a millisecond each, where pure-JS RSA 2048 takes
 * seconds); certificates are DER built with @peculiar/asn1-x509 and signed with node:crypto
 * (ecdsa-with-SHA256), so every call stays synchronous. Validity is the way `openssl x509 -days N`
 * sets it: from now (to the second) for N days, so a 10-day certificate is "9 days" left at once.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AsnConvert, OctetString } from "@peculiar/asn1-schema";
import {
  AlgorithmIdentifier, AttributeTypeAndValue, AttributeValue, AuthorityKeyIdentifier, BasicConstraints, Certificate,
  ExtendedKeyUsage, Extension, Extensions, GeneralName, KeyIdentifier, KeyUsage, KeyUsageFlags, Name,
  RelativeDistinguishedName, SubjectAlternativeName, SubjectKeyIdentifier, SubjectPublicKeyInfo, TBSCertificate,
  Validity, Version, id_ce_authorityKeyIdentifier, id_ce_basicConstraints, id_ce_extKeyUsage, id_ce_keyUsage,
  id_ce_subjectAltName, id_ce_subjectKeyIdentifier, id_kp_clientAuth, id_kp_serverAuth,
} from "@peculiar/asn1-x509";

export interface Pki {
  dir: string;
  caFile: string;
  ca: Buffer;
  certFile: string;
  keyFile: string;
  /** A client certificate and key signed by the CA (or by the rogue CA), CN = `cn`. */
  client(cn: string, opts?: { rogue?: boolean }): { cert: Buffer; key: Buffer; certFile: string; keyFile: string };
}

const DAY_MS = 86_400_000;
const ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
const COMMON_NAME = "2.5.4.3";

/** A key pair and the name and key identifier certificates it signs carry as their issuer's. */
interface Issuer {
  name: Name;
  keyId: ArrayBuffer;
  privateKey: KeyObject;
}

interface CertSpec {
  cn: string;
  days: number;
  /** Signed by this issuer; undefined: self-signed (a CA). */
  issuer?: Issuer;
  /** The extensions beyond the key identifiers. */
  extensions: Extension[];
}

const nameOf = (cn: string) =>
  new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: cn }) })])]);

const extension = (extnID: string, critical: boolean, value: unknown) =>
  new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

/** A positive 16-byte serial (the top bit clear, so DER needs no leading zero). */
function serial(): ArrayBuffer {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return new Uint8Array(b).buffer;
}

const pem = (label: string, der: Buffer) => `-----BEGIN ${label}-----\n${der.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END ${label}-----\n`;

/** Makes a key and its certificate, writes `name.key` and `name.crt` into `dir`. */
function issue(dir: string, name: string, spec: CertSpec): Issuer {
  const { publicKey, privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const spki = AsnConvert.parse(publicKey.export({ type: "spki", format: "der" }), SubjectPublicKeyInfo);
  // RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits.
  const keyId = new Uint8Array(createHash("sha1").update(new Uint8Array(spki.subjectPublicKey)).digest()).buffer;
  const subject = nameOf(spec.cn);
  const issuer: Issuer = spec.issuer ?? { name: subject, keyId, privateKey };
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
  const algorithm = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const tbs = new TBSCertificate({
    version: Version.v3,
    serialNumber: serial(),
    signature: algorithm,
    issuer: issuer.name,
    validity: new Validity({ notBefore, notAfter: new Date(notBefore.getTime() + spec.days * DAY_MS) }),
    subject,
    subjectPublicKeyInfo: spki,
    extensions: new Extensions([
      ...spec.extensions,
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(keyId)),
      extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuer.keyId) })),
    ]),
  });
  const tbsDer = Buffer.from(AsnConvert.serialize(tbs));
  // node:crypto signs EC keys as DER-encoded (r, s): exactly the ECDSA signature value X.509 carries.
  const signatureValue = new Uint8Array(sign("sha256", tbsDer, issuer.privateKey)).buffer;
  const cert = new Certificate({ tbsCertificate: tbs, signatureAlgorithm: algorithm, signatureValue });
  writeFileSync(path.join(dir, `${name}.crt`), pem("CERTIFICATE", Buffer.from(AsnConvert.serialize(cert))));
  writeFileSync(path.join(dir, `${name}.key`), privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  return { name: subject, keyId, privateKey };
}

const caExtensions = () => [
  extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
  extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
];

const leafExtensions = (purpose: string, altNames: GeneralName[] = []) => [
  extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
  extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
  extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([purpose])),
  ...(altNames.length > 0 ? [extension(id_ce_subjectAltName, false, new SubjectAlternativeName(altNames))] : []),
];

/** `serverDays`: validity of the server certificate (the broker warns under 30). */
export function makePki(serverDays = 2): Pki {
  const dir = mkdtempSync(path.join(tmpdir(), "roomgate-pki-"));
  const ca = issue(dir, "ca", { cn: "ca", days: 2, extensions: caExtensions() });
  const rogue = issue(dir, "rogue", { cn: "rogue", days: 2, extensions: caExtensions() });
  const san = [new GeneralName({ iPAddress: "127.0.0.1" }), new GeneralName({ dNSName: "localhost" })];
  issue(dir, "server", { cn: "localhost", days: serverDays, issuer: ca, extensions: leafExtensions(id_kp_serverAuth, san) });
  let n = 0;
  return {
    dir,
    caFile: path.join(dir, "ca.crt"),
    ca: readFileSync(path.join(dir, "ca.crt")),
    certFile: path.join(dir, "server.crt"),
    keyFile: path.join(dir, "server.key"),
    client(cn, opts = {}) {
      const name = `client-${++n}`;
      issue(dir, name, { cn, days: 2, issuer: opts.rogue ? rogue : ca, extensions: leafExtensions(id_kp_clientAuth) });
      const certFile = path.join(dir, `${name}.crt`);
      const keyFile = path.join(dir, `${name}.key`);
      return { cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile };
    },
  };
}
