import { describe, expect, it } from 'vitest';
import { StreamFramer, contentLength, looksLikeStartLine, type FrameEvent } from '../../../../src/sip/transport/stream-framer.js';

const crlf = (lines: string[]): string => lines.join('\r\n');

function request(body: string, method = 'MESSAGE', cseq = 1): Buffer {
  const head = crlf([
    `${method} sip:bob@example.com SIP/2.0`,
    'Via: SIP/2.0/TCP 192.0.2.1:5060;branch=z9hG4bK' + cseq,
    'Call-ID: a@b',
    `CSeq: ${cseq} ${method}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    '',
  ]);
  return Buffer.concat([Buffer.from(head), Buffer.from(body)]);
}

const messages = (events: FrameEvent[]): string[] =>
  events.filter((e): e is Extract<FrameEvent, { type: 'message' }> => e.type === 'message').map((e) => e.bytes.toString('latin1'));

describe('StreamFramer', () => {
  const a = request('hello\r\n\r\nworld with a blank line inside');
  const b = request('', 'OPTIONS', 2);
  const stream = Buffer.concat([a, b]);

  it('frames one message exactly by Content-Length', () => {
    const f = new StreamFramer();
    expect(messages(f.push(a))).toEqual([a.toString('latin1')]);
    expect(f.bufferedBytes).toBe(0);
  });

  it('frames many messages arriving in one segment', () => {
    const f = new StreamFramer();
    expect(messages(f.push(Buffer.concat([a, b, a])))).toEqual([a, b, a].map((m) => m.toString('latin1')));
  });

  it.each(Array.from({ length: stream.length - 1 }, (_, i) => i + 1))('frames two messages split at byte offset %i', (cut) => {
    const f = new StreamFramer();
    const events = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))];
    expect(messages(events)).toEqual([a.toString('latin1'), b.toString('latin1')]);
    expect(events.every((e) => e.type === 'message')).toBe(true);
  });

  it('frames a stream fed one byte at a time', () => {
    const f = new StreamFramer();
    const events: FrameEvent[] = [];
    for (let i = 0; i < stream.length; i++) events.push(...f.push(stream.subarray(i, i + 1)));
    expect(messages(events)).toEqual([a.toString('latin1'), b.toString('latin1')]);
  });

  it('skips CRLFs before a start line (RFC 3261 §7.5)', () => {
    const f = new StreamFramer();
    expect(f.push(Buffer.concat([Buffer.from('\r\n'), b]))).toEqual([{ type: 'message', bytes: b }]);
  });

  it('reports CRLFCRLF as a keep-alive ping, also when split (RFC 5626 §3.5.1)', () => {
    const f = new StreamFramer();
    expect(f.push(Buffer.from('\r\n\r\n'))).toEqual([{ type: 'ping' }]);
    expect(f.push(Buffer.from('\r\n'))).toEqual([]);
    expect(f.push(Buffer.from('\r\n'))).toEqual([{ type: 'ping' }]);
    expect(f.push(b)).toEqual([{ type: 'message', bytes: b }]);
  });

  it('reports a lone CRLF as a pong only while one is awaited', () => {
    const f = new StreamFramer();
    f.awaitPong();
    expect(f.push(Buffer.from('\r\n'))).toEqual([{ type: 'pong' }]);
    expect(f.push(Buffer.from('\r\n'))).toEqual([]);
  });

  it('recovers from garbage: discards lines up to the next start line', () => {
    const f = new StreamFramer();
    const events = f.push(Buffer.concat([Buffer.from('\x16\x03\x01 binary junk\r\nGET / HTTP/1.1\r\n'), b]));
    expect(events).toEqual([
      { type: 'garbage', bytes: Buffer.from('\x16\x03\x01 binary junk\r\n', 'latin1') },
      { type: 'garbage', bytes: Buffer.from('GET / HTTP/1.1\r\n') },
      { type: 'message', bytes: b },
    ]);
    expect(f.isBroken).toBe(false);
  });

  it('treats a missing Content-Length as fatal: 400, then ignores the stream', () => {
    const f = new StreamFramer();
    const noCl = 'OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n';
    const events = f.push(Buffer.from(noCl));
    expect(events).toHaveLength(1);
    const e = events[0]!;
    expect(e.type === 'error' && e.error.status).toBe(400);
    expect(e.type === 'error' && e.error.message).toBe('Missing Content-Length on a stream transport');
    expect(e.type === 'error' && e.error.head.toString()).toContain('Call-ID: c');
    expect(f.isBroken).toBe(true);
    expect(f.push(b)).toEqual([]);
  });

  it('answers 513 for a message over the limit, before the body arrives', () => {
    const f = new StreamFramer({ maxMessageSize: 1000 });
    const events = f.push(request('x'.repeat(2000)).subarray(0, 200));
    expect(events.map((e) => e.type === 'error' && e.error.status)).toEqual([513]);
  });

  it('answers 513 for an endless header section', () => {
    const f = new StreamFramer({ maxMessageSize: 500 });
    const events = f.push(Buffer.from('INVITE sip:a@b SIP/2.0\r\n' + 'X-Long: y\r\n'.repeat(60)));
    expect(events.map((e) => e.type === 'error' && e.error.status)).toEqual([513]);
  });

  it.each([
    ['Content-Length: -999', 'Invalid Content-Length "-999"'],
    ['Content-Length: five', 'Invalid Content-Length "five"'],
    ['Content-Length: 13\r\nl: 5', 'Conflicting Content-Length values'],
    ['X-Other: 1', 'Missing Content-Length on a stream transport'],
  ])('rejects %j with "%s"', (header, reason) => {
    expect(contentLength(`INVITE sip:a@b SIP/2.0\r\n${header}\r\n`)).toBe(reason);
  });

  it('reads folded, compact and oddly cased Content-Length', () => {
    expect(contentLength('INVITE sip:a@b SIP/2.0\r\nL:0')).toBe(0);
    expect(contentLength('INVITE sip:a@b SIP/2.0\r\ncontent-LENGTH :\r\n  42')).toBe(42);
    expect(contentLength('INVITE sip:a@b SIP/2.0\r\nContent-Length: 5\r\nContent-Length: 5')).toBe(5);
  });

  it.each([
    ['INVITE sip:a@b SIP/2.0', true],
    ['INVITE  sip:user@example.com  SIP/2.0', true],
    ['SIP/2.0 200 OK', true],
    ['SIP/2.0 100 ', true],
    ['SIP/7.0 200 OK', true],
    ['!interesting-Method0123456789_*+`.%indeed\'~ sip:1_unusual.URI~(to-be!sure)&isn\'t+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn\'t-it)@example.com SIP/2.0', true],
    ['GET / HTTP/1.1', false],
    ['Via: SIP/2.0/TCP h', false],
    ['', false],
  ])('start line %j → %s', (line, ok) => {
    expect(looksLikeStartLine(line)).toBe(ok);
  });
});
