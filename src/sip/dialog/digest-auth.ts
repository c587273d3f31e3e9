/**
 * HTTP Digest authentication for SIP (RFC 3261 §22.4, RFC 2617, RFC 7616, RFC 8760): answers a
 * 401 WWW-Authenticate or 407 Proxy-Authenticate challenge with an Authorization or
 * Proxy-Authorization header value. MD5, MD5-sess, SHA-256 and SHA-256-sess; qop "auth" (preferred)
 * or no qop (RFC 2069 compatibility). "auth-int" is not offered by the voice servers we target; when
 * it is the only qop, we answer auth-int over the body, as RFC 2617 §3.2.2.3 defines.
 */
import { createHash, randomBytes } from 'node:crypto';
import { UmphoneError } from '../../util/errors.js';

/** What a Digest answer needs of a challenge: the message layer's AuthChallenge fits. */
export interface DigestChallenge {
  scheme: string;
  realm?: string;
  nonce?: string;
  opaque?: string;
  algorithm?: string;
  /** The qop-options of the challenge, e.g. ["auth", "auth-int"]; absent or empty for RFC 2069. */
  qop?: string[];
}

export interface DigestCredentials {
  username: string;
  password: string;
}

export class DigestAuthError extends UmphoneError {
  constructor(message: string) {
    super(message, 'DIGEST_AUTH');
  }
}

const HASHES: Record<string, string> = { md5: 'md5', 'sha-256': 'sha256' };

function h(alg: string, s: string | Buffer): string {
  return createHash(alg).update(s).digest('hex');
}

export interface DigestRequest {
  method: string;
  /** The digest-uri: the Request-URI of the request being authorized. */
  uri: string;
  body?: Buffer;
  /** Nonce count for this nonce (1 on first use). */
  nc?: number;
  /** Client nonce; random when not given (tests pass a fixed one). */
  cnonce?: string;
}

/** Builds the credentials value (`Digest username="…", …`) answering `challenge`. */
export function digestAuthorization(challenge: DigestChallenge, cred: DigestCredentials, req: DigestRequest): string {
  if (challenge.scheme.toLowerCase() !== 'digest') {
    throw new DigestAuthError(`cannot answer a ${challenge.scheme} challenge: only Digest is supported`);
  }
  if (challenge.realm === undefined || challenge.nonce === undefined) {
    throw new DigestAuthError('the Digest challenge lacks realm or nonce');
  }
  const offered = challenge.qop ?? [];
  const algorithm = challenge.algorithm ?? 'MD5';
  const algLower = algorithm.toLowerCase();
  const sess = algLower.endsWith('-sess');
  const hashName = HASHES[sess ? algLower.slice(0, -5) : algLower];
  if (!hashName) throw new DigestAuthError(`unsupported Digest algorithm ${algorithm}`);
  const qop = offered.includes('auth') ? 'auth' : offered.includes('auth-int') ? 'auth-int' : undefined;
  if (offered.length > 0 && !qop) {
    throw new DigestAuthError(`unsupported qop ${offered.join(',')}`);
  }
  const cnonce = req.cnonce ?? randomBytes(8).toString('hex');
  const nc = (req.nc ?? 1).toString(16).padStart(8, '0');
  // RFC 2617 §3.2.2.2: A1 = user:realm:pass, and for -sess H(A1'):nonce:cnonce.
  let ha1 = h(hashName, `${cred.username}:${challenge.realm}:${cred.password}`);
  if (sess) ha1 = h(hashName, `${ha1}:${challenge.nonce}:${cnonce}`);
  // §3.2.2.3: A2 = method:uri, with auth-int also H(entity-body).
  const a2 = qop === 'auth-int' ? `${req.method}:${req.uri}:${h(hashName, req.body ?? Buffer.alloc(0))}` : `${req.method}:${req.uri}`;
  const ha2 = h(hashName, a2);
  // §3.2.2.1: request-digest with qop: KD(H(A1), nonce:nc:cnonce:qop:H(A2)); without: KD(H(A1), nonce:H(A2)).
  const response = qop
    ? h(hashName, `${ha1}:${challenge.nonce}:${nc}:${cnonce}:${qop}:${ha2}`)
    : h(hashName, `${ha1}:${challenge.nonce}:${ha2}`);
  const q = (s: string) => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  const parts = [
    `Digest username=${q(cred.username)}`,
    `realm=${q(challenge.realm)}`,
    `nonce=${q(challenge.nonce)}`,
    `uri=${q(req.uri)}`,
    `response=${q(response)}`,
    `algorithm=${algorithm}`,
  ];
  if (challenge.opaque !== undefined) parts.push(`opaque=${q(challenge.opaque)}`);
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce=${q(cnonce)}`);
  return parts.join(', ');
}
