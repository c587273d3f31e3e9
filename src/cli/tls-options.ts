/**
 * The TLS options `call` and `run` share: their yargs definitions, and the PEM files they name read
 * for the TLS transport (real-transports.ts). The files are checked in call-settings.ts's tlsSettings.
 */
import { readFileSync } from 'node:fs';
import type { RealTlsOptions } from '../phone/real-transports.js';
import type { TlsSettings } from './call-settings.js';
import { UsageError } from './context.js';

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

/**
 * The TLS options of the listening commands (`listen --transport tls`, `serve --security ...`): the same
 * names as the calling side's, from the server's point of view: --tls-cert/--tls-key are the certificate
 * we present, --tls-ca the CA(s) the clients' certificates must be signed by (mutual TLS).
 */
export const SERVER_TLS_OPTIONS = {
  'tls-cert': { group: TLS, type: 'string', describe: 'PEM certificate (chain) presented to callers over TLS (with --tls-key)' },
  'tls-key': { group: TLS, type: 'string', describe: 'PEM private key of --tls-cert' },
  'tls-ca': { group: TLS, type: 'string', describe: 'PEM file of the CA(s) that sign the callers\' client certificates (mutual TLS; default: the system roots)' },
} as const;

export interface ServerTlsArgv {
  'tls-cert'?: string;
  'tls-key'?: string;
  'tls-ca'?: string;
}

/** The PEM texts of a listening command's TLS options. */
export interface ServerTlsFiles {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

/**
 * Read --tls-cert, --tls-key and --tls-ca for a TLS listener (`needed`: why TLS is on, for the message).
 * Throws UsageError (one line, exit 2) for a missing option or a file that cannot be read.
 */
export function readServerTlsFiles(a: ServerTlsArgv, needed: string): ServerTlsFiles {
  if (a['tls-cert'] === undefined || a['tls-key'] === undefined) throw new UsageError(`${needed} needs --tls-cert and --tls-key (the server certificate and its key, PEM)`);
  const read = (option: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      throw new UsageError(`--${option} ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    }
  };
  return {
    cert: read('tls-cert', a['tls-cert']),
    key: read('tls-key', a['tls-key']),
    ...(a['tls-ca'] !== undefined ? { ca: read('tls-ca', a['tls-ca']) } : {}),
  };
}

/** TLS options given without TLS being on: a usage error rather than silently ignored. */
export function tlsOptionsWithoutTls(a: ServerTlsArgv & { 'tls-require-client-cert'?: boolean; 'tls-peer-name'?: unknown }): string | undefined {
  const given = ['tls-cert', 'tls-key', 'tls-ca', 'tls-require-client-cert', 'tls-peer-name'].filter((k) => (a as Record<string, unknown>)[k] !== undefined && (a as Record<string, unknown>)[k] !== false);
  return given.length > 0 ? given.map((k) => `--${k}`).join(', ') : undefined;
}
