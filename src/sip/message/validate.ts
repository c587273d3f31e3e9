/**
 * The checks a UAS core makes before it handles a request (RFC 3261 §8.2, §16.3 for the proxy role),
 * and the sanity checks before a UAC accepts a response (§8.1.3.3, §18.1.2). Syntax is already fine
 * when these run (parseMessage succeeded); here header values are parsed and judged.
 */
import { getAuthorization } from './auth-challenge.js';
import { createResponse, randomTag } from './builders.js';
import { SipParseError } from './errors.js';
import {
  getAccept, getCSeq, getCallId, getContacts, getContentType, getContentLength, getFrom, getMaxForwards,
  getProxyRequire, getRequire, getTo, getVias, getExpires,
} from './headers.js';
import { isSipScheme, parseUri } from './uri.js';
import { canonicalKey, type SipRequest, type SipResponse } from './types.js';

export interface ValidateOptions {
  /** Option tags this UAS supports (RFC 3261 §8.2.2.3: others in Require get 420). */
  supported: string[];
  /** Body types this UAS accepts, e.g. ['application/sdp'] (`type/*` allowed). Also what it answers with. */
  acceptTypes: string[];
  /** Request-URI schemes it serves (default sip, sips, tel); others get 416 (RFC 3261 §8.2.2.1). */
  schemes?: string[];
  /** Methods it implements; when given, others get 405 (known method) or 501 (unknown) with Allow. */
  methods?: string[];
  /** 'uas' (default): Max-Forwards 0 is processed (RFC 4475 §3.3.11). 'proxy': 483 except OPTIONS (§16.3). */
  role?: 'uas' | 'proxy';
}

/** Methods defined by RFC 3261 and its extensions: an unlisted one is "not recognized" (501, §21.5.2). */
const KNOWN_METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE']);

/** Headers that may appear at most once (RFC 3261 §7.3.1: only list headers may repeat). */
const SINGLE = ['Call-ID', 'From', 'To', 'CSeq', 'Max-Forwards', 'Content-Type', 'Content-Length', 'Expires'];

/**
 * The response the UAS must send instead of processing the request, or undefined when the request is
 * acceptable. For ACK the result only says why to drop it: an ACK is never answered (RFC 3261 §17.2.1).
 */
export function validateRequest(req: SipRequest, opts: ValidateOptions): SipResponse | undefined {
  const reply = (status: number, reason?: string, headers: Array<[string, string]> = []) =>
    createResponse(req, status, reason, { toTag: randomTag(), headers });

  // RFC 3261 §8.2 does not order version checks; nothing else means anything under another version.
  if (req.version.toUpperCase() !== 'SIP/2.0') return reply(505, 'Version Not Supported');

  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (!req.headers.has(name)) return reply(400, `Missing ${name} header`);
  }
  for (const name of SINGLE) {
    if (req.headers.getLines(name).length > 1) return reply(400, `Multiple ${name} headers`);
  }
  const bad = firstError(() => {
    getVias(req);
    getFrom(req);
    getTo(req);
    getCallId(req);
    getCSeq(req);
    getMaxForwards(req);
    getExpires(req);
    if (req.headers.has('Contact')) getContacts(req);
    getContentType(req);
    getAccept(req);
    getRequire(req);
    getProxyRequire(req);
    getAuthorization(req);
  });
  if (bad) return reply(400, bad);

  // §8.2.1 Method inspection
  const method = req.method;
  if (opts.methods && !opts.methods.includes(method) && method !== 'ACK') {
    const allow: Array<[string, string]> = [['Allow', opts.methods.join(', ')]];
    return KNOWN_METHODS.has(method) ? reply(405, 'Method Not Allowed', allow) : reply(501, 'Not Implemented', allow);
  }
  const cseq = getCSeq(req);
  if (cseq.method !== method) return reply(400, 'CSeq method does not match the Request-Line');

  // Request-URI: must parse, must not carry headers (RFC 4475 §3.1.2.11), scheme must be served (§8.2.2.1)
  let scheme: string;
  try {
    const uri = parseUri(req.uri);
    scheme = uri.scheme;
    if (uri.headers.length > 0) return reply(400, 'Request-URI must not carry headers');
  } catch (e) {
    return reply(400, `Invalid Request-URI: ${reasonOf(e)}`);
  }
  const schemes = opts.schemes ?? ['sip', 'sips', 'tel'];
  if (!schemes.includes(scheme)) return reply(416, 'Unsupported URI Scheme');
  // §10.3 step 5 (a registrar's To is an address-of-record: SIP or SIPS, RFC 4475 §3.3.4)
  if (method === 'REGISTER' && !isSipScheme(getTo(req).uri.scheme)) {
    return reply(400, 'To header of a REGISTER must be a SIP or SIPS URI');
  }

  // §16.3 item 3: a proxy does not forward Max-Forwards 0; OPTIONS it may answer itself
  if (opts.role === 'proxy' && getMaxForwards(req) === 0 && method !== 'OPTIONS') return reply(483, 'Too Many Hops');

  // §8.2.2.3 Require (never judged on ACK or CANCEL); §16.3 item 5 Proxy-Require for proxies
  if (method !== 'ACK' && method !== 'CANCEL') {
    const required = opts.role === 'proxy' ? getProxyRequire(req) : getRequire(req);
    const unsupported = required.filter((t) => !opts.supported.some((s) => s.toLowerCase() === t.toLowerCase()));
    if (unsupported.length > 0) return reply(420, 'Bad Extension', [['Unsupported', unsupported.join(', ')]]);
  }

  // §8.2.3 Content processing
  const length = getContentLength(req);
  if (length !== undefined && length > req.body.length) return reply(400, 'Content-Length is larger than the body');
  if (req.body.length > 0) {
    const type = getContentType(req);
    if (!type) return reply(400, 'Missing Content-Type header for a message body');
    const accept: Array<[string, string]> = [['Accept', opts.acceptTypes.join(', ')]];
    if (!opts.acceptTypes.some((a) => matches(a, type.type, type.subtype))) return reply(415, 'Unsupported Media Type', accept);
    const encoding = req.headers.get('Content-Encoding');
    if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
      return reply(415, 'Unsupported Media Type', [...accept, ['Accept-Encoding', 'identity']]);
    }
  }
  // RFC 4475 §3.3.15: an INVITE whose Accept excludes every type we would answer with
  if (method === 'INVITE' && req.headers.has('Accept')) {
    const ranges = getAccept(req);
    const ours = opts.acceptTypes.map((t) => t.toLowerCase().split(';')[0]!.trim().split('/'));
    if (!ours.some(([type = '', sub = '']) => ranges.some((r) => matches(`${r.type}/${r.subtype}`, type, sub)))) {
      return reply(406, 'Not Acceptable', [['Accept', opts.acceptTypes.join(', ')]]);
    }
  }
  return undefined;
}

/** Does media range `range` ('application/sdp', 'application/*', '*\/*') cover `t`? */
function matches(range: string, type: string, subtype: string): boolean {
  const [rt = '', rs = ''] = range.toLowerCase().split(';')[0]!.trim().split('/');
  return (rt === '*' || rt === type) && (rs === '*' || rs === subtype);
}

function firstError(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return reasonOf(e);
  }
}

function reasonOf(e: unknown): string {
  return e instanceof SipParseError ? e.reason : 'Malformed header';
}

/**
 * Why a UAC must discard this response, or undefined when it may be processed:
 * RFC 3261 §8.1.3.3 (more than one Via: misrouted, RFC 4475 §3.3.10), §18.1.2, and any mandatory
 * header that does not parse (RFC 4475 §3.1.2.5: overlarge CSeq). Pass `singleVia: false` in a proxy.
 */
export function validateResponse(res: SipResponse, opts: { singleVia?: boolean } = {}): string | undefined {
  if (res.version.toUpperCase() !== 'SIP/2.0') return 'Unsupported SIP version';
  for (const name of ['Via', 'From', 'To', 'Call-ID', 'CSeq']) {
    if (!res.headers.has(name)) return `Missing ${name} header`;
  }
  for (const name of SINGLE) {
    if (res.headers.getLines(name).length > 1) return `Multiple ${name} headers`;
  }
  let vias = 0;
  const bad = firstError(() => {
    vias = getVias(res).length;
    getFrom(res);
    getTo(res);
    getCallId(res);
    getCSeq(res);
  });
  if (bad) return bad;
  if (vias !== 1 && opts.singleVia !== false) return 'More than one Via header value in a response';
  return undefined;
}

/** True when the header name is one of the RFC 3261 mandatory request headers. */
export function isMandatoryHeader(name: string): boolean {
  return ['via', 'from', 'to', 'call-id', 'cseq', 'max-forwards'].includes(canonicalKey(name));
}
