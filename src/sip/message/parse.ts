/**
 * Message framing and the hot parse path (RFC 3261 §7, §18.3): split the start line, the header lines
 * and the body, nothing more. Header values are parsed later, on demand, by the typed getters.
 *
 * The input is one whole message as a datagram or as cut by a stream framer. The header section is
 * decoded as latin1 (one char per octet) so no byte is ever lost; the body stays a Buffer.
 */
import { SipParseError } from './errors.js';
import { isToken, isTokenChar, trimWs } from './syntax.js';
import { Headers, type HeaderField, type SipMessage, type SipRequest, type SipResponse } from './types.js';

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
  let start = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored (keep-alives)
  while (start < buf.length && (buf[start] === 13 || buf[start] === 10)) start++;
  if (start >= buf.length) throw new SipParseError('Empty message', { line: 1 });

  let headEnd: number; // index of the first octet of the empty line's terminator
  let bodyStart: number;
  const crlf2 = buf.indexOf('\r\n\r\n', start, 'latin1');
  const lfLimit = crlf2 < 0 ? buf.length : crlf2 + 2;
  const lf2 = buf.subarray(start, lfLimit).indexOf('\n\n', 0, 'latin1');
  if (lf2 >= 0) {
    headEnd = start + lf2 + 1;
    bodyStart = headEnd + 1;
  } else if (crlf2 >= 0) {
    headEnd = crlf2 + 2;
    bodyStart = crlf2 + 4;
  } else {
    // No empty line: a datagram whose header section runs to its end (RFC 4475 §3.1.2.15 file). Accepted;
    // the body is empty, so any Content-Length above 0 fails below.
    headEnd = buf.length;
    bodyStart = buf.length;
  }

  const head = buf.toString('latin1', start, headEnd);
  const fields: HeaderField[] = [];
  let contentLength = -1;
  let lineNo = 0;
  let pos = 0;
  let startLine = '';
  let last: HeaderField | undefined;
  while (pos < head.length) {
    let nl = head.indexOf('\n', pos);
    if (nl < 0) nl = head.length;
    const line = head.charCodeAt(nl - 1) === 13 ? head.slice(pos, nl - 1) : head.slice(pos, nl);
    pos = nl + 1;
    lineNo++;
    if (lineNo === 1) {
      startLine = line;
      continue;
    }
    const c0 = line.charCodeAt(0);
    if (c0 === 32 || c0 === 9) {
      // RFC 3261 §7.3.1: a line starting with whitespace continues the previous header (folding)
      if (!last) throw new SipParseError('Header folding before any header', { line: lineNo });
      const more = trimWs(line);
      if (more.length > 0) last.value = last.value.length > 0 ? last.value + ' ' + more : more;
      continue;
    }
    if (line.length === 0) continue; // stray empty line of a header section cut without its blank line
    const colon = line.indexOf(':');
    if (colon < 0) throw new SipParseError("Header line has no ':'", { line: lineNo });
    let nameEnd = colon;
    while (nameEnd > 0 && (line.charCodeAt(nameEnd - 1) === 32 || line.charCodeAt(nameEnd - 1) === 9)) nameEnd--;
    const name = nameEnd === colon ? line.slice(0, colon) : line.slice(0, nameEnd);
    if (!isHeaderName(name)) throw new SipParseError('Invalid header name', { line: lineNo });
    last = { name, value: trimWs(line.slice(colon + 1)) };
    fields.push(last);
  }
  // Content-Length after folding (its value may be folded too)
  for (let k = 0; k < fields.length; k++) {
    const f = fields[k]!;
    if (isContentLengthName(f.name)) {
      const n = parseContentLength(f.value, k + 2);
      if (contentLength >= 0 && n !== contentLength) {
        throw new SipParseError('Conflicting Content-Length headers', { line: k + 2 });
      }
      contentLength = n;
    }
  }

  const available = buf.length - bodyStart;
  let body: Buffer;
  if (contentLength < 0) body = Buffer.from(buf.subarray(bodyStart));
  else if (contentLength > available) {
    throw new SipParseError(`Content-Length ${contentLength} is larger than the ${available}-byte body`);
  } else body = Buffer.from(buf.subarray(bodyStart, bodyStart + contentLength));

  return parseStartLine(startLine, new Headers(fields), body);
}

function isHeaderName(name: string): boolean {
  // most names are short ASCII tokens: check inline rather than through a regular expression
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) if (!isTokenChar(name.charCodeAt(i))) return false;
  return true;
}

function isContentLengthName(name: string): boolean {
  if (name.length === 1) return name === 'l' || name === 'L';
  return name.length === 14 && name.toLowerCase() === 'content-length';
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

function parseStartLine(line: string, headers: Headers, body: Buffer): SipMessage {
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
    const res: SipResponse = { kind: 'response', status: Number(codeText), reason, version, headers, body };
    return res;
  }
  // Request-Line = Method SP Request-URI SP SIP-Version. Runs of SP and trailing SP are tolerated
  // (RFC 4475 §3.1.2.9, §3.1.2.10 allow it; see test/conformance/CHOICES.md); LWS inside the URI is not.
  const parts = line.split(' ').filter((p) => p.length > 0);
  if (parts.length !== 3) {
    throw new SipParseError(
      parts.length < 3 ? 'Request-Line must be Method SP Request-URI SP SIP-Version' : 'Request-URI contains whitespace',
      { line: 1 },
    );
  }
  const [method, uri, version] = parts as [string, string, string];
  if (!isToken(method)) throw new SipParseError('Invalid method in Request-Line', { line: 1 });
  checkVersion(version);
  const req: SipRequest = { kind: 'request', method, uri, version, headers, body };
  return req;
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT. Other versions parse; validateRequest answers 505. */
function checkVersion(v: string): void {
  if (!/^SIP\/[0-9]+\.[0-9]+$/i.test(v)) throw new SipParseError('Invalid SIP-Version', { line: 1 });
}
