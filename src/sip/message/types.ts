/**
 * The SIP message model (syntax layer). This file is the contract between the message layer and
 * every layer above it: transport, transaction, dialog, phone and the UM server build and read
 * messages only through these types and the functions exported from src/sip/message/index.ts.
 *
 * Headers are stored as an ordered list of {name, value} lines, so unknown headers and the order of
 * repeated headers survive a parse/serialize round trip. Typed views (Via, From, CSeq, ...) are parsed
 * from that list on demand by the functions in headers.ts.
 */

/** One header line as it appeared (or will appear) on the wire, without the CRLF. */
export interface HeaderField {
  /** Name as written on the wire (case preserved; compact forms kept when parsed). */
  name: string;
  /** Value with folding (CRLF + WSP) replaced by a single SP and outer whitespace trimmed. */
  value: string;
}

/**
 * @internal Per-Headers storage of the message layer, kept out of sight of every other layer: `parsed`
 * is the parse-time snapshot serialize.ts uses to send an untouched message as its own bytes (parse.ts),
 * `views` the cache of typed header views (headers.ts). Not for use outside src/sip/message.
 */
export let headerSlots: {
  parsed(h: Headers): object | undefined;
  setParsed(h: Headers, v: object | undefined): void;
  views(h: Headers): object | undefined;
  setViews(h: Headers, v: object | undefined): void;
};

/**
 * An ordered, case-insensitive header store. Compact forms (i f t v m l c k s e o u r b x y) are the
 * same header as their long forms for every lookup.
 */
export class Headers {
  readonly fields: HeaderField[];
  // Private slots for the message layer (see headerSlots): invisible to equality checks and JSON.
  #parsed: object | undefined = undefined;
  #views: object | undefined = undefined;
  static {
    headerSlots = {
      parsed: (h) => h.#parsed,
      setParsed: (h, v) => {
        h.#parsed = v;
      },
      views: (h) => h.#views,
      setViews: (h, v) => {
        h.#views = v;
      },
    };
  }
  constructor(fields: HeaderField[] = []) {
    this.fields = fields;
  }
  /** The first value of a header (whole line value, not split at commas), or undefined. */
  get(name: string): string | undefined {
    const i = this.indexOf(name, canonicalKey(name), 0);
    return i < 0 ? undefined : this.fields[i]!.value;
  }
  /** Every line of a header, in order (not split at commas). */
  getLines(name: string): string[] {
    const key = canonicalKey(name);
    const out: string[] = [];
    for (let i = this.indexOf(name, key, 0); i >= 0; i = this.indexOf(name, key, i + 1)) out.push(this.fields[i]!.value);
    return out;
  }
  has(name: string): boolean {
    return this.indexOf(name, canonicalKey(name), 0) >= 0;
  }
  /** Replace every line of `name` by one line (kept at the position of the first one, else appended). */
  set(name: string, value: string): this {
    const key = canonicalKey(name);
    const i = this.indexOf(name, key, 0);
    if (i < 0) {
      this.fields.push({ name, value });
      return this;
    }
    this.fields[i] = { name, value };
    for (let j = this.fields.length - 1; j > i; j--) {
      if (sameHeader(this.fields[j]!.name, name, key)) this.fields.splice(j, 1);
    }
    return this;
  }
  append(name: string, value: string): this {
    this.fields.push({ name, value });
    return this;
  }
  /** Insert before the first line of the same header (used for Via and Record-Route), else at the top. */
  prepend(name: string, value: string): this {
    const i = this.indexOf(name, canonicalKey(name), 0);
    this.fields.splice(i < 0 ? 0 : i, 0, { name, value });
    return this;
  }
  remove(name: string): this {
    const key = canonicalKey(name);
    for (let j = this.fields.length - 1; j >= 0; j--) {
      if (sameHeader(this.fields[j]!.name, name, key)) this.fields.splice(j, 1);
    }
    return this;
  }
  clone(): Headers {
    const copy: HeaderField[] = new Array(this.fields.length);
    for (let i = 0; i < copy.length; i++) copy[i] = { name: this.fields[i]!.name, value: this.fields[i]!.value };
    return new Headers(copy);
  }
  /** Index of the first line of the header (`key` = canonicalKey(name)) at or after `from`, or -1. */
  private indexOf(name: string, key: string, from: number): number {
    const fields = this.fields;
    for (let i = from; i < fields.length; i++) if (sameHeader(fields[i]!.name, name, key)) return i;
    return -1;
  }
}

/**
 * Is a field named `fieldName` the header `name` (whose canonicalKey is `key`)? Loops over header lines
 * call this for every line: the exact spelling and the length rule out most lines without a lookup.
 */
function sameHeader(fieldName: string, name: string, key: string): boolean {
  if (fieldName === name) return true;
  const len = fieldName.length;
  if (len !== key.length && len !== 1) return false;
  return canonicalKey(fieldName) === key;
}

/** RFC 3261 §7.3.3 compact forms, plus RFC 3515 (r, b), RFC 3891/3892 (x? no: x = Session-Expires RFC 4028), y = Identity. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = {
  i: 'Call-ID',
  m: 'Contact',
  e: 'Content-Encoding',
  l: 'Content-Length',
  c: 'Content-Type',
  f: 'From',
  s: 'Subject',
  k: 'Supported',
  t: 'To',
  v: 'Via',
  o: 'Event',
  u: 'Allow-Events',
  r: 'Refer-To',
  b: 'Referred-By',
  x: 'Session-Expires',
  y: 'Identity',
};

const LONG_BY_LOWER: Record<string, string> = {};
for (const long of Object.values(COMPACT_FORMS)) LONG_BY_LOWER[long.toLowerCase()] = long;

/**
 * Lookup keys of the names seen so far. Names come from the wire, so the map is bounded (cleared when
 * full); a real peer uses a few dozen spellings.
 */
const KEY_CACHE = new Map<string, string>();
const KEY_CACHE_LIMIT = 1024;

/** The lookup key of a header name: lower-case long form. */
export function canonicalKey(name: string): string {
  let key = KEY_CACHE.get(name);
  if (key !== undefined) return key;
  key = name.toLowerCase();
  if (key.length === 1) {
    const long = COMPACT_FORMS[key];
    if (long) key = long.toLowerCase();
  }
  if (KEY_CACHE.size >= KEY_CACHE_LIMIT) KEY_CACHE.clear();
  KEY_CACHE.set(name, key);
  return key;
}

export interface SipRequest {
  readonly kind: 'request';
  method: string;
  /** Request-URI exactly as on the wire (parse it with parseUri when needed). */
  uri: string;
  /** "SIP/2.0" normally; the parser accepts other versions so the server edge can answer 505. */
  version: string;
  headers: Headers;
  body: Buffer;
}

export interface SipResponse {
  readonly kind: 'response';
  status: number;
  reason: string;
  version: string;
  headers: Headers;
  body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export function isRequest(m: SipMessage): m is SipRequest {
  return m.kind === 'request';
}
export function isResponse(m: SipMessage): m is SipResponse {
  return m.kind === 'response';
}
