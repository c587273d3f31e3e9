import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/util/clock.js';
import { createRequest, createResponse, randomTag, type SipResponse } from '../../../../src/sip/message/index.js';
import { SipEndpoint } from '../../../../src/sip/transaction/endpoint.js';
import { TlsTransport } from '../../../../src/sip/transport/tls.js';
import type { TransportError } from '../../../../src/sip/transport/transport.js';

let cert: string;
let key: string;

beforeAll(() => {
  // A self-signed certificate for 127.0.0.1 (openssl is part of the base system).
  const dir = mkdtempSync(join(tmpdir(), 'umphone-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
  key = readFileSync(join(dir, 'key.pem'), 'utf8');
});

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function endpoint(trustPeer: boolean) {
  const clock = new ManualClock();
  const t = await TlsTransport.listen({ clock, address: '127.0.0.1', cert, key, ca: trustPeer ? cert : undefined });
  const ep = new SipEndpoint({ clock, transports: [t] });
  open.push(ep);
  ep.onRequest((r) => r.transaction.respond(createResponse(r.request, 200, undefined, { toTag: randomTag() })));
  return { ep, t };
}

function options(port: number) {
  return createRequest({
    method: 'OPTIONS',
    uri: `sip:b@127.0.0.1:${port};transport=tls`,
    headers: [
      ['Max-Forwards', '70'],
      ['From', `<sip:a@127.0.0.1>;tag=${randomTag()}`],
      ['To', `<sip:b@127.0.0.1:${port}>`],
      ['Call-ID', `tls-${randomTag()}`],
      ['CSeq', '1 OPTIONS'],
    ],
  });
}

describe('TlsTransport', () => {
  it('carries a transaction over TLS, verifying the peer certificate, with a TLS Via', async () => {
    const a = await endpoint(true);
    const b = await endpoint(true);
    const vias: string[] = [];
    b.ep.onTrace((e) => {
      if (e.direction === 'in') vias.push(/Via: ([^\r]+)/.exec(e.bytes.toString())![1]!);
    });
    const res = await new Promise<SipResponse>((resolve, reject) =>
      a.ep.request(options(b.t.local.port), { protocol: 'tls', address: '127.0.0.1', port: b.t.local.port }, {
        onResponse: resolve,
        onTimeout: reject,
        onTransportError: reject,
      }),
    );
    expect(res.status).toBe(200);
    expect(a.t.protocol).toBe('tls');
    expect(vias[0]).toMatch(new RegExp(`^SIP/2\\.0/TLS 127\\.0\\.0\\.1:${a.t.local.port};branch=z9hG4bK`));
    expect(b.t.connectionCount).toBe(1);
  });

  it('reports a certificate it cannot verify as a transport error to the TU', async () => {
    const a = await endpoint(false);
    const b = await endpoint(true);
    const err = await new Promise<TransportError>((resolve, reject) =>
      a.ep.request(options(b.t.local.port), { protocol: 'tls', address: '127.0.0.1', port: b.t.local.port }, {
        onResponse: () => reject(new Error('no response expected')),
        onTimeout: reject,
        onTransportError: resolve,
      }),
    );
    expect(err.message).toMatch(/^TLS connect to 127\.0\.0\.1:\d+ failed: self[- ]signed certificate/);
    expect(err.protocol).toBe('tls');
  });
});
