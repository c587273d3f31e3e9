/**
 * Content-Length framing of a SIP byte stream (TCP, TLS): pure, no I/O. Bytes go in through push(),
 * whole messages (still unparsed bytes) and keep-alive events come out.
 *
 * RFC 3261 §18.3: on a stream-oriented transport Content-Length MUST be present; a message is the
 * header section (ended by an empty line) plus exactly Content-Length octets of body.
 * RFC 3261 §7.5: CRLFs before a start line are ignored.
 * RFC 5626 §3.5.1: a double CRLF between messages is a keep-alive "ping", answered by a single CRLF "pong".
 *
 * Recovery rule for garbage (our choice; the RFC says nothing): at a message boundary the framer reads
 * line by line and discards every line that does not look like a SIP start line (a Request-Line
 * `token SP ... SP SIP/d.d` or a Status-Line `SIP/d.d SP ddd`), reporting the discarded bytes as a
 * 'garbage' event; the first line that does look like one starts the next message. Errors in the
 * header section that make the message length unknowable (no Content-Length, a negative or
 * non-numeric one, two that disagree, a message over the size limit) are fatal: the framer reports one
 * 'error' event carrying the status the peer should get (400 or 513) and the header bytes seen, then
 * ignores all further input, because nothing after that point can be trusted to start a message
 * (RFC 4475 §3.1.2.3, §3.3.9: "framing unrecoverable, close the connection").
 */

export const DEFAULT_MAX_MESSAGE_SIZE = 64 * 1024;

/** Why a stream can no longer be framed: status and reason for the answer, header bytes for salvage. */
export class FramingError extends Error {
  constructor(
    message: string,
    /** 400 Bad Request or 513 Message Too Large (RFC 3261 §21.5.13). */
    readonly status: 400 | 513,
    /** The header section (or its start) that was read, so a responder can salvage Via/Call-ID/CSeq. */
    readonly head: Buffer,
  ) {
    super(message);
    this.name = 'FramingError';
  }
}

export type FrameEvent =
  | { type: 'message'; bytes: Buffer }
  /** CRLFCRLF between messages: the peer wants a CRLF back (RFC 5626 §3.5.1). */
  | { type: 'ping' }
  /** A lone CRLF between messages while a ping of ours is outstanding (see awaitPong). */
  | { type: 'pong' }
  | { type: 'garbage'; bytes: Buffer }
  | { type: 'error'; error: FramingError };

export interface StreamFramerOptions {
  /** Largest message (header section plus body) accepted; default 64 KiB. */
  maxMessageSize?: number;
}

const CR = 0x0d;
const LF = 0x0a;
const REQUEST_LINE = /^[A-Za-z0-9!%*_+`'~.-]+ +\S.*? +SIP\/\d+\.\d+ *\r?$/i;
const STATUS_LINE = /^SIP\/\d+\.\d+ +\d{3}(?: .*)?\r?$/i;

/** True when a line (without its LF) looks like a SIP Request-Line or Status-Line. */
export function looksLikeStartLine(line: string): boolean {
  return REQUEST_LINE.test(line) || STATUS_LINE.test(line);
}

export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private broken = false;
  private pongExpected = false;
  /** Set once a start line has been seen for the message being accumulated. */
  private inMessage = false;
  private readonly maxMessageSize: number;

  constructor(options: StreamFramerOptions = {}) {
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE;
  }

  /** True after a fatal framing error: the connection should be closed. */
  get isBroken(): boolean {
    return this.broken;
  }

  /** Bytes held while waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.buf.length;
  }

  /** We sent a ping: the next lone CRLF at a message boundary is its pong (RFC 5626 §4.4.1). */
  awaitPong(): void {
    this.pongExpected = true;
  }

  push(chunk: Buffer): FrameEvent[] {
    if (this.broken) return [];
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const events: FrameEvent[] = [];
    while (!this.broken && this.buf.length > 0) {
      if (!this.step(events)) break;
    }
    return events;
  }

  /** One framing step; false when more input is needed. */
  private step(events: FrameEvent[]): boolean {
    if (!this.inMessage) return this.atBoundary(events);
    return this.inHeaders(events);
  }

  private atBoundary(events: FrameEvent[]): boolean {
    const b = this.buf;
    if (b[0] === CR || b[0] === LF) {
      // RFC 5626 §3.5.1 ping is exactly CRLFCRLF; RFC 3261 §7.5 lets any CRLFs precede a start line.
      if (b.length >= 4 && b[0] === CR && b[1] === LF && b[2] === CR && b[3] === LF) {
        this.consume(4);
        events.push({ type: 'ping' });
        return true;
      }
      if (b[0] === CR && b.length === 1) return false;
      if (b[0] === CR && b[1] === LF) {
        // A lone CRLF: a pong if we wait for one, else it might be the first half of a ping.
        if (this.pongExpected) {
          this.pongExpected = false;
          this.consume(2);
          events.push({ type: 'pong' });
          return true;
        }
        if (b.length < 4 && (b.length === 2 || b[2] === CR)) return false;
        this.consume(2);
        return true;
      }
      // A bare LF (or a CR not followed by LF): tolerate as an empty line.
      this.consume(1);
      return true;
    }
    const lf = b.indexOf(LF);
    if (lf < 0) {
      if (b.length > this.maxMessageSize) return this.fail(events, 'Start line longer than the maximum message size', 513, b);
      return false;
    }
    const line = b.subarray(0, lf).toString('latin1');
    if (looksLikeStartLine(line)) {
      this.inMessage = true;
      return true;
    }
    events.push({ type: 'garbage', bytes: Buffer.from(b.subarray(0, lf + 1)) });
    this.consume(lf + 1);
    return true;
  }

  private inHeaders(events: FrameEvent[]): boolean {
    const b = this.buf;
    const end = findEndOfHeaders(b);
    if (end === undefined) {
      if (b.length > this.maxMessageSize) {
        return this.fail(events, `Message larger than ${this.maxMessageSize} bytes`, 513, b);
      }
      return false;
    }
    const head = b.subarray(0, end.headerEnd);
    const cl = contentLength(head.toString('latin1'));
    if (typeof cl === 'string') return this.fail(events, cl, 400, head);
    const total = end.bodyStart + cl;
    if (total > this.maxMessageSize) {
      return this.fail(events, `Message of ${total} bytes larger than ${this.maxMessageSize} bytes`, 513, head);
    }
    if (b.length < total) return false;
    events.push({ type: 'message', bytes: Buffer.from(b.subarray(0, total)) });
    this.consume(total);
    this.inMessage = false;
    return true;
  }

  private fail(events: FrameEvent[], reason: string, status: 400 | 513, head: Buffer): boolean {
    this.broken = true;
    events.push({ type: 'error', error: new FramingError(reason, status, Buffer.from(head)) });
    this.buf = Buffer.alloc(0);
    return false;
  }

  private consume(n: number): void {
    this.buf = this.buf.subarray(n);
  }
}

/**
 * The empty line ending the header section: CRLFCRLF, or liberally LFLF / LFCRLF.
 * headerEnd excludes the empty line; bodyStart is the first body byte.
 */
export function findEndOfHeaders(b: Buffer): { headerEnd: number; bodyStart: number } | undefined {
  let from = 0;
  for (;;) {
    const lf = b.indexOf(LF, from);
    if (lf < 0 || lf + 1 >= b.length) return undefined;
    if (b[lf + 1] === LF) return { headerEnd: lf + 1, bodyStart: lf + 2 };
    if (b[lf + 1] === CR) {
      if (lf + 2 >= b.length) return undefined;
      if (b[lf + 2] === LF) return { headerEnd: lf + 1, bodyStart: lf + 3 };
    }
    from = lf + 1;
  }
}

/**
 * Content-Length (or compact `l`) of a header section: the number, or the sentence explaining why
 * the length cannot be known (RFC 3261 §18.3, §20.14; RFC 4475 §3.1.2.3, §3.3.9).
 */
export function contentLength(head: string): number | string {
  const lines = head.split(/\r?\n/);
  const values: string[] = [];
  // Skip the start line; unfold continuation lines into the previous header (RFC 3261 §7.3.1).
  let current: string | undefined;
  const flush = (): void => {
    if (current === undefined) return;
    const m = /^(content-length|l)[ \t]*:(.*)$/i.exec(current);
    if (m) values.push(m[2]!.trim());
    current = undefined;
  };
  for (const line of lines.slice(1)) {
    if (/^[ \t]/.test(line) && current !== undefined) {
      current += ' ' + line.trim();
    } else {
      flush();
      current = line;
    }
  }
  flush();
  if (values.length === 0) return 'Missing Content-Length on a stream transport';
  const numbers = new Set<number>();
  for (const v of values) {
    if (!/^\d{1,10}$/.test(v)) return `Invalid Content-Length "${v.slice(0, 40)}"`;
    numbers.add(Number(v));
  }
  if (numbers.size > 1) return 'Conflicting Content-Length values';
  return [...numbers][0]!;
}
