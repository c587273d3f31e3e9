/**
 * The listening side of SIP over TLS (issue 16 items 3 and 6), with real sockets on 127.0.0.1: a peer
 * that sends plain SIP or random bytes to the TLS port, stalls mid-handshake or resets is dropped alone
 * with one error line, while a good connection opened before goes on; mutual TLS refuses a client
 * without a certificate or with an untrusted one and names a trusted client's certificate on the
 * message source. The handshake deadline runs on the injected (manual) clock.
 */
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/util/clock.js';
import { createRequest, createResponse, randomTag, type SipResponse } from '../../../../src/sip/message/index.js';
import { SipEndpoint } from '../../../../src/sip/transaction/endpoint.js';
import { TlsTransport, certificateNames } from '../../../../src/sip/transport/tls.js';
import type { MessageSource, TransportError } from '../../../../src/sip/transport/transport.js';
import { makeTestPki } from '../../../support/tls-certs.js';

const pki = makeTestPki();
const pem = (p: string) => readFileSync(p, 'utf8');

const open: Array<{ close(): unknown }> = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(open.splice(0).map((o) => o.close()));
});

/** A TLS server endpoint answering every request 200, recording its errors and the sources it saw. */
async function server(o: { mutual?: boolean } = {}) {
  const clock = new ManualClock();
  const t = await TlsTransport.listen({
    clock, address: '127.0.0.1', cert: pem(pki.server.cert), key: pem(pki.server.key), ca: pem(pki.ca),
    requestClientCert: o.mutual ?? false, handshakeTimeoutMs: 5000,
  });
  const ep = new SipEndpoint({ clock, transports: [t] });
  open.push(ep);
  const errors: TransportError[] = [];
  const sources: MessageSource[] = [];
  t.onError((e) => errors.push(e));
  ep.onRequest((r) => {
    sources.push(r.source);
    r.transaction.respond(createResponse(r.request, 200, undefined, { toTag: randomTag() }));
  });
  return { clock, t, errors, sources };
}

/** A client endpoint on its own TLS transport (optionally with a client certificate). */
async function client(cert?: { cert: string; key: string }) {
  const clock = new ManualClock();
  const t = await TlsTransport.listen({
    clock, address: '127.0.0.1', ca: pem(pki.ca), cert: pem(pki.server.cert), key: pem(pki.server.key),
    ...(cert ? { cert: pem(cert.cert), key: pem(cert.key) } : {}),
  });
  const ep = new SipEndpoint({ clock, transports: [t] });
  open.push(ep);
  return ep;
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

function ping(ep: SipEndpoint, port: number): Promise<SipResponse> {
  return new Promise<SipResponse>((resolve, reject) =>
    ep.request(options(port), { protocol: 'tls', address: '127.0.0.1', port }, {
      onResponse: resolve, onTimeout: reject, onTransportError: reject,
    }),
  );
}

/** A raw TCP connection to the TLS port. */
async function raw(port: number): Promise<net.Socket> {
  const s = net.connect({ host: '127.0.0.1', port });
  sockets.push(s);
  s.on('error', () => undefined);
  await new Promise<void>((r) => s.once('connect', () => r()));
  return s;
}

const closed = (s: net.Socket) => new Promise<void>((r) => (s.destroyed ? r() : s.once('close', () => r())));

async function until(what: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('TLS listening side: bad peers are dropped alone', () => {
  it.each([
    ['plain SIP', Buffer.from('OPTIONS sip:b@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5;branch=z9hG4bKx\r\nContent-Length: 0\r\n\r\n')],
    ['random bytes', Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 73 + 11) % 256))],
  ])('%s on the TLS port: that connection is closed with one "not TLS" line, a good one goes on', async (_name, bytes) => {
    const s = await server();
    const good = await client();
    expect((await ping(good, s.t.local.port)).status).toBe(200);
    const bad = await raw(s.t.local.port);
    bad.write(bytes);
    await closed(bad);
    await until(() => s.errors.length > 0);
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]!.message).toMatch(/^TLS handshake from 127\.0\.0\.1:\d+ failed: not TLS \(plain SIP or garbage on the TLS port/);
    expect((await ping(good, s.t.local.port)).status).toBe(200);
    expect(s.t.connectionCount).toBe(1);
  });

  it('a peer that stalls mid-handshake is dropped when the handshake deadline passes on the clock', async () => {
    const s = await server();
    const good = await client();
    expect((await ping(good, s.t.local.port)).status).toBe(200);
    const stalled = await raw(s.t.local.port);
    // The header of a TLS handshake record announcing 512 bytes that never come.
    stalled.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    await until(() => s.clock.pendingCount >= 1);
    s.clock.advance(4999);
    await new Promise((r) => setTimeout(r, 50));
    expect(stalled.destroyed).toBe(false);
    s.clock.advance(1);
    await closed(stalled);
    expect(s.errors.map((e) => e.message)).toEqual([expect.stringMatching(/^TLS handshake from 127\.0\.0\.1:\d+ timed out after 5000 ms: connection dropped$/)]);
    expect((await ping(good, s.t.local.port)).status).toBe(200);
  });

  it('a peer that resets mid-handshake is dropped with one line and its deadline is cancelled', async () => {
    const s = await server();
    const good = await client();
    expect((await ping(good, s.t.local.port)).status).toBe(200);
    const pendingBefore = s.clock.pendingCount;
    const r = await raw(s.t.local.port);
    r.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]));
    await until(() => s.clock.pendingCount > pendingBefore);
    r.resetAndDestroy();
    await until(() => s.clock.pendingCount === pendingBefore);
    await until(() => s.errors.length > 0);
    await new Promise((res) => setTimeout(res, 50));
    expect(s.errors).toHaveLength(1);
    for (const e of s.errors) expect(e.message).toMatch(/^TLS (handshake|connection) from 127\.0\.0\.1:\d+ (failed: the peer reset the connection|closed before it was accepted: the peer left during the handshake)$/);
    expect((await ping(good, s.t.local.port)).status).toBe(200);
  });
});

describe('TLS listening side: mutual TLS', () => {
  it('names a trusted client certificate on the message source (CN and SAN), verified', async () => {
    const s = await server({ mutual: true });
    const c = await client(pki.client);
    expect((await ping(c, s.t.local.port)).status).toBe(200);
    expect(s.sources[0]!.protocol).toBe('tls');
    expect(s.sources[0]!.tlsPeer).toEqual({ names: ['umphone-test', 'umphone.test'], verified: true });
  });

  it.each([
    ['no client certificate', undefined, /^TLS handshake from 127\.0\.0\.1:\d+ failed: the client sent no certificate/],
    ['a certificate from an untrusted CA', 'unknownCa', /^TLS connection from 127\.0\.0\.1:\d+ closed before it was accepted: its client certificate does not verify against --tls-ca/],
  ] as const)('refuses %s in the handshake, with one line, and goes on', async (_n, which, line) => {
    const s = await server({ mutual: true });
    const good = await client(pki.client);
    expect((await ping(good, s.t.local.port)).status).toBe(200);
    const files = which ? pki[which] : undefined;
    const bad = tls.connect({
      host: '127.0.0.1', port: s.t.local.port, ca: pem(pki.ca), minVersion: 'TLSv1.2',
      ...(files ? { cert: pem(files.cert), key: pem(files.key) } : {}),
    });
    bad.on('error', () => undefined);
    bad.write(options(s.t.local.port).method);
    await closed(bad);
    await until(() => s.errors.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(s.errors).toHaveLength(1);
    expect(s.errors[0]!.message).toMatch(line);
    expect((await ping(good, s.t.local.port)).status).toBe(200);
  });

  it('certificateNames: CN then SAN DNS and IP entries, lower case, once each', () => {
    expect(certificateNames({ subject: { CN: 'GW1.Example.com' } as tls.Certificate, subjectaltname: 'DNS:gw1.example.com, IP Address:10.0.0.5, email:a@b' }))
      .toEqual(['gw1.example.com', '10.0.0.5']);
    expect(certificateNames({ subject: {} as tls.Certificate, subjectaltname: undefined as unknown as string })).toEqual([]);
  });
});
