/**
 * Ordered parameter lists with case-insensitive names: URI parameters (RFC 3261 §19.1.1) and header
 * parameters (`;name[=value]` after a Via, name-addr, Contact, ... value, RFC 3261 §7.3.1 and §25.1).
 *
 * A valueless parameter (`;lr`, `;rport`) has the value `null`; an absent one reads as `undefined`.
 * Values are kept decoded: header parameter values without their quotes (`quoted` remembers them),
 * URI parameter values without their %-escapes (uri.ts escapes them again when formatting).
 */
import { SipParseError } from './errors.js';
import { findQuoteEnd, isTokenChar, isWs, quote, unquote } from './syntax.js';

export interface Param {
  name: string;
  value: string | null;
  /** The value was (or must be) written as a quoted-string. Header parameters only. */
  quoted?: boolean;
}

export class Params implements Iterable<Param> {
  readonly list: Param[];
  constructor(list: Param[] = []) {
    this.list = list;
  }
  /** The value (`null` when valueless), or `undefined` when the parameter is absent. */
  get(name: string): string | null | undefined {
    const p = this.find(name);
    return p === undefined ? undefined : p.value;
  }
  has(name: string): boolean {
    return this.find(name) !== undefined;
  }
  /**
   * Set (replacing in place) or append a parameter. `quoted` defaults to what the value needs: a
   * header parameter value that is not made of token/host characters must be a quoted-string.
   */
  set(name: string, value: string | null = null, quoted?: boolean): this {
    const q = value === null ? false : (quoted ?? !isGenValue(value));
    const p = this.find(name);
    if (p) {
      p.value = value;
      p.quoted = q;
    } else this.list.push({ name, value, quoted: q });
    return this;
  }
  delete(name: string): boolean {
    const lower = name.toLowerCase();
    const i = this.list.findIndex((p) => p.name.toLowerCase() === lower);
    if (i < 0) return false;
    this.list.splice(i, 1);
    return true;
  }
  get size(): number {
    return this.list.length;
  }
  names(): string[] {
    return this.list.map((p) => p.name);
  }
  [Symbol.iterator](): Iterator<Param> {
    return this.list[Symbol.iterator]();
  }
  clone(): Params {
    return new Params(this.list.map((p) => ({ ...p })));
  }
  /** `;name=value;flag` as header parameters (quoted-strings re-quoted). */
  toString(): string {
    return formatHeaderParams(this);
  }
  private find(name: string): Param | undefined {
    const lower = name.toLowerCase();
    for (const p of this.list) if (p.name === name || p.name.toLowerCase() === lower) return p;
    return undefined;
  }
}

/** gen-value = token / host / quoted-string: token chars plus the IPv6 reference's "[" "]" ":". */
function isGenValue(v: string): boolean {
  if (v.length === 0) return false;
  for (let i = 0; i < v.length; i++) if (!isGenValueChar(v.charCodeAt(i))) return false;
  return true;
}
function isGenValueChar(c: number): boolean {
  return isTokenChar(c) || c === 58 /* : */ || c === 91 /* [ */ || c === 93 /* ] */;
}

function isLiberalValueChar(c: number): boolean {
  return c > 32 && c !== 59 /* ; */ && c !== 44 /* , */ && c !== 34 /* " */ && c !== 60 && c !== 62 && c !== 127;
}

export function formatHeaderParams(params: Params): string {
  let out = '';
  for (const p of params.list) {
    out += ';' + p.name;
    if (p.value !== null) out += '=' + (p.quoted ? quote(p.value) : p.value);
  }
  return out;
}

function skipWs(s: string, i: number): number {
  while (i < s.length && isWs(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Parse `*( SEMI generic-param )` starting at `pos` (which must point at ';', whitespace, or the end).
 * LWS is allowed around ';' and '=' (RFC 3261 §25.1 SEMI and EQUAL). Stops at the end of `s` or, when
 * `stopAtComma`, at a ',' (the next list element). Empty parameters (`;;`) are an error (RFC 4475 §3.1.2.1).
 */
export function parseHeaderParams(s: string, pos: number, what: string): { params: Params; end: number } {
  const params = new Params();
  let i = skipWs(s, pos);
  while (i < s.length) {
    if (s.charCodeAt(i) !== 59 /* ; */) throw new SipParseError(`Unexpected character '${s[i]}' in ${what}`);
    i = skipWs(s, i + 1);
    const nameStart = i;
    while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
    if (i === nameStart) throw new SipParseError(`Empty parameter in ${what}`);
    const name = s.slice(nameStart, i);
    i = skipWs(s, i);
    if (i < s.length && s.charCodeAt(i) === 61 /* = */) {
      i = skipWs(s, i + 1);
      if (i < s.length && s.charCodeAt(i) === 34 /* " */) {
        const end = findQuoteEnd(s, i);
        if (end < 0) throw new SipParseError(`Unterminated quoted string in ${what}`);
        params.list.push({ name, value: unquote(s.slice(i, end + 1)), quoted: true });
        i = end + 1;
      } else {
        const valueStart = i;
        // gen-value = token / host / quoted-string, read liberally: real peers send base64 branches
        // ending in '=' and `received=ip:port`; anything up to a separator is kept verbatim.
        while (i < s.length && isLiberalValueChar(s.charCodeAt(i))) i++;
        if (i === valueStart) throw new SipParseError(`Parameter '${name}' has an empty value in ${what}`);
        params.list.push({ name, value: s.slice(valueStart, i), quoted: false });
      }
    } else {
      params.list.push({ name, value: null, quoted: false });
    }
    i = skipWs(s, i);
  }
  return { params, end: i };
}
