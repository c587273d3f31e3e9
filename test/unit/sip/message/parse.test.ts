import { describe, expect, it } from 'vitest';
import {
  SipParseError, createRequest, createResponse, getTo, parseMessage, randomBranch, randomCallId, randomTag,
  serializeMessage, tryParseMessage, validateRequest, getCSeq, type SipRequest,
} from '../../../../src/sip/message/index.js';

const INVITE = [
  'INVITE sip:bob@biloxi.com SIP/2.0',
  'Via: SIP/2.0/UDP pc33.atlanta.com;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: Bob <sip:bob@biloxi.com>',
  'From: Alice <sip:alice@atlanta.com>;tag=1928301774',
  'Call-ID: a84b4c76e66710@pc33.atlanta.com',
  'CSeq: 314159 INVITE',
  'Contact: <sip:alice@pc33.atlanta.com>',
  'X-Unknown:  kept  verbatim ',
  'Content-Type: application/sdp',
  'Content-Length: 4',
  '',
  'v=0\n',
].join('\r\n');

const bytes = (s: string) => Buffer.from(s, 'latin1');

function errorOf(buf: Buffer): SipParseError {
  const r = tryParseMessage(buf);
  if (r.ok) throw new Error('parsed');
  return r.error;
}

describe('parseMessage', () => {
  it('splits start line, headers and body', () => {
    const m = parseMessage(bytes(INVITE)) as SipRequest;
    expect([m.kind, m.method, m.uri, m.version]).toEqual(['request', 'INVITE', 'sip:bob@biloxi.com', 'SIP/2.0']);
    expect(m.headers.get('x-unknown')).toBe('kept  verbatim');
    expect(m.body.toString()).toBe('v=0\n');
    expect(serializeMessage(m).toString('latin1')).toBe(INVITE.replace('X-Unknown:  kept  verbatim ', 'X-Unknown: kept  verbatim'));
  });
  it('ignores CRLFs before the start line and octets after Content-Length', () => {
    const m = parseMessage(bytes('\r\n\r\n' + INVITE + 'TRAILING'));
    expect(m.body.toString()).toBe('v=0\n');
  });
  it('takes the rest of the datagram as body without Content-Length', () => {
    const m = parseMessage(bytes(INVITE.replace('Content-Length: 4\r\n', '') + 'more'));
    expect(m.body.toString()).toBe('v=0\nmore');
  });
  it('keeps binary bodies and raw header bytes intact', () => {
    const body = Buffer.from([0, 1, 2, 13, 10, 255, 13, 0x80]);
    const head = bytes(INVITE.replace('X-Unknown:  kept  verbatim ', 'X-Unknown: kept  verbatim').replace('Content-Length: 4', `Content-Length: ${body.length}`).replace('v=0\n', '').replace('Bob <', '"B\xc3\xb6b" <'));
    const raw = Buffer.concat([head, body]);
    const m = parseMessage(raw);
    expect(m.body.equals(body)).toBe(true);
    expect(Buffer.from(getTo(m).displayName!, 'latin1').toString('utf8')).toBe('Böb');
    expect(serializeMessage(m).equals(raw)).toBe(true);
  });
  it('accepts bare LF line ends', () => {
    const m = parseMessage(bytes(INVITE.replace(/\r\n/g, '\n')));
    expect(m.headers.get('CSeq')).toBe('314159 INVITE');
  });
  it('parses responses with empty and UTF-8 reason phrases', () => {
    const r = parseMessage(bytes('SIP/2.0 180 \r\nContent-Length: 0\r\n\r\n'));
    expect(r.kind === 'response' && [r.status, r.reason]).toEqual([180, '']);
  });
  it.each([
    ['\r\n', 'Empty message', 1],
    ['INVITE sip:a@b\r\n\r\n', 'Request-Line must be Method SP Request-URI SP SIP-Version', 1],
    ['INVITE sip:a@b; lr SIP/2.0\r\n\r\n', 'Request-URI contains whitespace', 1],
    ['INV(ITE sip:a@b SIP/2.0\r\n\r\n', 'Invalid method in Request-Line', 1],
    ['INVITE sip:a@b HTTP/1.1\r\n\r\n', 'Invalid SIP-Version', 1],
    ['SIP/2.0 2000 OK\r\n\r\n', 'Status-Code must be 3 digits from 100 to 699', 1],
    ['SIP/2.0 099 Hm\r\n\r\n', 'Status-Code must be 3 digits from 100 to 699', 1],
    ['OPTIONS sip:a@b SIP/2.0\r\nFoo bar\r\n\r\n', "Header line has no ':'", 2],
    ['OPTIONS sip:a@b SIP/2.0\r\nF(o: bar\r\n\r\n', 'Invalid header name', 2],
    ['OPTIONS sip:a@b SIP/2.0\r\n folded\r\n\r\n', 'Header folding before any header', 2],
    ['OPTIONS sip:a@b SIP/2.0\r\nContent-Length: five\r\n\r\n', 'Content-Length is not a non-negative integer', 2],
    ['OPTIONS sip:a@b SIP/2.0\r\nl: 3\r\nContent-Length: 4\r\n\r\nabcd', 'Conflicting Content-Length headers', 3],
    ['OPTIONS sip:a@b SIP/2.0\r\nl: 30\r\n\r\nabcd', 'Content-Length 30 is larger than the 4-byte body', undefined],
  ])('rejects %j with "%s"', (text, reason, line) => {
    const e = errorOf(bytes(text));
    expect(e).toBeInstanceOf(SipParseError);
    expect([e.status, e.reason, e.line]).toEqual([400, reason, line]);
    expect(e.message).toBe(line === undefined ? reason : `Line ${line}: ${reason}`);
    expect(e.code).toBe('SIP_PARSE');
  });
});

describe('serializeMessage', () => {
  it('writes Content-Length from the body unless asked not to', () => {
    const m = parseMessage(bytes(INVITE));
    m.body = Buffer.from('v=0\r\no=x\r\n');
    expect(serializeMessage(m).toString('latin1')).toContain('Content-Length: 10\r\n');
    expect(serializeMessage(m, { keepContentLength: true }).toString('latin1')).toContain('Content-Length: 4\r\n');
    m.headers.remove('Content-Length');
    expect(serializeMessage(m).toString('latin1')).toMatch(/Content-Length: 10\r\n\r\nv=0/);
  });
  it('refuses header values with line breaks and encodes text above U+00FF as UTF-8', () => {
    const m = parseMessage(bytes(INVITE));
    m.headers.set('Subject', 'a\r\nEvil: 1');
    expect(() => serializeMessage(m)).toThrow(SipParseError);
    m.headers.set('Subject', 'Привет');
    expect(serializeMessage(m).includes(Buffer.from('Subject: Привет\r\n', 'utf8'))).toBe(true);
  });
});

describe('builders', () => {
  it('createRequest and createResponse (RFC 3261 §8.2.6.2)', () => {
    const req = createRequest({
      method: 'INVITE',
      uri: 'sip:bob@biloxi.com',
      headers: [
        ['Via', `SIP/2.0/UDP a;branch=${randomBranch()}`],
        ['v', 'SIP/2.0/UDP b;branch=z9hG4bK2'],
        ['From', `<sip:alice@atlanta.com>;tag=${randomTag()}`],
        ['To', '<sip:bob@biloxi.com>'],
        ['Call-ID', randomCallId('atlanta.com')],
        ['CSeq', '1 INVITE'],
        ['Max-Forwards', '70'],
        ['Timestamp', '54'],
      ],
      body: Buffer.from('v=0\r\n'),
      contentType: 'application/sdp',
    });
    expect(req.headers.get('Content-Length')).toBe('5');
    const ringing = createResponse(req, 180, undefined, { toTag: 'abc' });
    expect(ringing.reason).toBe('Ringing');
    expect(ringing.headers.fields.map((f) => f.name)).toEqual(['Via', 'Via', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length']);
    expect(getTo(ringing).params.get('tag')).toBe('abc');
    const trying = createResponse(req, 100, undefined, { toTag: 'abc' });
    expect(getTo(trying).params.has('tag')).toBe(false);
    expect(trying.headers.get('Timestamp')).toBe('54');
    expect(getCSeq(parseMessage(serializeMessage(ringing)))).toEqual({ seq: 1, method: 'INVITE' });
    expect(randomBranch()).toMatch(/^z9hG4bK[A-Za-z0-9_-]{16}$/);
    expect(randomCallId()).toMatch(/^[0-9a-f]{30}$/);
  });
  it('validateRequest accepts a good request and checks Content-Length against a built body', () => {
    const req = parseMessage(bytes(INVITE)) as SipRequest;
    const opts = { supported: [], acceptTypes: ['application/sdp'] };
    expect(validateRequest(req, opts)).toBeUndefined();
    req.body = Buffer.from('v');
    expect(validateRequest(req, opts)!.reason).toBe('Content-Length is larger than the body');
  });
});
