/**
 * Message framing and the hot parse path (RFC 3261 §7, §18.3): split the start line, the header lines
 * and the body, nothing more. Header values are parsed later, on demand, by the typed getters.
 *
 * The input is one whole message as a datagram or as cut by a stream framer. The header section is
 * decoded as latin1 (one char per octet) so no byte is ever lost; the body stays a Buffer.
 */
import { SipParseError } from './errors.js';
import { isToken, isTokenChar, trimWs } from './syntax.js';
import { Headers, headerSlots, type HeaderField, type SipMessage, type SipRequest, type SipResponse } from './types.js';

export type ParseResult = { ok: true; message: SipMessage } | { ok: false; error: SipParseError };

/** Like parseMessage, but returns the error as a value. */
export function tryParseMessage(buf: Buffer): ParseResult {
  try {
    return { ok: true, message: parseMessage(buf) };
  } catch (e) {
    if (e instanceof SipParseError) return { ok: false, error: e };
    // A bug of ours must still not take the server edge down: report it as a malformed message.
    return { ok: false, error: new SipParseError('Malformed message') };
  }
}

/**
 * Parse one SIP message. Throws SipParseError (status 400) when the message cannot be framed:
 * bad start line, header line without ':', bad or conflicting Content-Length, or a Content-Length larger
 * than the bytes present (RFC 3261 §18.3: over a datagram that is an error, RFC 4475 §3.1.2.2).
 * Octets after the Content-Length are ignored (RFC 3261 §18.3, RFC 4475 §3.1.1.8). Without a
 * Content-Length the body is the rest of the buffer (datagram rule; RFC 4475 §3.4.1).
 */
export function parseMessage(buf: Buffer): SipMessage {
  const total = buf.length;
  let start = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored (keep-alives)
  while (start < total && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= total) throw new SipParseError('Empty message', { line: 1 });

  // One latin1 decode of the whole message (one char per octet, so indices are byte offsets): the
  // framing searches and every header slice then run on a flat string, never on the Buffer.
  const text = buf.toString('latin1', start, total);
  const textLen = text.length;
  // The start line's terminator tells the framing: CRLF (the RFC) or bare LF (some stored captures).
  let headEnd: number; // index in `text` of the first octet of the empty line's terminator
  let bodyStart: number;
  const firstNl = text.indexOf('\n');
  const crlf = firstNl > 0 && text.charCodeAt(firstNl - 1) === 13;
  const sep = crlf ? text.indexOf('\r\n\r\n', firstNl - 1) : text.indexOf('\n\n');
  if (sep >= 0) {
    headEnd = crlf ? sep + 2 : sep + 1;
    bodyStart = crlf ? sep + 4 : sep + 2;
  } else {
    // No empty line: a datagram whose header section runs to its end (RFC 4475 §3.1.2.15 file). Accepted;
    // the body is empty, so any Content-Length above 0 fails below.
    headEnd = textLen;
    bodyStart = textLen;
  }

  const fields: HeaderField[] = [];
  // `canonical`: serializeMessage would write these exact octets back (RFC form `Name: value` CRLF,
  // one Content-Length equal to the body, nothing before or after the message). Such a message keeps
  // its bytes, and an unmodified one is sent as they are.
  let canonical = start === 0 && crlf && sep >= 0;
  let lengthField = -1; // index of the first Content-Length field
  let lengthFields = 0;
  let lineNo = 1;
  // Start line: its errors come first (RFC 4475 §3.1.2.x torture tests check the 400 reason)
  let nl = firstNl < 0 || firstNl > headEnd ? headEnd : firstNl;
  let lineEnd = nl > 0 && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
  const message = parseStartLine(text.slice(0, lineEnd));
  if (!startLineCanonical) canonical = false;
  let pos = nl + 1;
  let last: HeaderField | undefined;
  // Work on indices into `text`: one slice per name and per value, none per line.
  while (pos < headEnd) {
    nl = text.indexOf('\n', pos);
    if (nl < 0 || nl > headEnd) nl = headEnd;
    const lineStart = pos;
    if (nl > pos && text.charCodeAt(nl - 1) === 13) lineEnd = nl - 1;
    else {
      lineEnd = nl;
      canonical = false; // a bare LF becomes CRLF
    }
    pos = nl + 1;
    lineNo++;
    if (lineEnd === lineStart) {
      canonical = false;
      continue; // stray empty line of a header section cut without its blank line
    }
    const c0 = text.charCodeAt(lineStart);
    if (c0 === 32 || c0 === 9) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header (folding)
      if (!last) throw new SipParseError('Header folding before any header', { line: lineNo });
      canonical = false;
      const more = trimWs(text.slice(lineStart, lineEnd));
      if (more.indexOf('\r') >= 0) throw new SipParseError('Header line contains a bare CR', { line: lineNo });
      if (more.length > 0) last.value = last.value.length > 0 ? last.value + ' ' + more : more;
      continue;
    }
    // header name: token chars, then optional whitespace before ':' (RFC 4475 §3.1.1.1 'TO :')
    let i = lineStart;
    while (i < lineEnd && isTokenChar(text.charCodeAt(i))) i++;
    const nameEnd = i;
    if (i < lineEnd && text.charCodeAt(i) !== 58 /* : */) {
      while (i < lineEnd && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9)) i++;
      canonical = false;
    }
    if (i >= lineEnd || text.charCodeAt(i) !== 58 /* : */) {
      const colon = text.indexOf(':', lineStart);
      throw new SipParseError(colon < 0 || colon >= lineEnd ? "Header line has no ':'" : 'Invalid header name', { line: lineNo });
    }
    if (nameEnd === lineStart) throw new SipParseError('Invalid header name', { line: lineNo });
    let vs = i + 1;
    let ve = lineEnd;
    while (vs < ve && (text.charCodeAt(vs) === 32 || text.charCodeAt(vs) === 9)) vs++;
    while (ve > vs && (text.charCodeAt(ve - 1) === 32 || text.charCodeAt(ve - 1) === 9 || text.charCodeAt(ve - 1) === 13)) ve--;
    // canonical form: exactly one SP after the colon, nothing trailing
    if (vs !== i + 2 || ve !== lineEnd || text.charCodeAt(i + 1) !== 32) canonical = false;
    const name = text.slice(lineStart, nameEnd);
    last = { name, value: text.slice(vs, ve) };
    if (last.value.indexOf('\r') >= 0) throw new SipParseError('Header line contains a bare CR', { line: lineNo });
    if (nameEnd - lineStart === 1 ? name === 'l' || name === 'L' : nameEnd - lineStart === 14 && isContentLengthName(name)) {
      if (lengthField < 0) lengthField = fields.length;
      lengthFields++;
    }
    fields.push(last);
  }
  // Content-Length after folding (its value may be folded too)
  let contentLength = -1;
  if (lengthFields > 0) {
    for (let k = lengthField; k < fields.length; k++) {
      const f = fields[k]!;
      if (k !== lengthField && !isContentLengthName(f.name)) continue;
      const n = parseContentLength(f.value, k + 2);
      if (contentLength >= 0 && n !== contentLength) {
        throw new SipParseError('Conflicting Content-Length headers', { line: k + 2 });
      }
      contentLength = n;
    }
  }

  const available = textLen - bodyStart;
  if (contentLength > available) {
    throw new SipParseError(`Content-Length ${contentLength} is larger than the ${available}-byte body`);
  }
  const bodyLength = contentLength < 0 ? available : contentLength;
  if (canonical && (lengthFields !== 1 || bodyStart + bodyLength !== textLen || fields[lengthField]!.value !== String(bodyLength))) {
    canonical = false;
  }
  // Bytes are copied: the caller may reuse its receive buffer (stream framers do).
  let body: Buffer;
  if (canonical) {
    // One copy of the whole message; the body is a view of its tail, so the wire bytes stay whole.
    const raw = Buffer.allocUnsafe(textLen);
    buf.copy(raw, 0, start, total);
    body = raw.subarray(bodyStart, textLen);
    const headers = new Headers(fields);
    message.headers = headers;
    message.body = body;
    const strings = snapshotStrings(fields);
    const wire: ParsedWire = message.kind === 'request'
      ? { raw, fields, strings, a: message.method, b: message.uri, c: message.version, body }
      : { raw, fields, strings, a: message.version, b: message.status, c: message.reason, body };
    headerSlots.setParsed(headers, wire);
    return message;
  }
  body = bodyLength === 0 ? Buffer.alloc(0) : Buffer.allocUnsafe(bodyLength);
  if (bodyLength > 0) buf.copy(body, 0, start + bodyStart, start + bodyStart + bodyLength);
  message.headers = new Headers(fields);
  message.body = body;
  return message;
}

/**
 * What a message looked like when parsed, so that serializeMessage can send an untouched one as the
 * octets it came with (a proxy-like relay, a retransmission) instead of writing every line again.
 */
export interface ParsedWire {
  /** The message's octets (a private copy). */
  readonly raw: Buffer;
  readonly fields: HeaderField[];
  /** name, value, name, value... as parsed. */
  readonly strings: string[];
  /** Start line parts: method, uri, version (request) or version, status, reason (response). */
  readonly a: string;
  readonly b: string | number;
  readonly c: string;
  readonly body: Buffer;
}

/** The parse-time snapshot of a message that parseMessage found in canonical form (else undefined). */
export function parsedWire(m: SipMessage): ParsedWire | undefined {
  // A WeakMap keyed by message would do, but its ephemerons cost the garbage collector more than the
  // whole parse (measured): the snapshot lives in a private slot of the message's Headers instead.
  return headerSlots.parsed(m.headers) as ParsedWire | undefined;
}

function snapshotStrings(fields: HeaderField[]): string[] {
  const out = new Array<string>(fields.length * 2);
  for (let k = 0; k < fields.length; k++) {
    out[2 * k] = fields[k]!.name;
    out[2 * k + 1] = fields[k]!.value;
  }
  return out;
}

function isContentLengthName(name: string): boolean {
  if (name.length === 1) return name === 'l' || name === 'L';
  return name.length === 14 && (name === 'Content-Length' || name.toLowerCase() === 'content-length');
}

/** Content-Length = 1*DIGIT (RFC 3261 §20.14); a negative or non-numeric value is fatal (RFC 4475 §3.1.2.3). */
function parseContentLength(value: string, line: number): number {
  if (value.length === 0 || value.length > 9) {
    throw new SipParseError(value.length === 0 ? 'Content-Length is empty' : 'Content-Length is too large', { line, status: value.length === 0 ? 400 : 413 });
  }
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 48 || c > 57) throw new SipParseError('Content-Length is not a non-negative integer', { line });
    n = n * 10 + c - 48;
  }
  return n;
}

const NO_HEADERS = new Headers();
const NO_BODY = Buffer.alloc(0);

/** Set by parseStartLine: the line is exactly what serialize's startLine() writes back. */
let startLineCanonical = false;

/** The start line alone (its errors come first); headers and body are filled in by the caller. */
function parseStartLine(line: string): SipMessage {
  startLineCanonical = false;
  const headers = NO_HEADERS;
  const body = NO_BODY;
  if (line.startsWith('SIP/') || line.startsWith('sip/')) {
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
    const sp1 = line.indexOf(' ');
    if (sp1 < 0) throw new SipParseError('Status-Line has no status code', { line: 1 });
    const version = line.slice(0, sp1);
    checkVersion(version);
    const codeText = line.slice(sp1 + 1, sp1 + 4);
    // a missing SP after the code is tolerated (RFC 4475 §3.1.1.13 names it liberal)
    const tooLong = line.length > sp1 + 4 && line.charCodeAt(sp1 + 4) !== 32;
    if (!/^[1-6][0-9][0-9]$/.test(codeText) || tooLong) {
      throw new SipParseError('Status-Code must be 3 digits from 100 to 699', { line: 1 });
    }
    // RFC 4475 §3.1.1.13: the reason phrase may be empty ('SIP/2.0 100 ')
    const reason = line.length > sp1 + 5 ? line.slice(sp1 + 5) : '';
    startLineCanonical = line.length >= sp1 + 5; // 'SIP/2.0 100' (no SP) is written back with one
    const res: SipResponse = { kind: 'response', status: Number(codeText), reason, version, headers, body };
    return res;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version. Runs of SP and trailing SP are tolerated
  // (RFC 4475 §3.1.2.9, §3.1.2.10 allow it; see test/conformance/CHOICES.md); LWS inside the URI is not.
  const sp1 = line.indexOf(' ');
  const sp2 = line.lastIndexOf(' ');
  let method: string;
  let uri: string;
  let version: string;
  if (sp1 > 0 && sp2 > sp1 + 1 && line.indexOf(' ', sp1 + 1) === sp2 && sp2 < line.length - 1) {
    // the common case: exactly two single spaces
    method = line.slice(0, sp1);
    uri = line.slice(sp1 + 1, sp2);
    version = line.slice(sp2 + 1);
    startLineCanonical = true;
  } else {
    const parts = line.split(' ').filter((p) => p.length > 0);
    if (parts.length !== 3) {
      throw new SipParseError(
        parts.length < 3 ? 'Request-Line must be Method SP Request-URI SP SIP-Version' : 'Request-URI contains whitespace',
        { line: 1 },
      );
    }
    [method, uri, version] = parts as [string, string, string];
  }
  if (!isToken(method)) throw new SipParseError('Invalid method in Request-Line', { line: 1 });
  checkVersion(version);
  const req: SipRequest = { kind: 'request', method, uri, version, headers, body };
  return req;
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT. Other versions parse; validateRequest answers 505. */
function checkVersion(v: string): void {
  if (v === 'SIP/2.0') return;
  if (!/^SIP\/[0-9]+\.[0-9]+$/i.test(v)) throw new SipParseError('Invalid SIP-Version', { line: 1 });
}
