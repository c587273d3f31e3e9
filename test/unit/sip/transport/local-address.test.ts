/**
 * Which of our addresses a peer sees (local-address.ts): an advertised address wins, a specific bind is
 * itself, a wildcard bind gives the address the peer's message arrived at, else the one learned for the
 * peer, else the fallback; learned addresses expire, the table is bounded, the UDP route probe is asked
 * once per peer however many datagrams wait for it. Plus the real probe and the transports bound to
 * 0.0.0.0: the local address each message arrived at is 127.0.0.1, never the wildcard.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, RealClock } from '../../../../src/util/clock.js';
import { isWildcard, LocalAddresses, localAddressFor } from '../../../../src/sip/transport/local-address.js';
import { UdpTransport } from '../../../../src/sip/transport/udp.js';
import { TcpTransport } from '../../../../src/sip/transport/tcp.js';
import type { MessageSource } from '../../../../src/sip/transport/transport.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

describe('isWildcard', () => {
  it.each([
    ['0.0.0.0', true], ['::', true], ['[::]', true], ['0:0:0:0:0:0:0:0', true],
    ['127.0.0.1', false], ['10.0.0.7', false], ['::1', false], ['fe80::1', false], ['host.example', false],
  ])('%s → %s', (address, want) => {
    expect(isWildcard(address)).toBe(want);
  });
});

describe('LocalAddresses.forPeer', () => {
  const clock = new ManualClock();
  it.each([
    ['advertise wins over a specific bind', { bind: '10.0.0.7', advertise: '198.51.100.4' }, '203.0.113.9', '10.0.0.7', '198.51.100.4'],
    ['advertise wins over a wildcard bind', { bind: '0.0.0.0', advertise: '198.51.100.4' }, '203.0.113.9', '10.0.0.7', '198.51.100.4'],
    ['a specific bind is itself', { bind: '10.0.0.7' }, '203.0.113.9', undefined, '10.0.0.7'],
    ['wildcard: where the message arrived', { bind: '0.0.0.0', fallback: '10.0.0.1' }, '203.0.113.9', '10.0.0.7', '10.0.0.7'],
    ['wildcard: a wildcard arrival is no answer', { bind: '0.0.0.0', fallback: '10.0.0.1' }, '203.0.113.9', '0.0.0.0', '10.0.0.1'],
    ['wildcard, peer unknown: the fallback', { bind: '0.0.0.0', fallback: '10.0.0.1' }, '203.0.113.9', undefined, '10.0.0.1'],
    ['wildcard, no peer: the fallback', { bind: '0.0.0.0', fallback: '10.0.0.1' }, undefined, undefined, '10.0.0.1'],
    ['wildcard, no fallback given: loopback', { bind: '0.0.0.0' }, undefined, undefined, '127.0.0.1'],
    ['IPv6 wildcard, no fallback given: ::1', { bind: '::' }, undefined, undefined, '::1'],
  ] as const)('%s', (_name, opts, peer, arrivedAt, want) => {
    const a = new LocalAddresses({ clock, ...opts });
    expect(a.forPeer(peer, arrivedAt)).toBe(want);
    expect(a.forPeer(peer, arrivedAt)).not.toBe('0.0.0.0');
  });

  it('perPeer only for a wildcard bind with nothing advertised', () => {
    expect(new LocalAddresses({ clock, bind: '0.0.0.0' }).perPeer).toBe(true);
    expect(new LocalAddresses({ clock, bind: '0.0.0.0', advertise: '192.0.2.10' }).perPeer).toBe(false);
    expect(new LocalAddresses({ clock, bind: '10.0.0.7' }).perPeer).toBe(false);
  });

  it('remembers where each peer reached us (note), for the requests we send it later', () => {
    const a = new LocalAddresses({ clock, bind: '0.0.0.0', fallback: '10.0.0.1' });
    a.note('203.0.113.9', '10.0.0.7');
    a.note('198.51.100.20', '172.16.0.3');
    a.note('192.0.2.50', '0.0.0.0'); // a wildcard teaches nothing
    expect(a.forPeer('203.0.113.9')).toBe('10.0.0.7');
    expect(a.forPeer('198.51.100.20')).toBe('172.16.0.3');
    expect(a.forPeer('192.0.2.50')).toBe('10.0.0.1');
  });

  it('forgets a learned address after ttlMs (routes and interfaces change)', () => {
    const c = new ManualClock();
    const a = new LocalAddresses({ clock: c, bind: '0.0.0.0', fallback: '10.0.0.1', ttlMs: 60_000 });
    a.note('203.0.113.9', '10.0.0.7');
    c.advance(60_000);
    expect(a.forPeer('203.0.113.9')).toBe('10.0.0.7');
    c.advance(1);
    expect(a.forPeer('203.0.113.9')).toBe('10.0.0.1');
  });

  it('keeps at most 1024 peers, dropping the oldest', () => {
    const a = new LocalAddresses({ clock, bind: '0.0.0.0', fallback: '10.0.0.1' });
    for (let i = 0; i <= 1024; i++) a.note(`10.1.${i >> 8}.${i & 255}`, '10.0.0.7');
    expect(a.forPeer('10.1.0.0')).toBe('10.0.0.1');
    expect(a.forPeer('10.1.0.1')).toBe('10.0.0.7');
    expect(a.forPeer('10.1.4.0')).toBe('10.0.0.7');
  });
});

describe('LocalAddresses.arrivedFrom (UDP on a wildcard)', () => {
  it('asks the route once per peer: datagrams arriving meanwhile wait on the same answer, later ones get it at once', async () => {
    const asked: string[] = [];
    let answer!: (a: string) => void;
    const a = new LocalAddresses({
      clock: new ManualClock(), bind: '0.0.0.0',
      route: (peer) => { asked.push(peer); return new Promise((r) => { answer = r; }); },
    });
    const first = a.arrivedFrom('203.0.113.9');
    const second = a.arrivedFrom('203.0.113.9');
    expect(first).toBeInstanceOf(Promise);
    expect(second).toBe(first);
    answer('10.0.0.7');
    expect(await first).toBe('10.0.0.7');
    expect(a.arrivedFrom('203.0.113.9')).toBe('10.0.0.7');
    expect(a.forPeer('203.0.113.9')).toBe('10.0.0.7');
    expect(asked).toEqual(['203.0.113.9']);
  });

  it('without a route: the fallback, and the next datagram asks again', async () => {
    let calls = 0;
    const a = new LocalAddresses({
      clock: new ManualClock(), bind: '0.0.0.0', fallback: '10.0.0.1',
      route: () => { calls++; return Promise.reject(new Error('ENETUNREACH')); },
    });
    expect(await a.arrivedFrom('203.0.113.9')).toBe('10.0.0.1');
    expect(await a.arrivedFrom('203.0.113.9')).toBe('10.0.0.1');
    expect(calls).toBe(2);
  });

  it('a specific bind is the answer at once, without asking', () => {
    const a = new LocalAddresses({ clock: new ManualClock(), bind: '10.0.0.7', route: () => Promise.reject(new Error('not asked')) });
    expect(a.arrivedFrom('203.0.113.9')).toBe('10.0.0.7');
  });
});

describe('the route probe and the transports bound to 0.0.0.0 (real sockets)', () => {
  it('localAddressFor(127.0.0.1) is 127.0.0.1', async () => {
    expect(await localAddressFor('127.0.0.1')).toBe('127.0.0.1');
  });

  it('UDP: a datagram from 127.0.0.1 arrived at 127.0.0.1, and two in a row keep their order', async () => {
    const t = await UdpTransport.listen({ clock: new ManualClock(), address: '0.0.0.0' });
    open.push(t);
    expect(t.local.address).toBe('0.0.0.0');
    const got: Array<[string, MessageSource]> = [];
    t.onMessage((m, s) => got.push([m.kind === 'request' ? m.headers.get('CSeq')! : '', s]));
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    open.push({ close: () => new Promise<void>((r) => peer.close(() => r())) });
    peer.send(options(1), t.local.port, '127.0.0.1');
    peer.send(options(2), t.local.port, '127.0.0.1');
    await until(() => got.length === 2);
    expect(got.map(([cseq]) => cseq)).toEqual(['1 OPTIONS', '2 OPTIONS']);
    for (const [, s] of got) expect(s.local).toEqual({ address: '127.0.0.1', port: t.local.port });
  });

  it('TCP: a connection to 127.0.0.1 arrived at 127.0.0.1', async () => {
    const t = await TcpTransport.listen({ clock: new ManualClock(), address: '0.0.0.0' });
    open.push(t);
    let source: MessageSource | undefined;
    t.onMessage((_m, s) => { source = s; });
    const client = net.connect(t.local.port, '127.0.0.1');
    open.push({ close: () => client.destroy() });
    client.write(options(1));
    await until(() => source !== undefined);
    expect(source!.local).toEqual({ address: '127.0.0.1', port: t.local.port });
  });
});

function options(cseq: number): Buffer {
  return Buffer.from(
    `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK${cseq}\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c1\r\nCSeq: ${cseq} OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setImmediate(r));
  const clock = new RealClock();
  for (let i = 0; i < 200 && !cond(); i++) await new Promise<void>((r) => clock.setTimeout(r, 10));
  expect(cond()).toBe(true);
}
