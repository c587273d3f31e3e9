/**
 * Serialization (RFC 3261 §7): start line, header lines in their stored order and spelling, empty line,
 * body. Content-Length is written from the body (RFC 3261 §18.3: mandatory over streams), replacing a
 * stale value where it stands, unless `keepContentLength` asks to send the headers untouched.
 */
import { SipParseError } from './errors.js';
import { parsedWire, type ParsedWire } from './parse.js';
import { isRequest, type SipMessage } from './types.js';

export interface SerializeOptions {
  /** Send Content-Length exactly as stored (or not at all); for tests that need a wrong one. */
  keepContentLength?: boolean;
}

export function startLine(m: SipMessage): string {
  return isRequest(m) ? `${m.method} ${m.uri} ${m.version}` : `${m.version} ${m.status} ${m.reason}`;
}

export function serializeMessage(m: SipMessage, opts: SerializeOptions = {}): Buffer {
  const keep = opts.keepContentLength === true;
  // A parsed message goes out as the octets it came with, with only the lines that changed written
  // again (parse.ts keeps the octets only for messages already in the form written below).
  const wire = parsedWire(m);
  if (wire !== undefined) {
    const out = serializeFromWire(m, wire, keep);
    if (out !== undefined) return out;
  }
  let head = startLine(m) + '\r\n';
  let sawLength = false;
  const fields = m.headers.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    let value = f.value;
    const n = f.name;
    if (!keep && isContentLengthName(n)) {
      if (sawLength) continue; // one Content-Length only
      sawLength = true;
      value = String(m.body.length);
    }
    checkValue(n, value);
    head += n + ': ' + value + '\r\n';
  }
  if (!sawLength && !keep) head += 'Content-Length: ' + m.body.length + '\r\n';
  head += '\r\n';
  // Header text is latin1 (one char per octet). Text above U+00FF cannot be such an octet: send it as UTF-8.
  // (The test is nearly free: V8 rejects this class at once on a one-byte string, and the write below
  // needs the flat string anyway.)
  if (NON_LATIN1.test(head)) head = head.replace(NON_LATIN1_RUNS, (t) => Buffer.from(t, 'utf8').toString('latin1'));
  const bodyLength = m.body.length;
  const out = Buffer.allocUnsafe(head.length + bodyLength);
  out.write(head, 0, 'latin1');
  if (bodyLength > 0) m.body.copy(out, head.length);
  return out;
}

function isContentLengthName(n: string): boolean {
  return n.length === 1 ? n === 'l' || n === 'L' : n.length === 14 && (n === 'Content-Length' || n.toLowerCase() === 'content-length');
}

function checkValue(name: string, value: string): void {
  if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
    throw new SipParseError(`Header ${name} value contains a line break`);
  }
}

/**
 * The output under construction as pieces: [rawStart, rawEnd) ranges of the parsed octets (numbers) and
 * new text (strings), in order. Module state rather than closures: serialization is synchronous, and
 * closures made per call cost more than the copying (tsx even names each one with defineProperty).
 */
const pieces: Array<number | string> = [];
let textLength = 0; // new text in pieces
let rawLength = 0; // copied octets in pieces
let text = ''; // new text not yet pushed
let runStart = -1; // raw run not yet pushed
let runEnd = -1;

function flushText(): void {
  if (text.length === 0) return;
  pieces.push(text);
  textLength += text.length;
  text = '';
}
function flushRun(): void {
  if (runStart < 0) return;
  pieces.push(runStart, runEnd);
  rawLength += runEnd - runStart;
  runStart = -1;
}
function copy(from: number, to: number): void {
  if (runStart >= 0 && runEnd === from) {
    runEnd = to;
    return;
  }
  flushText();
  flushRun();
  runStart = from;
  runEnd = to;
}
function write(t: string): void {
  flushRun();
  text += t;
}
function reset(): undefined {
  pieces.length = 0;
  textLength = 0;
  rawLength = 0;
  text = '';
  runStart = -1;
  return undefined;
}

/**
 * Serialize a parsed message from its octets: every line still equal to the parsed one is copied, the
 * others are written. The result is byte for byte what the general writer would give (the parsed octets
 * are in exactly that form). Undefined when a new line needs the UTF-8 conversion (left to the general
 * writer).
 */
function serializeFromWire(m: SipMessage, w: ParsedWire, keep: boolean): Buffer | undefined {
  reset();
  const s = w.strings;
  // start line
  const req = m.kind === 'request';
  const startLength = req
    ? w.a.length + (w.b as string).length + w.c.length + 4
    : w.a.length + w.c.length + 7; // version SP 3DIGIT SP reason CRLF
  if (req ? m.method === w.a && m.uri === w.b && m.version === w.c : m.version === w.a && m.status === w.b && m.reason === w.c) {
    copy(0, startLength);
  } else {
    const line = startLine(m);
    if (NON_LATIN1.test(line) || line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) return reset();
    write(line + '\r\n');
  }

  // header lines: `j` walks the parsed lines, `offset` is where line j starts in the octets
  const fields = m.headers.fields;
  const parsedCount = s.length >> 1;
  const bodyChanged = m.body !== w.body;
  let j = 0;
  let offset = startLength;
  let sawLength = false;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const n = f.name;
    const v = f.value;
    const isLength = !keep && isContentLengthName(n);
    if (isLength) {
      if (sawLength) continue; // one Content-Length only
      sawLength = true;
    }
    // the same line at j, or further on (lines removed or replaced in between)
    let k = j;
    while (k < parsedCount && (s[2 * k] !== n || s[2 * k + 1] !== v)) k++;
    if (k < parsedCount && !(isLength && bodyChanged)) {
      for (; j < k; j++) offset += s[2 * j]!.length + s[2 * j + 1]!.length + 4;
      const lineLength = n.length + v.length + 4;
      copy(offset, offset + lineLength);
      offset += lineLength;
      j++;
      continue;
    }
    const value = isLength ? String(m.body.length) : v;
    checkValue(n, value);
    if (NON_LATIN1.test(n) || NON_LATIN1.test(value)) return reset();
    write(n + ': ' + value + '\r\n');
  }
  if (!sawLength && !keep) write('Content-Length: ' + m.body.length + '\r\n');
  // empty line, then the body (the parsed body is the octets' tail)
  const bodyStart = w.raw.length - w.body.length;
  if (bodyChanged) {
    write('\r\n');
  } else {
    copy(bodyStart - 2, w.raw.length);
  }
  flushText();
  flushRun();

  const bodyLength = bodyChanged ? m.body.length : 0;
  const out = Buffer.allocUnsafe(textLength + rawLength + bodyLength);
  let at = 0;
  for (let p = 0; p < pieces.length; p++) {
    const piece = pieces[p]!;
    if (typeof piece === 'string') {
      at += out.write(piece, at, 'latin1');
    } else {
      const to = pieces[++p] as number;
      at += w.raw.copy(out, at, piece, to);
    }
  }
  if (bodyChanged) m.body.copy(out, at);
  reset();
  return out;
}

const NON_LATIN1 = /[^\x00-\xff]/;
const NON_LATIN1_RUNS = /[^\x00-\xff]+/g;
