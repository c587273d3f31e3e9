/**
 * SDP Security Descriptions (SDES, RFC 4568): the a=crypto attribute that carries SRTP master keys in
 * the clear (so only over TLS signalling). This file reads and writes one attribute value and checks
 * whether umphone can use it; crypto-negotiate.ts makes offers and answers from them.
 *
 *   a=crypto:<tag> <crypto-suite> inline:<base64 key||salt>[|<lifetime>][|<MKI>:<length>][;inline:...] [<session-params>]
 */
import { SdpNegotiationError } from './errors.js';

/** Suites umphone implements (src/rtp/srtp), with their key || salt length in octets (RFC 4568 §6.2, RFC 7714 §14.1). */
export const SDES_SUITES = {
  AES_CM_128_HMAC_SHA1_80: { keyLength: 16, saltLength: 14 },
  AES_CM_128_HMAC_SHA1_32: { keyLength: 16, saltLength: 14 },
  AEAD_AES_128_GCM: { keyLength: 16, saltLength: 12 },
} as const;

export type SdesSuiteName = keyof typeof SDES_SUITES;

/** Default order of an offer: the RFC 4568 mandatory suite first, then the short tag, then GCM. */
export const DEFAULT_SDES_SUITES: readonly SdesSuiteName[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'];

/** One key-param (RFC 4568 §6.1 for SRTP): `inline:` key||salt with an optional lifetime and MKI. */
export interface SdpCryptoKey {
  /** The decoded master key followed by the master salt. */
  keySalt: Buffer;
  /** As written: `2^31` or a decimal count of packets. */
  lifetime?: string;
  /** MKI value (decimal, as written) and its length in octets, 1..128. */
  mki?: { value: string; length: number };
}

/** One a=crypto attribute. */
export interface SdpCrypto {
  /** 1..999999999, the offer/answer handle (§4.1). */
  tag: number;
  /** As written; suite names compare case-insensitively. */
  suite: string;
  keys: SdpCryptoKey[];
  /** Session parameters as written, e.g. UNENCRYPTED_SRTCP, KDR=0, WSH=128, -x-opt. */
  sessionParams: string[];
}

/**
 * An a=crypto line that cannot be read or used. The server edge answers 488 Not Acceptable Here with
 * `Warning: ${error.warningHeader(host)}` (RFC 3261 §20.43, code 399 miscellaneous).
 */
export class SdpCryptoError extends SdpNegotiationError {
  constructor(readonly warning: string, code: 'SDP_CRYPTO_SYNTAX' | 'SDP_CRYPTO_UNSUPPORTED' | 'SDP_CRYPTO_NONE' | 'SDP_CRYPTO_ANSWER') {
    super(warning, code);
  }

  /** The Warning header value: `399 host "text"` (quotes in the text become apostrophes). */
  warningHeader(agent: string): string {
    return `399 ${agent} "${this.warning.replace(/["\\]/g, "'")}"`;
  }
}

const syntax = (m: string): SdpCryptoError => new SdpCryptoError(m, 'SDP_CRYPTO_SYNTAX');
const unsupported = (m: string): SdpCryptoError => new SdpCryptoError(m, 'SDP_CRYPTO_UNSUPPORTED');

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Parses the value of an a=crypto attribute (what follows `a=crypto:`). Throws SdpCryptoError on bad syntax. */
export function parseCrypto(value: string): SdpCrypto {
  const fields = value.trim().split(/[ \t]+/);
  if (fields.length < 3) throw syntax(`Malformed crypto attribute "${value.trim()}": expected tag, suite and key parameters`);
  const [tagText, suite, keyParams, ...sessionParams] = fields as [string, string, string, ...string[]];
  if (!/^\d{1,9}$/.test(tagText) || Number(tagText) === 0) {
    throw syntax(`Malformed crypto tag "${tagText}": expected 1 to 9 digits, not 0`);
  }
  if (!/^[A-Za-z0-9_]+$/.test(suite)) throw syntax(`Malformed crypto suite "${suite}"`);
  const keys = keyParams.split(';').map((p) => parseKeyParam(p));
  return { tag: Number(tagText), suite, keys, sessionParams };
}

function parseKeyParam(param: string): SdpCryptoKey {
  const colon = param.indexOf(':');
  if (colon < 0) throw syntax(`Crypto key parameter "${param}" has no key method: expected inline:<key||salt>`);
  const method = param.slice(0, colon);
  if (method.toLowerCase() !== 'inline') throw unsupported(`Crypto key method "${method}" is not supported: expected inline`);
  const [keySalt, ...rest] = param.slice(colon + 1).split('|');
  if (!keySalt || !BASE64.test(keySalt) || keySalt.replace(/=+$/, '').length % 4 === 1) {
    throw syntax(`Crypto key "${keySalt ?? ''}" is not valid base64`);
  }
  const key: SdpCryptoKey = { keySalt: Buffer.from(keySalt, 'base64') };
  if (rest.length > 2) throw syntax(`Crypto key parameter "${param}" has more than a lifetime and an MKI`);
  for (const part of rest) {
    if (part.includes(':')) {
      if (key.mki) throw syntax(`Crypto key parameter "${param}" has two MKIs`);
      const m = /^(\d+):(\d{1,3})$/.exec(part);
      const length = m ? Number(m[2]) : 0;
      if (!m || length < 1 || length > 128) throw syntax(`Malformed MKI "${part}": expected value:length with a length of 1..128 octets`);
      if (BigInt(m[1]!) >= 1n << BigInt(8 * length)) throw syntax(`MKI value ${m[1]} does not fit in ${length} octets`);
      key.mki = { value: m[1]!, length };
    } else {
      if (key.lifetime !== undefined || key.mki) throw syntax(`Crypto key parameter "${param}": the lifetime must come once, before the MKI`);
      if (!/^(2\^)?\d+$/.test(part) || lifetimePackets(part) < 1) throw syntax(`Malformed key lifetime "${part}": expected 2^n or a number of packets`);
      key.lifetime = part;
    }
  }
  return key;
}

/** The lifetime in packets (2^n or decimal), Infinity when absent. */
export function lifetimePackets(lifetime: string | undefined): number {
  if (lifetime === undefined) return Infinity;
  return lifetime.startsWith('2^') ? 2 ** Number(lifetime.slice(2)) : Number(lifetime);
}

/** The attribute value for an SdpCrypto (without `a=crypto:`); parseCrypto(serializeCrypto(c)) equals c. */
export function serializeCrypto(c: SdpCrypto): string {
  const keys = c.keys
    .map((k) => {
      let s = `inline:${k.keySalt.toString('base64')}`;
      if (k.lifetime !== undefined) s += `|${k.lifetime}`;
      if (k.mki) s += `|${k.mki.value}:${k.mki.length}`;
      return s;
    })
    .join(';');
  return [String(c.tag), c.suite, keys, ...c.sessionParams].join(' ');
}

/** What the SRTP layer needs from a usable a=crypto line (the shape of src/rtp/srtp SrtpMasterKey + policy). */
export interface SdesKeys {
  tag: number;
  suite: SdesSuiteName;
  key: Buffer;
  salt: Buffer;
  /** The MKI as `length` octets, big-endian, when the line has one. */
  mki?: Buffer;
  /** UNENCRYPTED_SRTP / UNENCRYPTED_SRTCP (RFC 4568 §6.3.3–6.3.4). */
  encryptRtp: boolean;
  encryptRtcp: boolean;
  /** WSH (§6.3.7): the replay window the sender asks for, at least 64. */
  replayWindow?: number;
  /** The key lifetime in packets (§6.1), when the line gives one: a sender must rekey before it. */
  lifetime?: number;
}

/** The supported suite name for a written one, or undefined. */
export function sdesSuite(name: string): SdesSuiteName | undefined {
  const upper = name.toUpperCase();
  return Object.prototype.hasOwnProperty.call(SDES_SUITES, upper) ? (upper as SdesSuiteName) : undefined;
}

/**
 * Checks that umphone can run SRTP with this line and returns its keys. Throws SdpCryptoError
 * (SDP_CRYPTO_UNSUPPORTED) naming what is not supported: the suite, the key length, more than one
 * master key, UNAUTHENTICATED_SRTP, KDR, an unknown mandatory session parameter.
 */
export function sdesKeys(c: SdpCrypto): SdesKeys {
  const suite = sdesSuite(c.suite);
  if (!suite) throw unsupported(`Unsupported crypto suite ${c.suite}`);
  const { keyLength, saltLength } = SDES_SUITES[suite];
  if (c.keys.length !== 1) throw unsupported(`Crypto tag ${c.tag} has ${c.keys.length} master keys: only one is supported`);
  const k = c.keys[0]!;
  if (k.keySalt.length !== keyLength + saltLength) {
    throw unsupported(`Crypto key for ${suite} must be ${keyLength + saltLength} octets of key and salt, got ${k.keySalt.length}`);
  }
  const keys: SdesKeys = {
    tag: c.tag,
    suite,
    key: Buffer.from(k.keySalt.subarray(0, keyLength)),
    salt: Buffer.from(k.keySalt.subarray(keyLength)),
    encryptRtp: true,
    encryptRtcp: true,
  };
  if (k.mki) keys.mki = mkiBytes(k.mki);
  if (k.lifetime !== undefined) keys.lifetime = lifetimePackets(k.lifetime);
  for (const p of c.sessionParams) applySessionParam(keys, p);
  return keys;
}

/** RFC 4568 §6.3: each SRTP session parameter, used or refused. */
function applySessionParam(keys: SdesKeys, param: string): void {
  const [name, value] = param.includes('=') ? [param.slice(0, param.indexOf('=')), param.slice(param.indexOf('=') + 1)] : [param, undefined];
  switch (name) {
    case 'UNENCRYPTED_SRTP':
      keys.encryptRtp = false;
      return;
    case 'UNENCRYPTED_SRTCP':
      keys.encryptRtcp = false;
      return;
    case 'UNAUTHENTICATED_SRTP':
      throw unsupported('UNAUTHENTICATED_SRTP is not supported: umphone authenticates every SRTP packet');
    case 'KDR':
      throw unsupported(`KDR=${value ?? ''} is not supported: only the default key derivation (once per master key)`);
    case 'WSH': {
      if (!value || !/^\d+$/.test(value) || Number(value) < 64) throw syntax(`Malformed WSH "${param}": expected a window of at least 64`);
      keys.replayWindow = Math.min(Number(value), 32768);
      return;
    }
    case 'FEC_ORDER':
    case 'FEC_KEY':
      // Only meaningful with forward error correction (RFC 4568 §6.3.5–6.3.6), which umphone does not use.
      return;
    default:
      // §6.3.8: a parameter starting with "-" may be ignored; any other unknown one makes the line unusable.
      if (param.startsWith('-')) return;
      throw unsupported(`Unsupported crypto session parameter ${name}`);
  }
}

/** An MKI value as `length` big-endian octets (RFC 3711 §3.1). */
export function mkiBytes(mki: { value: string; length: number }): Buffer {
  const out = Buffer.alloc(mki.length);
  let v = BigInt(mki.value);
  for (let i = mki.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}
