/**
 * Serialization (RFC 3261 §7): start line, header lines in their stored order and spelling, empty line,
 * body. Content-Length is written from the body (RFC 3261 §18.3: mandatory over streams), replacing a
 * stale value where it stands, unless `keepContentLength` asks to send the headers untouched.
 */
import { SipParseError } from './errors.js';
import { isRequest, type SipMessage } from './types.js';

export interface SerializeOptions {
  /** Send Content-Length exactly as stored (or not at all); for tests that need a wrong one. */
  keepContentLength?: boolean;
}

export function startLine(m: SipMessage): string {
  return isRequest(m) ? `${m.method} ${m.uri} ${m.version}` : `${m.version} ${m.status} ${m.reason}`;
}

export function serializeMessage(m: SipMessage, opts: SerializeOptions = {}): Buffer {
  let head = startLine(m) + '\r\n';
  let sawLength = false;
  const fields = m.headers.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    let value = f.value;
    const n = f.name;
    if (!opts.keepContentLength && (n.length === 1 ? n === 'l' || n === 'L' : n.length === 14 && (n === 'Content-Length' || n.toLowerCase() === 'content-length'))) {
      if (sawLength) continue; // one Content-Length only
      sawLength = true;
      value = String(m.body.length);
    }
    if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw new SipParseError(`Header ${n} value contains a line break`);
    }
    head += n + ': ' + value + '\r\n';
  }
  if (!sawLength && !opts.keepContentLength) head += 'Content-Length: ' + m.body.length + '\r\n';
  head += '\r\n';
  // Header text is latin1 (one char per octet). Text above U+00FF cannot be such an octet: send it as UTF-8.
  if (/[^\x00-\xff]/.test(head)) head = head.replace(/[^\x00-\xff]+/g, (t) => Buffer.from(t, 'utf8').toString('latin1'));
  const out = Buffer.allocUnsafe(head.length + m.body.length);
  out.write(head, 0, 'latin1');
  m.body.copy(out, head.length);
  return out;
}
