/**
 * serializeMessage reuses a parsed message's octets (untouched lines copied, changed lines written).
 * Differential check: whatever is done to a parsed message, the output is byte for byte what the general
 * writer gives for the same message built from scratch (a Headers clone carries no parsed octets).
 */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as M from '../../../../src/sip/message/index.js';
import { headerSlots } from '../../../../src/sip/message/types.js';

const ROOT = new URL('../../../fixtures/conformance/', import.meta.url);
const CORPUS: Buffer[] = [];
for (const dir of ['rfc4475/', 'rfc5118/wire-crlf/', 'samples/']) {
  for (const f of readdirSync(new URL(dir, ROOT))) {
    if (f.endsWith('.dat') || f.endsWith('.sip')) CORPUS.push(readFileSync(new URL(dir + f, ROOT)));
  }
}

const INVITE = Buffer.from([
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9',
  'Max-Forwards: 70',
  'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@client.atlanta.example.com;transport=udp>',
  'X-Empty: ',
  'Content-Type: application/sdp',
  'Content-Length: 10',
  '',
  'v=0\r\ns=-\r\n',
].join('\r\n'), 'latin1');
const OK = Buffer.from([
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101',
  'f: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>;tag=8321234356',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'l: 0',
  '',
  '',
].join('\r\n'), 'latin1');

/** The same message without its parsed octets: serialized by the general writer. */
function rebuilt(m: M.SipMessage): M.SipMessage {
  return { ...m, headers: m.headers.clone(), body: Buffer.from(m.body) };
}

function outcome(fn: () => Buffer): string {
  try {
    return fn().toString('latin1');
  } catch (e) {
    if (e instanceof M.SipParseError) return `error: ${e.message}`;
    throw e;
  }
}

function sameAsGeneralWriter(m: M.SipMessage, opts?: M.SerializeOptions): void {
  const expected = outcome(() => M.serializeMessage(rebuilt(m), opts));
  const got = outcome(() => M.serializeMessage(m, opts));
  if (got !== expected) throw new Error(`octet reuse differs:\n${JSON.stringify(got)}\n${JSON.stringify(expected)}`);
}

type Edit = (m: M.SipMessage) => void;
const NAMES = ['Via', 'v', 'VIA', 'Contact', 'To', 'Content-Length', 'l', 'X-New', 'Subject', 'CSeq', 'Route'];
const VALUES = ['SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1', '', '<sip:x@y>', '10', '0', 'é', 'Привет', 'a\r\nb', 'x y'];

const edit: fc.Arbitrary<Edit> = fc.oneof(
  fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES)).map(([n, v]): Edit => (m) => void m.headers.set(n, v)),
  fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES)).map(([n, v]): Edit => (m) => void m.headers.append(n, v)),
  fc.tuple(fc.constantFrom(...NAMES), fc.constantFrom(...VALUES)).map(([n, v]): Edit => (m) => void m.headers.prepend(n, v)),
  fc.constantFrom(...NAMES).map((n): Edit => (m) => void m.headers.remove(n)),
  // behind the Headers methods' back, as via-processing.ts does
  fc.tuple(fc.nat(), fc.constantFrom(...VALUES)).map(([i, v]): Edit => (m) => {
    const f = m.headers.fields;
    if (f.length > 0) f[i % f.length] = { name: f[i % f.length]!.name, value: v };
  }),
  fc.tuple(fc.nat(), fc.constantFrom(...VALUES)).map(([i, v]): Edit => (m) => {
    const f = m.headers.fields;
    if (f.length > 0) f[i % f.length]!.value = v;
  }),
  fc.nat().map((i): Edit => (m) => {
    const f = m.headers.fields;
    if (f.length > 0) f.splice(i % f.length, 1);
  }),
  fc.nat().map((i): Edit => (m) => {
    const f = m.headers.fields;
    if (f.length > 0) f.push({ ...f[i % f.length]! });
  }),
  fc.constantFrom('', 'v=0\r\n', 'v=1\r\ns=-\r\n').map((b): Edit => (m) => void (m.body = Buffer.from(b, 'latin1'))),
  fc.nat().map((i): Edit => (m) => {
    if (m.body.length > 0) m.body[i % m.body.length] = 0x41;
  }),
  fc.constantFrom('OPTIONS', 'sip:carol@chicago.example.com', 'SIP/2.1', 'Dürer').map((t): Edit => (m) => {
    if (m.kind === 'request') {
      if (t.startsWith('sip:')) m.uri = t;
      else if (t.startsWith('SIP/')) m.version = t;
      else m.method = t;
    } else m.reason = t;
  }),
  fc.integer({ min: 100, max: 699 }).map((s): Edit => (m) => {
    if (m.kind === 'response') m.status = s;
  }),
);

describe('serializing a parsed message from its octets', () => {
  it('gives a canonical message back as its own octets, in a buffer of its own', () => {
    for (const raw of [INVITE, OK]) {
      const m = M.parseMessage(raw);
      expect(headerSlots.parsed(m.headers)).toBeDefined(); // the octets are kept
      const out = M.serializeMessage(m);
      expect(out.equals(raw)).toBe(true);
      out[0] = 0x58; // the caller may scribble on its output
      expect(M.serializeMessage(m).equals(raw)).toBe(true);
    }
  });
  it('does not keep the caller\'s buffer (framers reuse theirs)', () => {
    const copy = Buffer.from(INVITE);
    const m = M.parseMessage(copy);
    copy.fill(0x20);
    expect(M.serializeMessage(m).equals(INVITE)).toBe(true);
  });
  it('writes only what changed: a new top Via', () => {
    const m = M.parseMessage(INVITE);
    m.headers.prepend('Via', 'SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1');
    const text = M.serializeMessage(m).toString('latin1');
    expect(text).toBe(INVITE.toString('latin1').replace('\r\nVia:', '\r\nVia: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp1\r\nVia:'));
  });
  it('rewrites Content-Length for a new body', () => {
    const m = M.parseMessage(INVITE);
    m.body = Buffer.from('v=0\r\n');
    expect(M.serializeMessage(m).toString('latin1')).toMatch(/Content-Length: 5\r\n\r\nv=0\r\n$/);
    expect(M.serializeMessage(m, { keepContentLength: true }).toString('latin1')).toMatch(/Content-Length: 10\r\n\r\nv=0\r\n$/);
  });
  it('matches the general writer after any edits (random)', () => {
    fc.assert(
      fc.property(fc.constantFrom(INVITE, OK, ...CORPUS), fc.array(edit, { maxLength: 4 }), fc.boolean(), (raw, edits, keep) => {
        const r = M.tryParseMessage(raw);
        if (!r.ok) return;
        const m = r.message;
        sameAsGeneralWriter(m, keep ? { keepContentLength: true } : undefined);
        for (const e of edits) {
          e(m);
          sameAsGeneralWriter(m, keep ? { keepContentLength: true } : undefined);
        }
      }),
      { numRuns: 1000 },
    );
  });
  it('keeps the parse of non-canonical spellings normalized (folding, spacing, bare LF, trailing octets)', () => {
    const odd = [
      'OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo:\r\n <sip:c@d>\r\nl: 0\r\n\r\n',
      'OPTIONS sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\nl: 0\n\n',
      'OPTIONS sip:a@b SIP/2.0\r\nVia :  SIP/2.0/UDP h;branch=z9hG4bK1 \r\nContent-Length: 00\r\n\r\n',
      '\r\nSIP/2.0 100\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nl: 0\r\n\r\nJUNK',
    ];
    for (const text of odd) {
      const m = M.parseMessage(Buffer.from(text, 'latin1'));
      expect(headerSlots.parsed(m.headers)).toBeUndefined();
      sameAsGeneralWriter(m);
      expect(M.serializeMessage(m).toString('latin1')).not.toBe(text);
    }
  });
});
