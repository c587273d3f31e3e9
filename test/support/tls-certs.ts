/**
 * Throwaway certificates for TLS interop tests, made with the openssl command line into a temp folder:
 * a CA, server certificates signed by it (for 127.0.0.1/localhost, for another host name, an expired
 * one: `-days -1` puts notAfter a day before notBefore), a client certificate, and a second CA nobody
 * trusts. Each `.pem` is the certificate, `.key` its key, `.both.pem` both (baresip's sip_certificate).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
  /** Certificate then key in one file. */
  both: string;
}

export interface TestPki {
  dir: string;
  /** The trusted CA's certificate (what --tls-ca gets). */
  ca: string;
  /** For 127.0.0.1 and localhost, signed by the CA. */
  server: CertFiles;
  /** For other.example only. */
  wrongHost: CertFiles;
  /** For 127.0.0.1, expired. */
  expired: CertFiles;
  /** For 127.0.0.1, signed by a CA that is not trusted. */
  unknownCa: CertFiles;
  /** A client certificate signed by the CA (mutual TLS). */
  client: CertFiles;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`]);
}

function issue(dir: string, ca: string, name: string, cn: string, san: string, days: number, usage: string): CertFiles {
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-days', String(days), '-extfile', `${name}.ext`, '-out', `${name}.pem`]);
  const files = { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`), both: join(dir, `${name}.both.pem`) };
  writeFileSync(files.both, Buffer.concat([readFileSync(files.cert), readFileSync(files.key)]));
  return files;
}

/** Make the whole set (a few hundred ms of RSA key generation). */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'umphone-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'otherca');
  const local = 'IP:127.0.0.1,DNS:localhost';
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    server: issue(dir, 'ca', 'server', '127.0.0.1', local, 2, 'serverAuth'),
    wrongHost: issue(dir, 'ca', 'wrong-host', 'other.example', 'DNS:other.example', 2, 'serverAuth'),
    expired: issue(dir, 'ca', 'expired', '127.0.0.1', local, -1, 'serverAuth'),
    unknownCa: issue(dir, 'otherca', 'unknown-ca', '127.0.0.1', local, 2, 'serverAuth'),
    client: issue(dir, 'ca', 'client', 'umphone-test', 'DNS:umphone.test', 2, 'clientAuth'),
  };
}
