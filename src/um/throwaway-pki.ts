/**
 * A throwaway PKI for `umphone demo --secured`: a CA, a server certificate for 127.0.0.1/localhost and a
 * client certificate for a gateway name, written as PEM files into a fresh temp folder. Keys come from
 * node:crypto (RSA 2048); node:crypto cannot issue X.509 certificates, node-forge does (the one
 * dependency for it, see docs/dependencies.md). Valid from an hour ago for two days: no file to prepare,
 * nothing to trust beyond the demo.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';

export interface PkiFiles {
  /** PEM paths. */
  cert: string;
  key: string;
}

export interface ThrowawayPki {
  dir: string;
  /** The CA certificate (what both sides trust). */
  ca: string;
  /** For 127.0.0.1 and localhost (serverAuth). */
  server: PkiFiles;
  /** For `gatewayName` (clientAuth): the caller's certificate for mutual TLS. */
  client: PkiFiles;
  gatewayName: string;
}

interface Issued {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
  keyPem: string;
}

function keyPair(): { publicKey: forge.pki.rsa.PublicKey; privateKey: forge.pki.rsa.PrivateKey; keyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    publicKey: forge.pki.publicKeyFromPem(publicKey) as forge.pki.rsa.PublicKey,
    privateKey: forge.pki.privateKeyFromPem(privateKey) as forge.pki.rsa.PrivateKey,
    keyPem: privateKey,
  };
}

function certificate(
  subjectCn: string,
  extensions: object[],
  issuer: Issued | 'self',
  now: number,
): Issued {
  const keys = keyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  // A positive serial (the high bit clear) of 16 random bytes (RFC 5280 §4.1.2.2).
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  cert.validity.notBefore = new Date(now - 3600_000);
  cert.validity.notAfter = new Date(now + 2 * 86_400_000);
  const subject = [{ name: 'commonName', value: subjectCn }, { name: 'organizationName', value: 'umphone demo' }];
  cert.setSubject(subject);
  cert.setIssuer(issuer === 'self' ? subject : issuer.cert.subject.attributes);
  cert.setExtensions(extensions);
  cert.sign(issuer === 'self' ? keys.privateKey : issuer.key, forge.md.sha256.create());
  return { cert, key: keys.privateKey, keyPem: keys.keyPem };
}

/**
 * Make the CA, the server and the client certificates in a new temp folder (about 2 s: forge signs in
 * JavaScript). `now`: wall-clock milliseconds (Clock.wallNow()), the start of their validity.
 */
export function makeThrowawayPki(now: number, gatewayName = 'gateway.umphone.test'): ThrowawayPki {
  const dir = mkdtempSync(join(tmpdir(), 'umphone-demo-pki-'));
  const ca = certificate('umphone demo CA', [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ], 'self', now);
  const server = certificate('localhost', [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
  ], ca, now);
  const client = certificate(gatewayName, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: gatewayName }] },
  ], ca, now);
  const write = (name: string, issued: Issued): PkiFiles => {
    const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
    writeFileSync(files.cert, forge.pki.certificateToPem(issued.cert));
    writeFileSync(files.key, issued.keyPem, { mode: 0o600 });
    return files;
  };
  const caFiles = write('ca', ca);
  return { dir, ca: caFiles.cert, server: write('server', server), client: write('client', client), gatewayName };
}
