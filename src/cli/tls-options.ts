/**
 * The TLS options `call` and `run` share: their yargs definitions, and the PEM files they name read
 * for the TLS transport (real-transports.ts). The files are checked in call-settings.ts's tlsSettings.
 */
import { readFileSync } from 'node:fs';
import type { RealTlsOptions } from '../phone/real-transports.js';
import type { TlsSettings } from './call-settings.js';

const TLS = 'TLS';

export const TLS_OPTIONS = {
  'tls-ca': { group: TLS, type: 'string', describe: 'PEM file of the CA(s) to trust for the server certificate (default: the system roots)' },
  'tls-cert': { group: TLS, type: 'string', describe: 'PEM client certificate for mutual TLS (with --tls-key)' },
  'tls-key': { group: TLS, type: 'string', describe: 'PEM private key of --tls-cert' },
  'tls-insecure': { group: TLS, type: 'boolean', describe: 'Do not verify the server certificate (prints a warning)' },
} as const;

/** The warning line --tls-insecure prints. */
export const TLS_INSECURE_WARNING = 'umphone: warning: --tls-insecure: the server certificate is not verified';

/** The PEM files of --tls-ca/--tls-cert/--tls-key, read (a 302 may lead to TLS, so it is always opened). */
export function readTlsFiles(t: TlsSettings): RealTlsOptions {
  const read = (option: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new Error(`--${option} ${path}: ${(e as Error).message}`);
    }
  };
  return {
    rejectUnauthorized: !t.insecure,
    ...(t.caPath !== undefined ? { ca: read('tls-ca', t.caPath) } : {}),
    ...(t.certPath !== undefined ? { cert: read('tls-cert', t.certPath) } : {}),
    ...(t.keyPath !== undefined ? { key: read('tls-key', t.keyPath) } : {}),
  };
}
