/**
 * Typed views of header values, parsed on demand from the raw Headers store (the hot parse path never
 * looks inside a value). Every getter takes a message or a Headers and throws only SipParseError; a
 * getter for a mandatory header (From, To, Call-ID, CSeq) throws when it is missing, optional ones
 * return undefined or [].
 */
import { SipParseError, guardParse } from './errors.js';
import { parseNameAddr, type NameAddr } from './name-addr.js';
import { Params, parseHeaderParams } from './params.js';
import { isTokenChar, isToken, isWord, parseDecimal, parseDeltaSeconds, splitHeaderValues, splitList, trimWs } from './syntax.js';
import { Headers, type SipMessage } from './types.js';
import { parseVia, type Via } from './via.js';

export type HeaderSource = SipMessage | Headers;

export function headersOf(m: HeaderSource): Headers {
  return m instanceof Headers ? m : m.headers;
}

/** Every comma-separated element of every line of a header, in order. */
export function headerValues(m: HeaderSource, name: string): string[] {
  const out: string[] = [];
  for (const line of headersOf(m).getLines(name)) for (const v of splitHeaderValues(line)) out.push(v);
  return out;
}

/** Parse each element of a list header; an empty element (`a,,b`) is an error (RFC 4475 §3.1.2.1). */
function parseList<T>(m: HeaderSource, name: string, parse: (v: string) => T): T[] {
  const out: T[] = [];
  for (const v of headerValues(m, name)) {
    if (v.length === 0) throw new SipParseError(`Empty value in ${name} header`);
    out.push(guardParse(`${name} header`, () => parse(v)));
  }
  return out;
}

function required(m: HeaderSource, name: string): string {
  const v = headersOf(m).get(name);
  if (v === undefined) throw new SipParseError(`Missing ${name} header`);
  return v;
}

export function getVias(m: HeaderSource): Via[] {
  return parseList(m, 'Via', parseVia);
}

/** The topmost Via only (the transaction key; cheaper than getVias). */
export function getTopVia(m: HeaderSource): Via | undefined {
  const line = headersOf(m).get('Via');
  if (line === undefined) return undefined;
  const first = splitHeaderValues(line)[0]!;
  if (first.length === 0) throw new SipParseError('Empty value in Via header');
  return guardParse('Via header', () => parseVia(first));
}

export function getFrom(m: HeaderSource): NameAddr {
  const v = required(m, 'From');
  return guardParse('From header', () => parseNameAddr(v, 'From header'));
}

export function getTo(m: HeaderSource): NameAddr {
  const v = required(m, 'To');
  return guardParse('To header', () => parseNameAddr(v, 'To header'));
}

/** callid = word [ "@" word ] (RFC 3261 §25.1), compared case-sensitively. */
export function getCallId(m: HeaderSource): string {
  const v = required(m, 'Call-ID');
  const at = v.indexOf('@');
  const ok = at < 0 ? isWord(v) : isWord(v.slice(0, at)) && isWord(v.slice(at + 1));
  if (!ok) throw new SipParseError('Invalid Call-ID header');
  return v;
}

export interface CSeq {
  seq: number;
  method: string;
}

/** CSeq = 1*DIGIT LWS Method; the number must fit 32 bits (RFC 3261 §8.1.1.5, RFC 4475 §3.1.2.4). */
export function getCSeq(m: HeaderSource): CSeq {
  const v = required(m, 'CSeq');
  let i = 0;
  while (i < v.length && v.charCodeAt(i) >= 48 && v.charCodeAt(i) <= 57) i++;
  const seq = parseDecimal(v.slice(0, i), 0xffffffff, 'CSeq number');
  const method = trimWs(v.slice(i));
  const sep = v.charCodeAt(i);
  if ((sep !== 32 && sep !== 9) || !isToken(method)) {
    throw new SipParseError('CSeq must be a number and a method');
  }
  return { seq, method };
}

export function formatCSeq(c: CSeq): string {
  return `${c.seq} ${c.method}`;
}

export interface Contact extends NameAddr {
  /** q parameter (0 to 1), when present. */
  q?: number;
  /** expires parameter in seconds, when present. */
  expires?: number;
}

/** Contact values, or '*' for the REGISTER wildcard (RFC 3261 §10.2.2). */
export function getContacts(m: HeaderSource): Contact[] | '*' {
  const values = headerValues(m, 'Contact');
  if (values.length === 1 && values[0] === '*') return '*';
  return parseList(m, 'Contact', (v) => {
    const c: Contact = parseNameAddr(v, 'Contact header');
    const q = c.params.get('q');
    if (q !== undefined) c.q = parseQValue(q);
    const exp = c.params.get('expires');
    if (exp !== undefined) c.expires = parseDeltaSeconds(exp ?? '', 'Contact expires');
    return c;
  });
}

/** qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
function parseQValue(q: string | null): number {
  if (q === null || !/^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/.test(q)) throw new SipParseError('Invalid q value');
  return Number(q);
}

/** Max-Forwards: 0 to 255 (RFC 3261 §20.22); undefined when absent (RFC 2543 peers, RFC 4475 §3.4.1). */
export function getMaxForwards(m: HeaderSource): number | undefined {
  const v = headersOf(m).get('Max-Forwards');
  return v === undefined ? undefined : parseDecimal(v, 255, 'Max-Forwards');
}

export function getContentLength(m: HeaderSource): number | undefined {
  const v = headersOf(m).get('Content-Length');
  return v === undefined ? undefined : parseDecimal(v, 0x7fffffff, 'Content-Length');
}

export interface MediaType {
  /** Lower-case type and subtype, e.g. 'application' and 'sdp'. */
  type: string;
  subtype: string;
  params: Params;
}

/** media-type = m-type SLASH m-subtype *(SEMI m-parameter) (RFC 3261 §20.15); '*' allowed for Accept. */
export function parseMediaType(v: string, what = 'Content-Type'): MediaType {
  const slash = v.indexOf('/');
  if (slash < 0) throw new SipParseError(`${what} must be type/subtype`);
  const type = trimWs(v.slice(0, slash));
  let i = slash + 1;
  while (i < v.length && (v.charCodeAt(i) === 32 || v.charCodeAt(i) === 9)) i++;
  const start = i;
  while (i < v.length && isTokenChar(v.charCodeAt(i))) i++;
  const subtype = v.slice(start, i);
  if (!isToken(type) || subtype.length === 0) throw new SipParseError(`${what} must be type/subtype`);
  const { params } = parseHeaderParams(v, i, what);
  return { type: type.toLowerCase(), subtype: subtype.toLowerCase(), params };
}

export function formatMediaType(t: MediaType): string {
  return `${t.type}/${t.subtype}${t.params.toString()}`;
}

export function getContentType(m: HeaderSource): MediaType | undefined {
  const v = headersOf(m).get('Content-Type');
  return v === undefined ? undefined : guardParse('Content-Type header', () => parseMediaType(v));
}

/** Accept media ranges; an empty Accept header means "no body accepted" (RFC 3261 §20.1) and yields []. */
export function getAccept(m: HeaderSource): MediaType[] {
  return headersOf(m).getLines('Accept').flatMap((line) =>
    splitList(line).map((v) => guardParse('Accept header', () => parseMediaType(v, 'Accept'))),
  );
}

export function getRoutes(m: HeaderSource): NameAddr[] {
  return parseList(m, 'Route', (v) => parseNameAddr(v, 'Route header'));
}

export function getRecordRoutes(m: HeaderSource): NameAddr[] {
  return parseList(m, 'Record-Route', (v) => parseNameAddr(v, 'Record-Route header'));
}

function optionTags(m: HeaderSource, name: string): string[] {
  const out: string[] = [];
  for (const line of headersOf(m).getLines(name)) {
    for (const v of splitList(line)) {
      if (!isToken(v)) throw new SipParseError(`Invalid option tag in ${name} header`);
      out.push(v);
    }
  }
  return out;
}

export const getRequire = (m: HeaderSource): string[] => optionTags(m, 'Require');
export const getProxyRequire = (m: HeaderSource): string[] => optionTags(m, 'Proxy-Require');
export const getSupported = (m: HeaderSource): string[] => optionTags(m, 'Supported');
export const getUnsupported = (m: HeaderSource): string[] => optionTags(m, 'Unsupported');
/** Allow: methods (case-sensitive tokens, RFC 3261 §20.5). */
export const getAllow = (m: HeaderSource): string[] => optionTags(m, 'Allow');

/** Expires (RFC 3261 §20.19): delta-seconds, values above 2**32-1 read as 2**32-1. */
export function getExpires(m: HeaderSource): number | undefined {
  const v = headersOf(m).get('Expires');
  return v === undefined ? undefined : parseDeltaSeconds(v, 'Expires');
}

export interface SessionExpires {
  /** delta-seconds */
  delta: number;
  refresher?: 'uac' | 'uas';
  params: Params;
}

/** Session-Expires (RFC 4028 §4): delta-seconds *(SEMI se-params), se-params include refresher. */
export function getSessionExpires(m: HeaderSource): SessionExpires | undefined {
  const v = headersOf(m).get('Session-Expires');
  if (v === undefined) return undefined;
  return guardParse('Session-Expires header', () => {
    const semi = v.indexOf(';');
    const delta = parseDeltaSeconds(trimWs(semi < 0 ? v : v.slice(0, semi)), 'Session-Expires');
    const { params } = parseHeaderParams(v, semi < 0 ? v.length : semi, 'Session-Expires');
    const se: SessionExpires = { delta, params };
    const r = params.get('refresher');
    if (r !== undefined) {
      const lower = (r ?? '').toLowerCase();
      if (lower !== 'uac' && lower !== 'uas') throw new SipParseError("Session-Expires refresher must be 'uac' or 'uas'");
      se.refresher = lower;
    }
    return se;
  });
}

export function formatSessionExpires(se: SessionExpires): string {
  const params = se.params.clone();
  if (se.refresher !== undefined) params.set('refresher', se.refresher, false);
  return `${se.delta}${params.toString()}`;
}

/** Min-SE (RFC 4028 §5). */
export function getMinSE(m: HeaderSource): number | undefined {
  const v = headersOf(m).get('Min-SE');
  if (v === undefined) return undefined;
  const semi = v.indexOf(';');
  return parseDeltaSeconds(trimWs(semi < 0 ? v : v.slice(0, semi)), 'Min-SE');
}
