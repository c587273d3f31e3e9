import { UmphoneError } from '../../util/errors.js';

/**
 * A message (or one of its header values) that does not follow the RFC 3261 §25 grammar.
 *
 * `status` is the response a server edge should send back for a request that fails this way
 * (RFC 3261 §8.2 and §21.4: 400 Bad Request for malformed syntax, 505 for a bad version, 413/513 for size);
 * for a response the only sane reaction is to drop it (RFC 3261 §18.1.2 / RFC 4475 §3.1.2.19).
 * `reason` is short, readable, and safe to use as a Reason-Phrase (printable ASCII, no CR/LF).
 */
export class SipParseError extends UmphoneError {
  readonly status: number;
  readonly reason: string;
  /** 1-based line of the message where the problem was found (start line = 1), when known. */
  readonly line: number | undefined;

  constructor(reason: string, opts: { status?: number; line?: number } = {}) {
    const line = opts.line;
    super(line === undefined ? reason : `Line ${line}: ${reason}`, 'SIP_PARSE');
    this.status = opts.status ?? 400;
    this.reason = sanitizeReason(reason);
    this.line = line;
  }

  /** The same error placed at a line of the message (header getters know the value, not the line). */
  atLine(line: number | undefined): SipParseError {
    if (line === undefined || this.line !== undefined) return this;
    return new SipParseError(this.reason, { status: this.status, line });
  }
}

/** Reason-Phrase = *(reserved / unreserved / escaped / UTF8-NONASCII / UTF8-CONT / SP / HTAB): keep it printable. */
function sanitizeReason(s: string): string {
  let out = '';
  for (let i = 0; i < s.length && out.length < 200; i++) {
    const c = s.charCodeAt(i);
    out += c >= 0x20 && c < 0x7f ? s[i] : '?';
  }
  return out;
}

/** Run `fn`, turning any foreign exception into a SipParseError (a getter must never throw anything else). */
export function guardParse<T>(what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof SipParseError) throw e;
    throw new SipParseError(`Invalid ${what}`);
  }
}
