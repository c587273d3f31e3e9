/**
 * Property-based robustness: mutated conformance/sample messages and random messages never make the
 * message layer throw anything but SipParseError (parser, every typed getter, validation), and every
 * message that parses is stable: serialize(parse(serialize(m))) equals serialize(m).
 */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as M from '../../../../src/sip/message/index.js';

const ROOT = new URL('../../../fixtures/conformance/', import.meta.url);
const CORPUS: Buffer[] = [];
for (const dir of ['rfc4475/', 'rfc5118/wire-crlf/', 'samples/']) {
  for (const f of readdirSync(new URL(dir, ROOT))) {
    if (f.endsWith('.dat') || f.endsWith('.sip')) CORPUS.push(readFileSync(new URL(dir + f, ROOT)));
  }
}

const GETTERS: Array<(m: M.SipMessage) => unknown> = [
  M.getVias, M.getTopVia, M.getFrom, M.getTo, M.getCallId, M.getCSeq, M.getContacts, M.getMaxForwards,
  M.getContentType, M.getContentLength, M.getRoutes, M.getRecordRoutes, M.getRequire, M.getProxyRequire,
  M.getSupported, M.getUnsupported, M.getAllow, M.getAccept, M.getDiversions, M.getHistoryInfo, M.getExpires,
  M.getWwwAuthenticate, M.getProxyAuthenticate, M.getAuthorization, M.getSessionExpires, M.getMinSE,
  (m) => (M.isRequest(m) ? M.parseUri(m.uri) : undefined),
];
const UAS: M.ValidateOptions = { supported: ['100rel'], acceptTypes: ['application/sdp'], methods: ['INVITE', 'ACK', 'BYE', 'OPTIONS'] };

/** Only SipParseError may escape; anything else fails the property. */
function onlyParseErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof M.SipParseError)) throw e;
  }
}

/** The whole contract on one buffer. */
function exercise(buf: Buffer): void {
  const r = M.tryParseMessage(buf);
  onlyParseErrors(() => M.parseMessage(buf));
  if (!r.ok) {
    // plain checks: vitest's expect is too slow for thousands of runs
    if (!(r.error instanceof M.SipParseError) || /[\r\n]/.test(r.error.reason)) throw new Error(`bad error ${r.error.message}`);
    return;
  }
  const m = r.message;
  for (const g of GETTERS) onlyParseErrors(() => g(m));
  if (M.isRequest(m)) M.validateRequest(m, UAS);
  else M.validateResponse(m);
  const once = M.serializeMessage(m);
  const again = M.serializeMessage(M.parseMessage(once));
  if (!again.equals(once)) throw new Error(`unstable round trip:\n${once.toString('latin1')}\n---\n${again.toString('latin1')}`);
}

type Mutation =
  | { kind: 'flip'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; len: number };

const SPECIALS = ['\r\n', '\n', ' ', '\t', ':', ';', ',', '"', '\\', '<', '>', '%', '%00', '=', '[', ']', '@', '\x00', '\r', '\r\n\r\n', 'Content-Length: 9\r\n', ' \r\n ', '\xff\xfe'];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...SPECIALS), fc.string({ maxLength: 8 })) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 12 }) }),
);

function mutate(src: Buffer, muts: Mutation[]): Buffer {
  let b = Buffer.from(src);
  for (const mu of muts) {
    const at = b.length === 0 ? 0 : mu.at % (b.length + 1);
    if (mu.kind === 'flip' && b.length > 0) b[at % b.length] = mu.byte;
    else if (mu.kind === 'truncate') b = b.subarray(0, at);
    else if (mu.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(mu.text, 'latin1'), b.subarray(at)]);
    else if (mu.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + mu.len)]);
  }
  return b;
}

const token = fc.stringMatching(/^[A-Za-z0-9!%*_+`'~.-]{1,12}$/);
const value = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 40 });
const randomMessage = fc.record({
  request: fc.boolean(),
  method: token,
  uri: fc.oneof(fc.constantFrom('sip:a@b', 'sips:[::1]:5061', 'tel:+1234'), fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/[\s]/.test(s))),
  status: fc.integer({ min: 100, max: 699 }),
  reason: value,
  headers: fc.array(fc.tuple(fc.oneof(token, fc.constantFrom('Via', 'v', 'From', 'To', 'Contact', 'm', 'CSeq', 'Call-ID', 'Max-Forwards', 'Diversion', 'History-Info', 'WWW-Authenticate', 'Accept', 'Require', 'Session-Expires')), value), { maxLength: 12 }),
  body: fc.uint8Array({ maxLength: 64 }),
});

describe('message layer fuzz', () => {
  it('the unmodified corpus satisfies the contract', () => {
    expect(CORPUS.length).toBe(82); // 50 RFC 4475 + 12 RFC 5118 + 20 samples
    for (const b of CORPUS) exercise(b);
  });

  it('mutated conformance and sample messages: only SipParseError, stable round trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: CORPUS.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 4 }), (i, muts) => {
        exercise(mutate(CORPUS[i]!, muts));
      }),
      { numRuns: 7000 },
    );
  });

  it('random messages: only SipParseError, stable round trips', () => {
    fc.assert(
      fc.property(randomMessage, (r) => {
        const start = r.request ? `${r.method} ${r.uri} SIP/2.0` : `SIP/2.0 ${r.status} ${r.reason}`;
        const text = [start, ...r.headers.map(([n, v]) => `${n}: ${v}`), `Content-Length: ${r.body.length}`, '', ''].join('\r\n');
        exercise(Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from(r.body)]));
      }),
      { numRuns: 3000 },
    );
  });

  it('random header values through every typed getter', () => {
    fc.assert(
      fc.property(value, fc.constantFrom('Via', 'From', 'To', 'Contact', 'CSeq', 'Call-ID', 'Max-Forwards', 'Content-Type', 'Route', 'Diversion', 'History-Info', 'WWW-Authenticate', 'Proxy-Authenticate', 'Authorization', 'Accept', 'Session-Expires', 'Expires', 'Require'), (v, name) => {
        const m = M.createRequest({ method: 'OPTIONS', uri: 'sip:a@b', headers: [[name, v]] });
        for (const g of GETTERS) onlyParseErrors(() => g(m));
        onlyParseErrors(() => M.validateRequest(m, UAS));
      }),
      { numRuns: 2000 },
    );
  });
});
