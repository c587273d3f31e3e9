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
 * An ordered, case-insensitive header store. Compact forms (i f t v m l c k s e o u r b x y) are the
 * same header as their long forms for every lookup.
 */
export class Headers {
  readonly fields: HeaderField[];
  constructor(fields: HeaderField[] = []) {
    this.fields = fields;
  }
  /** The first value of a header (whole line value, not split at commas), or undefined. */
  get(name: string): string | undefined {
    const key = canonicalKey(name);
    for (const f of this.fields) if (canonicalKey(f.name) === key) return f.value;
    return undefined;
  }
  /** Every line of a header, in order (not split at commas). */
  getLines(name: string): string[] {
    const key = canonicalKey(name);
    const out: string[] = [];
    for (const f of this.fields) if (canonicalKey(f.name) === key) out.push(f.value);
    return out;
  }
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }
  /** Replace every line of `name` by one line (kept at the position of the first one, else appended). */
  set(name: string, value: string): this {
    const key = canonicalKey(name);
    const i = this.fields.findIndex((f) => canonicalKey(f.name) === key);
    if (i < 0) {
      this.fields.push({ name, value });
      return this;
    }
    this.fields[i] = { name, value };
    for (let j = this.fields.length - 1; j > i; j--) {
      if (canonicalKey(this.fields[j]!.name) === key) this.fields.splice(j, 1);
    }
    return this;
  }
  append(name: string, value: string): this {
    this.fields.push({ name, value });
    return this;
  }
  /** Insert before the first line of the same header (used for Via and Record-Route), else at the top. */
  prepend(name: string, value: string): this {
    const key = canonicalKey(name);
    const i = this.fields.findIndex((f) => canonicalKey(f.name) === key);
    this.fields.splice(i < 0 ? 0 : i, 0, { name, value });
    return this;
  }
  remove(name: string): this {
    const key = canonicalKey(name);
    for (let j = this.fields.length - 1; j >= 0; j--) {
      if (canonicalKey(this.fields[j]!.name) === key) this.fields.splice(j, 1);
    }
    return this;
  }
  clone(): Headers {
    return new Headers(this.fields.map((f) => ({ ...f })));
  }
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

/** The lookup key of a header name: lower-case long form. */
export function canonicalKey(name: string): string {
  const lower = name.toLowerCase();
  if (lower.length === 1) {
    const long = COMPACT_FORMS[lower];
    if (long) return long.toLowerCase();
  }
  return lower;
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
