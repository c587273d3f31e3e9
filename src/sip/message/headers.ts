/**
 * Typed views of header values, parsed on demand from the raw Headers store (the hot parse path never
 * looks inside a value). Every getter takes a message or a Headers and throws only SipParseError; a
 * getter for a mandatory header (From, To, Call-ID, CSeq) throws when it is missing, optional ones
 * return undefined or [].
 *
 * Each view is parsed once per Headers and cached with the header text it came from; a later call
 * that finds the same text returns a copy of the cached view (callers may change what they get, as the
 * dialog layer does) and one that finds other text (set/append/remove, or `fields` edited directly as
 * the transport's Via stamping does) parses again. Comparing the text, rather than counting edits,
 * keeps the cache right whichever way the header lines were changed.
 */
import { SipParseError, guardParse } from './errors.js';
import { parseNameAddr, type NameAddr } from './name-addr.js';
import { Params, parseHeaderParams } from './params.js';
import { isTokenChar, isToken, isWord, parseDecimal, parseDeltaSeconds, splitHeaderValues, splitList, trimWs } from './syntax.js';
import { Headers, headerSlots, type SipMessage } from './types.js';
import type { SipUri } from './uri.js';
import { parseVia, type Via } from './via.js';

export type HeaderSource = SipMessage | Headers;

export function headersOf(m: HeaderSource): Headers {
  return m instanceof Headers ? m : m.headers;
}

/** A cached view and the header text it was parsed from (first line, or every line). */
interface View {
  src: string | string[];
  value: unknown;
}

function views(h: Headers): Map<string, View> {
  let v = headerSlots.views(h) as Map<string, View> | undefined;
  if (v === undefined) {
    v = new Map();
    headerSlots.setViews(h, v);
  }
  return v;
}

/** The view `slot` of the first line of `name` (undefined when absent), parsed at most once per text. */
function viewOfLine<T>(m: HeaderSource, slot: string, name: string, parse: (line: string) => T, copy: (v: T) => T): T | undefined {
  const h = headersOf(m);
  const line = h.get(name);
  if (line === undefined) return undefined;
  const cached = (headerSlots.views(h) as Map<string, View> | undefined)?.get(slot);
  if (cached !== undefined && cached.src === line) return copy(cached.value as T);
  const value = parse(line);
  views(h).set(slot, { src: line, value });
  return copy(value);
}

/** The view `slot` of every line of `name`, parsed at most once per text. */
function viewOfLines<T>(m: HeaderSource, slot: string, name: string, parse: (lines: string[]) => T, copy: (v: T) => T): T {
  const h = headersOf(m);
  const lines = h.getLines(name);
  const cached = (headerSlots.views(h) as Map<string, View> | undefined)?.get(slot);
  if (cached !== undefined && sameLines(cached.src as string[], lines)) return copy(cached.value as T);
  const value = parse(lines);
  views(h).set(slot, { src: lines, value });
  return copy(value);
}

function sameLines(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Copies handed out from the cache: fresh objects all the way down to the Params.
const same = <T>(v: T): T => v;
const copyStrings = (v: string[]): string[] => v.slice();
function copyUri(u: SipUri): SipUri {
  const c: SipUri = { ...u, params: u.params.clone(), headers: u.headers.slice() };
  for (let i = 0; i < c.headers.length; i++) c.headers[i] = { ...c.headers[i]! };
  return c;
}
function copyNameAddr<T extends NameAddr>(n: T): T {
  return { ...n, uri: copyUri(n.uri), params: n.params.clone() };
}
function copyNameAddrs<T extends NameAddr>(list: T[]): T[] {
  const out = new Array<T>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = copyNameAddr(list[i]!);
  return out;
}
function copyVia(v: Via): Via {
  return { ...v, params: v.params.clone() };
}
function copyVias(list: Via[]): Via[] {
  const out = new Array<Via>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = copyVia(list[i]!);
  return out;
}

/** Every comma-separated element of every line of a header, in order. */
export function headerValues(m: HeaderSource, name: string): string[] {
  const out: string[] = [];
  for (const line of headersOf(m).getLines(name)) for (const v of splitHeaderValues(line)) out.push(v);
  return out;
}

/** Parse each element of a list header; an empty element (`a,,b`) is an error (RFC 4475 §3.1.2.1). */
function parseList<T>(lines: string[], name: string, parse: (v: string) => T): T[] {
  const out: T[] = [];
  for (const line of lines) {
    for (const v of splitHeaderValues(line)) {
      if (v.length === 0) throw new SipParseError(`Empty value in ${name} header`);
      out.push(guardParse(`${name} header`, () => parse(v)));
    }
  }
  return out;
}

function required(m: HeaderSource, name: string): string {
  const v = headersOf(m).get(name);
  if (v === undefined) throw new SipParseError(`Missing ${name} header`);
  return v;
}

const parseVias = (lines: string[]): Via[] => parseList(lines, 'Via', parseVia);
export function getVias(m: HeaderSource): Via[] {
  return viewOfLines(m, 'vias', 'Via', parseVias, copyVias);
}

function parseTopVia(line: string): Via {
  const first = splitHeaderValues(line)[0]!;
  if (first.length === 0) throw new SipParseError('Empty value in Via header');
  return guardParse('Via header', () => parseVia(first));
}
/** The topmost Via only (the transaction key; cheaper than getVias). */
export function getTopVia(m: HeaderSource): Via | undefined {
  return viewOfLine(m, 'topVia', 'Via', parseTopVia, copyVia);
}

const parseFrom = (v: string): NameAddr => guardParse('From header', () => parseNameAddr(v, 'From header'));
export function getFrom(m: HeaderSource): NameAddr {
  return viewOfLine(m, 'from', 'From', parseFrom, copyNameAddr) ?? missing('From');
}

const parseTo = (v: string): NameAddr => guardParse('To header', () => parseNameAddr(v, 'To header'));
export function getTo(m: HeaderSource): NameAddr {
  return viewOfLine(m, 'to', 'To', parseTo, copyNameAddr) ?? missing('To');
}

function missing(name: string): never {
  throw new SipParseError(`Missing ${name} header`);
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
  return viewOfLine(m, 'cseq', 'CSeq', parseCSeq, copyCSeq) ?? missing('CSeq');
}
const copyCSeq = (c: CSeq): CSeq => ({ seq: c.seq, method: c.method });
function parseCSeq(v: string): CSeq {
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
  return viewOfLines(m, 'contacts', 'Contact', parseContacts, copyContacts);
}
const copyContacts = (v: Contact[] | '*'): Contact[] | '*' => (v === '*' ? v : copyNameAddrs(v));
function parseContacts(lines: string[]): Contact[] | '*' {
  if (lines.length === 1 && lines[0]!.indexOf('*') >= 0) {
    const values = splitHeaderValues(lines[0]!);
    if (values.length === 1 && values[0] === '*') return '*';
  }
  return parseList(lines, 'Contact', parseContact);
}
function parseContact(v: string): Contact {
  const c: Contact = parseNameAddr(v, 'Contact header');
  const q = c.params.get('q');
  if (q !== undefined) c.q = parseQValue(q);
  const exp = c.params.get('expires');
  if (exp !== undefined) c.expires = parseDeltaSeconds(exp ?? '', 'Contact expires');
  return c;
}

/** qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ) */
function parseQValue(q: string | null): number {
  if (q === null || !/^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/.test(q)) throw new SipParseError('Invalid q value');
  return Number(q);
}

/** Max-Forwards: 0 to 255 (RFC 3261 §20.22); undefined when absent (RFC 2543 peers, RFC 4475 §3.4.1). */
export function getMaxForwards(m: HeaderSource): number | undefined {
  return viewOfLine(m, 'maxForwards', 'Max-Forwards', parseMaxForwards, same);
}
const parseMaxForwards = (v: string): number => parseDecimal(v, 255, 'Max-Forwards');

export function getContentLength(m: HeaderSource): number | undefined {
  return viewOfLine(m, 'contentLength', 'Content-Length', parseContentLengthValue, same);
}
const parseContentLengthValue = (v: string): number => parseDecimal(v, 0x7fffffff, 'Content-Length');

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

const copyMediaType = (t: MediaType): MediaType => ({ type: t.type, subtype: t.subtype, params: t.params.clone() });
const parseContentType = (v: string): MediaType => guardParse('Content-Type header', () => parseMediaType(v));
export function getContentType(m: HeaderSource): MediaType | undefined {
  return viewOfLine(m, 'contentType', 'Content-Type', parseContentType, copyMediaType);
}

/** Accept media ranges; an empty Accept header means "no body accepted" (RFC 3261 §20.1) and yields []. */
export function getAccept(m: HeaderSource): MediaType[] {
  return viewOfLines(m, 'accept', 'Accept', parseAccept, copyMediaTypes);
}
const copyMediaTypes = (list: MediaType[]): MediaType[] => list.map(copyMediaType);
function parseAccept(lines: string[]): MediaType[] {
  return lines.flatMap((line) => splitList(line).map((v) => guardParse('Accept header', () => parseMediaType(v, 'Accept'))));
}

export function getRoutes(m: HeaderSource): NameAddr[] {
  return viewOfLines(m, 'routes', 'Route', parseRoutes, copyNameAddrs);
}
const parseRoutes = (lines: string[]): NameAddr[] => parseList(lines, 'Route', (v) => parseNameAddr(v, 'Route header'));

export function getRecordRoutes(m: HeaderSource): NameAddr[] {
  return viewOfLines(m, 'recordRoutes', 'Record-Route', parseRecordRoutes, copyNameAddrs);
}
const parseRecordRoutes = (lines: string[]): NameAddr[] =>
  parseList(lines, 'Record-Route', (v) => parseNameAddr(v, 'Record-Route header'));

/** The option-tag list parser of one header (the name goes into the error). */
function optionTagParser(name: string): (lines: string[]) => string[] {
  return (lines) => {
    const out: string[] = [];
    for (const line of lines) {
      for (const v of splitList(line)) {
        if (!isToken(v)) throw new SipParseError(`Invalid option tag in ${name} header`);
        out.push(v);
      }
    }
    return out;
  };
}
const OPTION_TAG_PARSERS: Record<string, (lines: string[]) => string[]> = {};
for (const name of ['Require', 'Proxy-Require', 'Supported', 'Unsupported', 'Allow']) OPTION_TAG_PARSERS[name] = optionTagParser(name);
function optionTags(m: HeaderSource, name: string): string[] {
  return viewOfLines(m, name, name, OPTION_TAG_PARSERS[name]!, copyStrings);
}

export const getRequire = (m: HeaderSource): string[] => optionTags(m, 'Require');
export const getProxyRequire = (m: HeaderSource): string[] => optionTags(m, 'Proxy-Require');
export const getSupported = (m: HeaderSource): string[] => optionTags(m, 'Supported');
export const getUnsupported = (m: HeaderSource): string[] => optionTags(m, 'Unsupported');
/** Allow: methods (case-sensitive tokens, RFC 3261 §20.5). */
export const getAllow = (m: HeaderSource): string[] => optionTags(m, 'Allow');

/** Expires (RFC 3261 §20.19): delta-seconds, values above 2**32-1 read as 2**32-1. */
export function getExpires(m: HeaderSource): number | undefined {
  return viewOfLine(m, 'expires', 'Expires', parseExpires, same);
}
const parseExpires = (v: string): number => parseDeltaSeconds(v, 'Expires');

export interface SessionExpires {
  /** delta-seconds */
  delta: number;
  refresher?: 'uac' | 'uas';
  params: Params;
}

/** Session-Expires (RFC 4028 §4): delta-seconds *(SEMI se-params), se-params include refresher. */
export function getSessionExpires(m: HeaderSource): SessionExpires | undefined {
  return viewOfLine(m, 'sessionExpires', 'Session-Expires', parseSessionExpires, copySessionExpires);
}
const copySessionExpires = (se: SessionExpires): SessionExpires => ({ ...se, params: se.params.clone() });
function parseSessionExpires(v: string): SessionExpires {
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
  return viewOfLine(m, 'minSE', 'Min-SE', parseMinSE, same);
}
function parseMinSE(v: string): number {
  const semi = v.indexOf(';');
  return parseDeltaSeconds(trimWs(semi < 0 ? v : v.slice(0, semi)), 'Min-SE');
}
