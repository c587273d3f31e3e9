/**
 * SIP, SIPS and tel URIs (RFC 3261 §19.1, §25.1; RFC 3966), parsed on demand from header text.
 *
 * Components are stored decoded: `%HH` escapes in the user, password, parameters and headers are
 * turned into the octet they stand for (RFC 3261 §19.1.2: an escaped character is equivalent to itself),
 * as one latin1 char per octet, so `%00` stays a NUL char and never truncates anything (RFC 4475 §3.1.1.4).
 * formatUri escapes again whatever a component may not carry raw. The host keeps the RFC's `host`
 * form: an IPv6 reference keeps its brackets (`[2001:db8::10]`, RFC 5118 §4.1); see `bareHost`.
 * URIs of other schemes (RFC 4475 §3.3.2 to §3.3.4) parse into `opaque` so that parsers never fail on them.
 */
import { SipParseError } from './errors.js';
import { Params } from './params.js';
import { isAlnum, isDigit, isHexDigit, isUriPartChar, type UriPart } from './syntax.js';

export interface UriHeader {
  name: string;
  value: string;
}

export interface SipUri {
  /** Lower-case scheme: 'sip', 'sips', 'tel', or any other absoluteURI scheme. */
  scheme: string;
  /** Decoded user part; for tel: the telephone-subscriber number. */
  user?: string;
  password?: string;
  /** host, IPv4 address or bracketed IPv6 reference, as written (case kept). '' for tel and opaque URIs. */
  host: string;
  port?: number;
  /** uri-parameters (decoded), ordered, names case-insensitive, valueless ones have value null. */
  params: Params;
  /** `?name=value&...` headers (decoded), only in sip/sips URIs. */
  headers: UriHeader[];
  /** Everything after `scheme:` for schemes other than sip, sips and tel. */
  opaque?: string;
}

export function isSipScheme(scheme: string): boolean {
  return scheme === 'sip' || scheme === 'sips';
}

/** Host without the IPv6 reference brackets, as sockets want it. */
export function bareHost(host: string): string {
  return host.length > 1 && host.charCodeAt(0) === 91 && host.charCodeAt(host.length - 1) === 93
    ? host.slice(1, -1)
    : host;
}

export function parseUri(s: string): SipUri {
  const colon = s.indexOf(':');
  if (colon <= 0) throw new SipParseError(`URI has no scheme: '${clip(s)}'`);
  const scheme = s.slice(0, colon);
  if (!isScheme(scheme)) throw new SipParseError(`Invalid URI scheme '${clip(scheme)}'`);
  const lower = scheme.toLowerCase();
  const rest = s.slice(colon + 1);
  if (isSipScheme(lower)) return parseSipUri(lower, rest);
  if (lower === 'tel') return parseTelUri(rest);
  if (rest.length === 0) throw new SipParseError(`URI '${clip(s)}' is empty after its scheme`);
  for (let i = 0; i < rest.length; i++) {
    const c = rest.charCodeAt(i);
    if (c <= 32 || c >= 127 || c === 60 || c === 62 || c === 34) {
      throw new SipParseError(`Invalid character in URI '${clip(s)}'`);
    }
  }
  return { scheme: lower, host: '', params: new Params(), headers: [], opaque: rest };
}

/** scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3261 §25.1) */
function isScheme(s: string): boolean {
  const c0 = s.charCodeAt(0);
  if (!((c0 >= 65 && c0 <= 90) || (c0 >= 97 && c0 <= 122))) return false;
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isAlnum(c) && c !== 43 && c !== 45 && c !== 46) return false;
  }
  return true;
}

function parseSipUri(scheme: string, s: string): SipUri {
  const uri: SipUri = { scheme, host: '', params: new Params(), headers: [] };
  // '@' never appears raw in user, password, host, parameters or headers: the first one ends userinfo.
  let i = 0;
  const at = s.indexOf('@');
  if (at >= 0) {
    const userinfo = s.slice(0, at);
    const pc = userinfo.indexOf(':');
    const user = pc < 0 ? userinfo : userinfo.slice(0, pc);
    if (user.length === 0) throw new SipParseError('URI has an empty user part');
    uri.user = decode(user, 'user');
    if (pc >= 0) uri.password = decode(userinfo.slice(pc + 1), 'password');
    i = at + 1;
  }
  // hostport
  if (s.charCodeAt(i) === 91 /* [ */) {
    const close = s.indexOf(']', i);
    if (close < 0) throw new SipParseError('Unterminated IPv6 reference in URI');
    uri.host = s.slice(i, close + 1);
    checkIpv6(uri.host.slice(1, -1));
    i = close + 1;
  } else {
    const start = i;
    while (i < s.length && isHostChar(s.charCodeAt(i))) i++;
    uri.host = s.slice(start, i);
    if (uri.host.length === 0) throw new SipParseError('URI has no host');
  }
  if (i < s.length && s.charCodeAt(i) === 58 /* : */) {
    const start = ++i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    if (i === start) throw new SipParseError('URI port is not a number');
    const port = Number(s.slice(start, i));
    if (port > 65535) throw new SipParseError('URI port is larger than 65535');
    uri.port = port;
  }
  i = parseUriParams(s, i, uri.params);
  if (i < s.length && s.charCodeAt(i) === 63 /* ? */) {
    i = parseUriHeaders(s, i + 1, uri.headers);
  }
  if (i < s.length) throw new SipParseError(`Unexpected character '${s[i]}' in URI`);
  return uri;
}

/** hostname characters (alphanum "-" "."), plus "_" which real DNS names carry. */
function isHostChar(c: number): boolean {
  return isAlnum(c) || c === 45 || c === 46 || c === 95;
}

/**
 * IPv6address inside a reference. Liberal on purpose: RFC 5118 §4.10 asks elements to tolerate the
 * RFC 3261 ABNF's three-colon form, so only the character set and overall shape are checked.
 */
function checkIpv6(a: string): void {
  if (a.length < 2 || a.indexOf(':') < 0) throw new SipParseError(`Invalid IPv6 reference '[${clip(a)}]'`);
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (!isHexDigit(c) && c !== 58 && c !== 46) throw new SipParseError(`Invalid IPv6 reference '[${clip(a)}]'`);
  }
}

function parseUriParams(s: string, i: number, params: Params): number {
  while (i < s.length && s.charCodeAt(i) === 59 /* ; */) {
    const start = ++i;
    while (i < s.length && s.charCodeAt(i) !== 59 && s.charCodeAt(i) !== 63) i++;
    const raw = s.slice(start, i);
    const eq = raw.indexOf('=');
    const name = decode(eq < 0 ? raw : raw.slice(0, eq), 'param');
    if (name.length === 0) throw new SipParseError('URI has an empty parameter');
    if (eq < 0) params.list.push({ name, value: null });
    else params.list.push({ name, value: decode(raw.slice(eq + 1), 'param') });
  }
  return i;
}

function parseUriHeaders(s: string, i: number, headers: UriHeader[]): number {
  const parts = s.slice(i).split('&');
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new SipParseError('URI header must be name=value');
    headers.push({ name: decode(part.slice(0, eq), 'header'), value: decode(part.slice(eq + 1), 'header') });
  }
  return s.length;
}

/** tel: URIs (RFC 3966): the number goes to `user`, parameters to `params`. */
function parseTelUri(s: string): SipUri {
  const semi = s.indexOf(';');
  const number = semi < 0 ? s : s.slice(0, semi);
  if (number.length === 0) throw new SipParseError('tel URI has no number');
  for (let i = 0; i < number.length; i++) {
    const c = number.charCodeAt(i);
    // phonedigit-hex / visual-separator / "*" / "#" / "+" (RFC 3966 §3)
    if (!isAlnum(c) && c !== 42 && c !== 35 && c !== 43 && c !== 45 && c !== 46 && c !== 40 && c !== 41) {
      throw new SipParseError(`Invalid character '${number[i]}' in tel URI number`);
    }
  }
  const uri: SipUri = { scheme: 'tel', user: number, host: '', params: new Params(), headers: [] };
  const end = parseUriParams(s, semi < 0 ? s.length : semi, uri.params);
  if (end < s.length) throw new SipParseError(`Unexpected character '${s[end]}' in tel URI`);
  return uri;
}

/** Undo %HH escapes of one URI component, checking that it only holds characters its grammar allows. */
function decode(s: string, part: UriPart): string {
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 /* % */) {
      if (i + 2 >= s.length || !isHexDigit(s.charCodeAt(i + 1)) || !isHexDigit(s.charCodeAt(i + 2))) throw badEscape(part);
      out += s.slice(plainFrom, i) + String.fromCharCode(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
      plainFrom = i + 1;
    } else if (!isUriPartChar(c, part)) {
      throw new SipParseError(`Invalid character '${printable(c)}' in URI ${part}`);
    }
  }
  return plainFrom === 0 ? s : out + s.slice(plainFrom);
}

function badEscape(part: UriPart): SipParseError {
  return new SipParseError(`Invalid %-escape in URI ${part}`);
}

/** Escape what a component may not carry raw (RFC 3261 §19.1.2); chars above 0xff are sent as UTF-8. */
export function escapeUriPart(s: string, part: UriPart): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (isUriPartChar(c, part)) out += s[i];
    else if (c < 256) out += '%' + (c < 16 ? '0' : '') + c.toString(16).toUpperCase();
    else for (const b of Buffer.from(s[i]!, 'utf8')) out += '%' + b.toString(16).toUpperCase();
  }
  return out;
}

export function formatUri(u: SipUri): string {
  if (u.opaque !== undefined && !isSipScheme(u.scheme) && u.scheme !== 'tel') return `${u.scheme}:${u.opaque}`;
  let out = u.scheme + ':';
  if (u.scheme === 'tel') {
    out += u.user ?? '';
  } else {
    if (u.user !== undefined) {
      out += escapeUriPart(u.user, 'user');
      if (u.password !== undefined) out += ':' + escapeUriPart(u.password, 'password');
      out += '@';
    }
    out += u.host.indexOf(':') >= 0 && u.host.charCodeAt(0) !== 91 ? `[${u.host}]` : u.host;
    if (u.port !== undefined) out += ':' + u.port;
  }
  for (const p of u.params.list) {
    out += ';' + escapeUriPart(p.name, 'param');
    if (p.value !== null) out += '=' + escapeUriPart(p.value, 'param');
  }
  if (u.headers.length > 0 && u.scheme !== 'tel') {
    out += '?' + u.headers.map((h) => `${escapeUriPart(h.name, 'header')}=${escapeUriPart(h.value, 'header')}`).join('&');
  }
  return out;
}

/** RFC 3261 §19.1.4: parameters that must match when present in either URI. */
const MUST_MATCH = ['user', 'ttl', 'method', 'maddr', 'transport'];

/** URI equality per RFC 3261 §19.1.4 (sip/sips) and RFC 3966 §4 (tel); other schemes compare verbatim. */
export function uriEquals(a: SipUri, b: SipUri): boolean {
  if (a.scheme !== b.scheme) return false;
  if (a.scheme === 'tel') {
    const num = (u: SipUri) => (u.user ?? '').replace(/[-.()]/g, '').toLowerCase();
    if (num(a) !== num(b) || a.params.size !== b.params.size) return false;
    return a.params.list.every((p) => sameValue(p.value, b.params.get(p.name)));
  }
  if (!isSipScheme(a.scheme)) return a.opaque === b.opaque;
  // userinfo is case-sensitive; escapes are already undone, so %61 and a compare equal
  if (a.user !== b.user || a.password !== b.password) return false;
  if (a.host.toLowerCase() !== b.host.toLowerCase() || a.port !== b.port) return false;
  for (const name of MUST_MATCH) {
    if (!sameValue(a.params.get(name), b.params.get(name))) return false;
  }
  for (const p of a.params.list) {
    const other = b.params.get(p.name);
    if (other !== undefined && !sameValue(p.value, other)) return false;
  }
  if (a.headers.length !== b.headers.length) return false;
  for (const h of a.headers) {
    const o = b.headers.find((x) => x.name.toLowerCase() === h.name.toLowerCase());
    if (!o || o.value !== h.value) return false;
  }
  return true;
}

function sameValue(x: string | null | undefined, y: string | null | undefined): boolean {
  if (x === undefined || y === undefined || x === null || y === null) return x === y;
  return x.toLowerCase() === y.toLowerCase();
}

function printable(c: number): string {
  return c >= 0x21 && c < 0x7f ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
}

function clip(s: string): string {
  return s.length > 40 ? s.slice(0, 40) + '...' : s;
}
