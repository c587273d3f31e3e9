/**
 * Character classes and small lexical helpers of the RFC 3261 §25.1 grammar.
 *
 * Header text is handled as latin1 ("binary") strings: one char per octet, so UTF-8 display names and
 * raw bytes survive a parse/serialize round trip untouched. Classification uses 256-entry tables rather
 * than regular expressions because these run once per character on the parse path.
 */
import { SipParseError } from './errors.js';

const ALNUM = 1;
const TOKEN = 2; // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
const UNRESERVED = 4; // alphanum / mark ("-" / "_" / "." / "!" / "~" / "*" / "'" / "(" / ")")
const USER_UNRESERVED = 8; // "&" / "=" / "+" / "$" / "," / ";" / "?" / "/"
const PASSWORD_EXTRA = 16; // "&" / "=" / "+" / "$" / ","
const PARAM_UNRESERVED = 32; // "[" / "]" / "/" / ":" / "&" / "+" / "$"
const HNV_UNRESERVED = 64; // "[" / "]" / "/" / "?" / ":" / "+" / "$"
const WORD = 128; // token chars plus "(" ")" "<" ">" ":" "\" DQUOTE "/" "[" "]" "?" "{" "}"

const TABLE = new Uint8Array(256);
function mark(chars: string, flag: number): void {
  for (let i = 0; i < chars.length; i++) TABLE[chars.charCodeAt(i)]! |= flag;
}
const alnum = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
mark(alnum, ALNUM | TOKEN | UNRESERVED | WORD);
mark("-.!%*_+`'~", TOKEN | WORD);
mark("-_.!~*'()", UNRESERVED);
mark('&=+$,;?/', USER_UNRESERVED);
mark('&=+$,', PASSWORD_EXTRA);
mark('[]/:&+$', PARAM_UNRESERVED);
mark('[]/?:+$', HNV_UNRESERVED);
mark('()<>:\\"/[]?{}', WORD);

export function isAlnum(c: number): boolean {
  return c < 256 && (TABLE[c]! & ALNUM) !== 0;
}
export function isTokenChar(c: number): boolean {
  return c < 256 && (TABLE[c]! & TOKEN) !== 0;
}
export function isWordChar(c: number): boolean {
  return c < 256 && (TABLE[c]! & WORD) !== 0;
}
export function isHexDigit(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}
export function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Which characters may appear unescaped in each part of a SIP URI (RFC 3261 §25.1). */
export type UriPart = 'user' | 'password' | 'param' | 'header';
const PART_FLAGS: Record<UriPart, number> = {
  user: UNRESERVED | USER_UNRESERVED,
  password: UNRESERVED | PASSWORD_EXTRA,
  param: UNRESERVED | PARAM_UNRESERVED,
  header: UNRESERVED | HNV_UNRESERVED,
};
export function isUriPartChar(c: number, part: UriPart): boolean {
  return c < 256 && (TABLE[c]! & PART_FLAGS[part]) !== 0;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function isWord(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isWordChar(s.charCodeAt(i))) return false;
  return true;
}

export function isWs(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** Strip SP/HTAB/CR/LF on both sides (cheaper than String.prototype.trim, which also knows Unicode). */
export function trimWs(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isWs(s.charCodeAt(a))) a++;
  while (b > a && isWs(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Index of the closing DQUOTE of a quoted-string opening at `start`, honouring quoted-pairs; -1 if unterminated. */
export function findQuoteEnd(s: string, start: number): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) i++;
    else if (c === 34 /* " */) return i;
  }
  return -1;
}

/** The text of a quoted-string (RFC 3261 §25.1: quoted-pair = "\" char) without its quotes and escapes. */
export function unquote(quoted: string): string {
  if (quoted.length < 2 || quoted.charCodeAt(0) !== 34) return quoted;
  const inner = quoted.slice(1, -1);
  if (inner.indexOf('\\') < 0) return inner;
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i]!;
    if (ch === '\\' && i + 1 < inner.length) out += inner[++i];
    else out += ch;
  }
  return out;
}

/** A quoted-string carrying `text` (escaping DQUOTE and backslash). */
export function quote(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"' || ch === '\\') out += '\\';
    out += ch;
  }
  return out + '"';
}

/**
 * Split a header value at the commas that separate list elements (RFC 3261 §7.3.1): not inside a
 * quoted-string (with its backslash escapes) nor inside <...> (a URI may contain commas).
 * Elements are trimmed; empty elements are kept as "" so callers can reject `a,,b` where it matters.
 */
export function splitHeaderValues(value: string): string[] {
  const out: string[] = [];
  let start = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 34 /* " */ && !angle) {
      const end = findQuoteEnd(value, i);
      if (end < 0) break; // unterminated: the rest is one element; its parser reports the error
      i = end;
    } else if (c === 60 /* < */) angle = true;
    else if (c === 62 /* > */) angle = false;
    else if (c === 44 /* , */ && !angle) {
      out.push(trimWs(value.slice(start, i)));
      start = i + 1;
    }
  }
  out.push(trimWs(value.slice(start)));
  return out;
}

/** Split a header value and drop empty elements (for option-tag and method lists, where `a, ,b` is harmless). */
export function splitList(value: string): string[] {
  return splitHeaderValues(value).filter((v) => v.length > 0);
}

/** A decimal integer made only of digits, no larger than `max` (leading zeros allowed, RFC 4475 §3.1.1.1). */
export function parseDecimal(s: string, max: number, what: string): number {
  if (s.length === 0) throw new SipParseError(`${what} is empty`);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) throw new SipParseError(`${what} is not a number`);
    n = n * 10 + (c - 48);
    if (n > max) throw new SipParseError(`${what} is larger than ${max}`);
  }
  return n;
}

/** delta-seconds (RFC 3261 §20.19, §20.33): values above 2**32-1 are treated as 2**32-1. */
export function parseDeltaSeconds(s: string, what: string): number {
  if (s.length === 0) throw new SipParseError(`${what} is empty`);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) throw new SipParseError(`${what} is not a number`);
    if (n < 0xffffffff) n = Math.min(0xffffffff, n * 10 + (c - 48));
  }
  return n;
}

/** Convert a JS (UTF-16) string to the wire's byte string (UTF-8 octets as latin1 chars), and back. */
export function utf8ToWire(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}
export function wireToUtf8(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}
