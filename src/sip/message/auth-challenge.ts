/**
 * Authentication challenges and credentials (RFC 3261 §20.27, §20.44, §22.4, §25.1; RFC 2617 §3.2):
 *
 *   challenge = ("Digest" LWS digest-cln *(COMMA digest-cln)) / other-challenge
 *   other-challenge = auth-scheme LWS auth-param *(COMMA auth-param)
 *
 * Several challenges may share a header line, so a list element of the form `scheme name=value` starts
 * a new challenge and `name=value` continues the current one. Values keep their text without quotes.
 */
import { SipParseError, guardParse } from './errors.js';
import { headersOf, type HeaderSource } from './headers.js';
import { Params } from './params.js';
import { isToken, isTokenChar, quote, splitHeaderValues, trimWs, unquote } from './syntax.js';

export interface AuthChallenge {
  /** Auth scheme as written ('Digest', 'Basic', 'NTLM', ...). */
  scheme: string;
  /** Every auth-param, unquoted, in order. */
  params: Params;
  realm?: string;
  nonce?: string;
  opaque?: string;
  algorithm?: string;
  domain?: string;
  /** qop-options split into a list ('auth', 'auth-int'). */
  qop?: string[];
  stale?: boolean;
}

/** Parse the challenges of one header's lines. */
export function parseChallenges(lines: string[], what: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  for (const line of lines) {
    let current: { scheme: string; params: Params } | undefined;
    for (const raw of splitHeaderValues(line)) {
      if (raw.length === 0) continue;
      let item = raw;
      const sp = firstWs(item);
      const eq = item.indexOf('=');
      if (sp > 0 && (eq < 0 || sp < eq) && isToken(item.slice(0, sp))) {
        // `scheme param=value`: a new challenge
        current = { scheme: item.slice(0, sp), params: new Params() };
        out.push(current as AuthChallenge);
        item = trimWs(item.slice(sp));
      } else if (eq < 0 && isToken(item)) {
        current = { scheme: item, params: new Params() };
        out.push(current as AuthChallenge);
        continue;
      }
      if (!current) throw new SipParseError(`${what} has no auth scheme`);
      const e = item.indexOf('=');
      if (e <= 0) throw new SipParseError(`Invalid auth-param in ${what}`);
      const name = trimWs(item.slice(0, e));
      const value = trimWs(item.slice(e + 1));
      if (!isToken(name)) throw new SipParseError(`Invalid auth-param name in ${what}`);
      if (value.startsWith('"')) {
        if (value.length < 2 || !value.endsWith('"')) throw new SipParseError(`Unterminated quoted string in ${what}`);
        current.params.list.push({ name, value: unquote(value), quoted: true });
      } else {
        for (let k = 0; k < value.length; k++) {
          if (!isTokenChar(value.charCodeAt(k)) && value[k] !== '/' && value[k] !== ':') {
            throw new SipParseError(`Invalid auth-param value in ${what}`);
          }
        }
        current.params.list.push({ name, value, quoted: false });
      }
    }
  }
  for (const c of out) fillChallenge(c);
  return out;
}

function firstWs(s: string): number {
  for (let i = 0; i < s.length; i++) if (s[i] === ' ' || s[i] === '\t') return i;
  return -1;
}

function fillChallenge(c: AuthChallenge): void {
  const p = c.params;
  const text = (n: string): string | undefined => p.get(n) ?? undefined;
  const realm = text('realm');
  if (realm !== undefined) c.realm = realm;
  const nonce = text('nonce');
  if (nonce !== undefined) c.nonce = nonce;
  const opaque = text('opaque');
  if (opaque !== undefined) c.opaque = opaque;
  const algorithm = text('algorithm');
  if (algorithm !== undefined) c.algorithm = algorithm;
  const domain = text('domain');
  if (domain !== undefined) c.domain = domain;
  const qop = text('qop');
  if (qop !== undefined) c.qop = qop.split(',').map((q) => trimWs(q)).filter((q) => q.length > 0);
  const stale = text('stale');
  if (stale !== undefined) c.stale = stale.toLowerCase() === 'true';
}

export function getWwwAuthenticate(m: HeaderSource): AuthChallenge[] {
  const lines = headersOf(m).getLines('WWW-Authenticate');
  return guardParse('WWW-Authenticate header', () => parseChallenges(lines, 'WWW-Authenticate header'));
}

export function getProxyAuthenticate(m: HeaderSource): AuthChallenge[] {
  const lines = headersOf(m).getLines('Proxy-Authenticate');
  return guardParse('Proxy-Authenticate header', () => parseChallenges(lines, 'Proxy-Authenticate header'));
}

/** Credentials of Authorization / Proxy-Authorization (same shape as a challenge: scheme + params). */
export function getAuthorization(m: HeaderSource, name: 'Authorization' | 'Proxy-Authorization' = 'Authorization'): AuthChallenge[] {
  const lines = headersOf(m).getLines(name);
  return guardParse(`${name} header`, () => parseChallenges(lines, `${name} header`));
}

/**
 * RFC 3261 §25.1 / RFC 2617 §3.2.2: which digest-response parameters are written as quoted-strings.
 * algorithm, qop, nc and stale are tokens; everything else is quoted.
 */
const UNQUOTED = new Set(['algorithm', 'qop', 'nc', 'stale']);

/**
 * Format a challenge or credentials: `Digest username="bob", realm="x", ..., nc=00000001`.
 * Parameter quoting follows the Digest grammar; `params` order is kept.
 */
export function formatAuth(scheme: string, params: Array<[name: string, value: string]> | Params): string {
  const list = params instanceof Params ? params.list.map((p) => [p.name, p.value ?? ''] as [string, string]) : params;
  const body = list
    .map(([n, v]) => `${n}=${UNQUOTED.has(n.toLowerCase()) && isToken(v) ? v : quote(v)}`)
    .join(', ');
  return `${scheme} ${body}`;
}
