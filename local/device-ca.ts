/**
 * The local certificate authority: the stand-in for AWS IoT's certificate issuing. `iotpipe devices add` creates
 * it on first use and signs each device's client certificate (subject CN = the device id, the thing name) and the
 * broker's server certificate for 127.0.0.1, so devices and broker authenticate each other (mutual TLS, as with
 * IoT Core). Keys are ECDSA P-256, made and used by Node's WebCrypto; @peculiar/x509 writes the certificates.
 *
 * Layout under the registry folder (folders 0700, private keys 0600, never printed):
 *   ca/ca.key.pem, ca/ca.cert.pem                  the CA
 *   ca/broker.key.pem, ca/broker.cert.pem          the broker's server certificate
 *   devices/<id>/<id>.key.pem, <id>.cert.pem       each device's client certificate
 */
import "reflect-metadata";
import * as fs from "node:fs";
import * as path from "node:path";
import { randomBytes, webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

// Node's WebCrypto is the standard one; the cast bridges Node's and the DOM's type declarations of it.
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;
/** A plant CA outlives its devices' certificates; a device certificate is renewed by removing and adding it. */
export const CA_VALID_DAYS = 3650;
export const DEVICE_CERT_VALID_DAYS = 365;
/** The broker's own address: the certificate names only loopback, where the broker listens. */
const BROKER_NAMES = [
  { type: "ip", value: "127.0.0.1" },
  { type: "dns", value: "localhost" },
] as const;

export interface CaPaths {
  caKey: string;
  caCert: string;
  brokerKey: string;
  brokerCert: string;
}

export function caPaths(registryDir: string): CaPaths {
  const ca = path.join(registryDir, "ca");
  return {
    caKey: path.join(ca, "ca.key.pem"),
    caCert: path.join(ca, "ca.cert.pem"),
    brokerKey: path.join(ca, "broker.key.pem"),
    brokerCert: path.join(ca, "broker.cert.pem"),
  };
}

/** Where a device's key and certificate are written. */
export function deviceCredentialPaths(registryDir: string, deviceId: string): { key: string; cert: string } {
  const dir = path.join(registryDir, "devices", deviceId);
  return { key: path.join(dir, `${deviceId}.key.pem`), cert: path.join(dir, `${deviceId}.cert.pem`) };
}

/** An issued certificate: its serial (lowercase hex, as the registry stores it) and validity. */
export interface IssuedCertificate {
  serial: string;
  notBefore: Date;
  notAfter: Date;
  certPath: string;
  keyPath: string;
}

/** A validity window; both ends optional (default: from `now`, for the certificate kind's default days). */
export interface Validity {
  notBefore?: Date;
  notAfter?: Date;
}

/** 16 random bytes with the top bit clear and the next set: a positive serial with no leading zero byte. */
function newSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString("hex");
}

function writePrivate(file: string, pem: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, pem, { mode: 0o600 });
  // writeFileSync's mode applies only to a new file: an existing key file is narrowed too.
  fs.chmodSync(file, 0o600);
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey("pkcs8", key), "PRIVATE KEY");
}

async function newKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

interface LoadedCa {
  cert: x509.X509Certificate;
  key: CryptoKey;
}

async function loadCa(paths: CaPaths): Promise<LoadedCa> {
  const cert = new x509.X509Certificate(fs.readFileSync(paths.caCert, "utf8"));
  const der = x509.PemConverter.decodeFirst(fs.readFileSync(paths.caKey, "utf8"));
  const key = await webcrypto.subtle.importKey("pkcs8", der, ALGORITHM, false, ["sign"]);
  return { cert, key };
}

/**
 * Creates the CA under `registryDir` unless it exists; returns whether it was created. A half-written CA (a key
 * without its certificate) is an error, never silently replaced: certificates it signed may be in use.
 */
export async function ensureCa(registryDir: string, name = "iotpipe local device CA", validity: Validity = {}): Promise<boolean> {
  const paths = caPaths(registryDir);
  const hasKey = fs.existsSync(paths.caKey);
  const hasCert = fs.existsSync(paths.caCert);
  if (hasKey && hasCert) return false;
  if (hasKey !== hasCert) {
    throw new Error(`the local CA in ${path.dirname(paths.caKey)} is incomplete (${hasKey ? "no certificate" : "no key"}); restore it, or move the folder away to start a new CA (every device certificate must then be issued again)`);
  }
  const keys = await newKeys();
  const notBefore = validity.notBefore ?? new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerial(),
    name: `CN=${name}`,
    notBefore,
    notAfter: validity.notAfter ?? new Date(notBefore.getTime() + CA_VALID_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  writePrivate(paths.caKey, await exportPrivateKey(keys.privateKey));
  fs.writeFileSync(paths.caCert, cert.toString("pem"));
  return true;
}

async function issue(
  ca: LoadedCa,
  subject: string,
  usage: "client" | "server",
  keyPath: string,
  certPath: string,
  validity: Validity,
  validDays: number,
): Promise<IssuedCertificate> {
  const keys = await newKeys();
  const serial = newSerial();
  const notBefore = validity.notBefore ?? new Date();
  const notAfter = validity.notAfter ?? new Date(notBefore.getTime() + validDays * DAY_MS);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([usage === "client" ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth], false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
  ];
  if (usage === "server") extensions.push(new x509.SubjectAlternativeNameExtension(BROKER_NAMES.map((n) => ({ ...n })), false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial,
    subject: `CN=${subject}`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ALGORITHM,
    extensions,
  });
  writePrivate(keyPath, await exportPrivateKey(keys.privateKey));
  fs.writeFileSync(certPath, cert.toString("pem"));
  return { serial, notBefore, notAfter, certPath, keyPath };
}

/**
 * Issues a device's client certificate (CN = device id, the thing name the broker binds it to) signed by the CA,
 * replacing any key and certificate the device had on disk.
 */
export async function issueDeviceCertificate(registryDir: string, deviceId: string, validity: Validity = {}): Promise<IssuedCertificate> {
  const ca = await loadCa(caPaths(registryDir));
  const files = deviceCredentialPaths(registryDir, deviceId);
  return issue(ca, deviceId, "client", files.key, files.cert, validity, DEVICE_CERT_VALID_DAYS);
}

/** Deletes a device's key and certificate files (its certificate is revoked in the registry first). */
export function deleteDeviceCredentials(registryDir: string, deviceId: string): void {
  fs.rmSync(path.dirname(deviceCredentialPaths(registryDir, deviceId).key), { recursive: true, force: true });
}

/**
 * The broker's TLS material: its server certificate (issued on first use, and again once it has expired or
 * within a day of it) and the CA that verifies device certificates.
 */
export async function brokerTlsMaterial(registryDir: string, now = new Date()): Promise<{ key: Buffer; cert: Buffer; ca: Buffer }> {
  const paths = caPaths(registryDir);
  if (!fs.existsSync(paths.caCert)) {
    throw new Error(`no local CA in ${path.dirname(paths.caCert)}: register a device first (iotpipe devices add …), which creates it`);
  }
  const current = fs.existsSync(paths.brokerCert) && fs.existsSync(paths.brokerKey) ? new x509.X509Certificate(fs.readFileSync(paths.brokerCert, "utf8")) : null;
  if (!current || current.notAfter.getTime() - now.getTime() < DAY_MS) {
    await issue(await loadCa(paths), "iotpipe local broker", "server", paths.brokerKey, paths.brokerCert, { notBefore: now }, DEVICE_CERT_VALID_DAYS);
  }
  return { key: fs.readFileSync(paths.brokerKey), cert: fs.readFileSync(paths.brokerCert), ca: fs.readFileSync(paths.caCert) };
}
