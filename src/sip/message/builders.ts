/**
 * Building requests and responses, and the random identifiers they carry (RFC 3261 §8.1.1, §8.2.6).
 */
import { randomBytes } from 'node:crypto';
import { SipParseError } from './errors.js';
import { parseNameAddr } from './name-addr.js';
import { reasonPhrase } from './reason-phrases.js';
import { BRANCH_MAGIC_COOKIE } from './via.js';
import { formatUri, type SipUri } from './uri.js';
import { Headers, canonicalKey, type SipRequest, type SipResponse } from './types.js';

export interface RequestInit {
  method: string;
  uri: string | SipUri;
  headers?: Array<[name: string, value: string]>;
  body?: Buffer;
  /** Sets Content-Type (for a non-empty body). */
  contentType?: string;
}

export function createRequest(init: RequestInit): SipRequest {
  const headers = new Headers((init.headers ?? []).map(([name, value]) => ({ name, value })));
  const body = init.body ?? Buffer.alloc(0);
  finishBody(headers, body, init.contentType);
  return {
    kind: 'request',
    method: init.method,
    uri: typeof init.uri === 'string' ? init.uri : formatUri(init.uri),
    version: 'SIP/2.0',
    headers,
    body,
  };
}

export interface ResponseOptions {
  /** Added to To when it has no tag yet (RFC 3261 §8.2.6.2; not for 100 Trying). */
  toTag?: string;
  headers?: Array<[name: string, value: string]>;
  body?: Buffer;
  contentType?: string;
}

/**
 * RFC 3261 §8.2.6.2: the response copies every Via (in order), From, To, Call-ID and CSeq of the
 * request; §8.2.6.1: a 100 Trying copies Timestamp. The copied lines are taken verbatim, so this works
 * even for a request whose headers are too broken to parse (for the 400 that says so).
 */
export function createResponse(req: SipRequest, status: number, reason?: string, opts: ResponseOptions = {}): SipResponse {
  if (!Number.isInteger(status) || status < 100 || status > 699) {
    throw new SipParseError(`Status code ${status} is not between 100 and 699`);
  }
  const copied = new Set(['via', 'from', 'to', 'call-id', 'cseq']);
  if (status === 100) copied.add('timestamp');
  const headers = new Headers();
  for (const f of req.headers.fields) {
    const key = canonicalKey(f.name);
    if (!copied.has(key)) continue;
    let value = f.value;
    if (key === 'to' && opts.toTag !== undefined && status !== 100 && !hasTag(value)) value += ';tag=' + opts.toTag;
    headers.append(longName(key, f.name), value);
  }
  for (const [name, value] of opts.headers ?? []) headers.append(name, value);
  const body = opts.body ?? Buffer.alloc(0);
  finishBody(headers, body, opts.contentType);
  return { kind: 'response', status, reason: reason ?? reasonPhrase(status), version: 'SIP/2.0', headers, body };
}

function hasTag(to: string): boolean {
  try {
    return parseNameAddr(to).params.has('tag');
  } catch {
    return true; // unparseable To: leave it alone
  }
}

const LONG: Record<string, string> = { via: 'Via', from: 'From', to: 'To', 'call-id': 'Call-ID', cseq: 'CSeq', timestamp: 'Timestamp' };
function longName(key: string, original: string): string {
  return LONG[key] ?? original;
}

function finishBody(headers: Headers, body: Buffer, contentType: string | undefined): void {
  if (contentType !== undefined) headers.set('Content-Type', contentType);
  headers.set('Content-Length', String(body.length));
}

function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** A new RFC 3261 branch: the magic cookie plus 96 random bits (§8.1.1.7). */
export function randomBranch(): string {
  return BRANCH_MAGIC_COOKIE + randomToken(12);
}

/** A From/To tag with 64 random bits (§19.3 asks for at least 32). */
export function randomTag(): string {
  return randomBytes(8).toString('hex');
}

/** A Call-ID: 120 random bits, `@host` when given (§8.1.1.4). */
export function randomCallId(host?: string): string {
  const id = randomBytes(15).toString('hex');
  return host ? `${id}@${host}` : id;
}
