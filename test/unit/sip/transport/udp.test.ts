import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/util/clock.js';
import { createResponse, parseMessage, type SipMessage, type SipRequest } from '../../../../src/sip/message/index.js';
import { UdpTransport } from '../../../../src/sip/transport/udp.js';
import { tooLargeForUdp, type MessageSource } from '../../../../src/sip/transport/transport.js';
import { responseTarget } from '../../../../src/sip/transport/via-processing.js';
import { parseVia } from '../../../../src/sip/message/index.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function rawSocket(): Promise<{ socket: dgram.Socket; port: number; next(): Promise<Buffer> }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  open.push({ close: () => new Promise<void>((r) => socket.close(() => r())) });
  const queue: Buffer[] = [];
  const waiters: Array<(b: Buffer) => void> = [];
  socket.on('message', (b) => (waiters.length ? waiters.shift()!(b) : queue.push(b)));
  return {
    socket,
    port: socket.address().port,
    next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r))),
  };
}

const options = (via: string) =>
  Buffer.from(
    `OPTIONS sip:x@127.0.0.1 SIP/2.0\r\nVia: ${via}\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );

describe('UdpTransport', () => {
  it('binds port 0 and reports the port actually used', async () => {
    const t = await UdpTransport.listen({ clock: new ManualClock(), address: '127.0.0.1', port: 0 });
    open.push(t);
    expect(t.local.address).toBe('127.0.0.1');
    expect(t.local.port).toBeGreaterThan(0);
    expect(t.protocol).toBe('udp');
    expect(t.reliable).toBe(false);
  });

  it('stamps received and rport on the top Via (RFC 3581 §4) and sends the response to them', async () => {
    const t = await UdpTransport.listen({ clock: new ManualClock(), address: '127.0.0.1' });
    open.push(t);
    const peer = await rawSocket();
    const got = new Promise<[SipMessage, MessageSource]>((r) => t.onMessage((m, s) => r([m, s])));
    peer.socket.send(options('SIP/2.0/UDP 10.1.2.3:5099;branch=z9hG4bKa;rport'), t.local.port, '127.0.0.1');
    const [msg, source] = await got;
    const via = msg.headers.get('Via');
    expect(via).toBe(`SIP/2.0/UDP 10.1.2.3:5099;branch=z9hG4bKa;rport=${peer.port};received=127.0.0.1`);
    expect(source).toEqual({ protocol: 'udp', address: '127.0.0.1', port: peer.port, local: t.local });
    const target = responseTarget(parseVia(via!), source);
    expect(target).toEqual({ address: '127.0.0.1', port: peer.port });
    await t.send(createResponse(msg as SipRequest, 200), target);
    const res = parseMessage(await peer.next());
    expect(res.kind === 'response' && res.status).toBe(200);
  });

  it('adds only received when the Via host differs and no rport was asked (§18.2.1)', async () => {
    const t = await UdpTransport.listen({ clock: new ManualClock(), address: '127.0.0.1' });
    open.push(t);
    const peer = await rawSocket();
    const got = new Promise<SipMessage>((r) => t.onMessage((m) => r(m)));
    peer.socket.send(options('SIP/2.0/UDP pc33.example.com;branch=z9hG4bKb'), t.local.port, '127.0.0.1');
    const via = parseVia((await got).headers.get('Via')!);
    expect(via.params.get('received')).toBe('127.0.0.1');
    expect(via.params.has('rport')).toBe(false);
    // §18.2.2: to received, at the sent-by port (default 5060), unless forceRport
    const source: MessageSource = { protocol: 'udp', address: '127.0.0.1', port: 40000, local: t.local };
    expect(responseTarget(via, source)).toEqual({ address: '127.0.0.1', port: 5060 });
    expect(responseTarget(via, source, { forceRport: true })).toEqual({ address: '127.0.0.1', port: 40000 });
  });

  it('leaves the Via alone when it names the source address without rport', async () => {
    const t = await UdpTransport.listen({ clock: new ManualClock(), address: '127.0.0.1' });
    open.push(t);
    const peer = await rawSocket();
    const got = new Promise<SipMessage>((r) => t.onMessage((m) => r(m)));
    peer.socket.send(options(`SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKc`), t.local.port, '127.0.0.1');
    expect((await got).headers.get('Via')).toBe(`SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKc`);
  });

  it('sends maddr responses to maddr (§18.2.2)', () => {
    const via = parseVia('SIP/2.0/UDP h.example.com:5070;branch=z9hG4bKm;maddr=239.1.1.1');
    expect(responseTarget(via, { protocol: 'udp', address: '192.0.2.1', port: 1, local: { address: '0.0.0.0', port: 5060 } })).toEqual({
      address: '239.1.1.1',
      port: 5070,
    });
  });

  it('reports bytes that do not parse with a way to answer, and keeps receiving', async () => {
    const t = await UdpTransport.listen({ clock: new ManualClock(), address: '127.0.0.1' });
    open.push(t);
    const peer = await rawSocket();
    const errors: string[] = [];
    t.onParseError((e) => {
      errors.push(e.error.message);
      void e.respond(Buffer.from('pong'));
    });
    const got = new Promise<SipMessage>((r) => t.onMessage((m) => r(m)));
    peer.socket.send(Buffer.from('garbage\r\n\r\n'), t.local.port, '127.0.0.1');
    expect((await peer.next()).toString()).toBe('pong');
    peer.socket.send(options('SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKd'), t.local.port, '127.0.0.1');
    expect((await got).kind).toBe('request');
    expect(errors).toHaveLength(1);
  });

  it('traces datagrams in and out with the clock\'s wall time', async () => {
    const clock = new ManualClock(0, 1_000);
    const t = await UdpTransport.listen({ clock, address: '127.0.0.1' });
    open.push(t);
    const peer = await rawSocket();
    const traces: string[] = [];
    t.onTrace((e) => traces.push(`${e.direction} ${e.remote.port === peer.port} ${e.timestamp} ${e.bytes.length}`));
    await t.send(Buffer.from('hello'), { address: '127.0.0.1', port: peer.port });
    expect(traces).toEqual(['out true 1000 5']);
  });

  it('rejects a send to an invalid port with a TransportError', async () => {
    const t = await UdpTransport.listen({ clock: new ManualClock(), address: '127.0.0.1' });
    open.push(t);
    await expect(t.send(Buffer.from('x'), { address: '127.0.0.1', port: 0 })).rejects.toThrow(/UDP send to 127.0.0.1:0 failed/);
  });

  it('exposes the RFC 3261 §18.1.1 size check', () => {
    expect(tooLargeForUdp(1300)).toBe(false);
    expect(tooLargeForUdp(1301)).toBe(true);
  });
});
