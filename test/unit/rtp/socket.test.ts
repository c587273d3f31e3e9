import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { RtpSocketError, RtpSocketPair, literalFirstLookup } from '../../../src/rtp/socket.js';
import type { RemoteAddress } from '../../../src/rtp/receiver.js';

const open: RtpSocketPair[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});
async function pair(opts: Parameters<typeof RtpSocketPair.open>[0]) {
  const p = await RtpSocketPair.open(opts);
  open.push(p);
  return p;
}
function next(register: (h: (b: Buffer, from: RemoteAddress) => void) => void): Promise<{ b: Buffer; from: RemoteAddress }> {
  return new Promise((resolve) => register((b, from) => resolve({ b, from })));
}

describe('RtpSocketPair on 127.0.0.1', () => {
  it('binds an even RTP port and RTP + 1 for RTCP in the range, and carries datagrams both ways', async () => {
    const a = await pair({ address: '127.0.0.1', portRange: { min: 20000, max: 40000 } });
    const b = await pair({ address: '127.0.0.1', portRange: { min: 20000, max: 40000 } });
    expect(a.rtpPort % 2).toBe(0);
    expect(a.rtcpPort).toBe(a.rtpPort + 1);
    expect(a.rtpPort).toBeGreaterThanOrEqual(20000);
    expect(a.rtcpPort).toBeLessThanOrEqual(40000);
    const gotRtp = next((h) => b.onRtp(h));
    a.send(Buffer.from('8000000100000000000000aa', 'hex'), '127.0.0.1', b.rtpPort);
    const r = await gotRtp;
    expect(r.b.toString('hex')).toBe('8000000100000000000000aa');
    expect(r.from).toEqual({ address: '127.0.0.1', port: a.rtpPort });
    const gotRtcp = next((h) => a.onRtcp(h));
    b.sendRtcp(Buffer.from('80c9000100000001', 'hex'), '127.0.0.1', a.rtcpPort);
    const c = await gotRtcp;
    expect(c.from).toEqual({ address: '127.0.0.1', port: b.rtcpPort });
    const viaSender = next((h) => b.onRtp(h));
    a.rtpSendSocket.send(Buffer.from('80', 'hex'), b.rtpPort, '127.0.0.1');
    expect((await viaSender).b.toString('hex')).toBe('80');
  });

  it('retries another pair when the chosen one is taken', async () => {
    const first = await pair({ address: '127.0.0.1', portRange: { min: 20000, max: 40000 } });
    const rolls = [((first.rtpPort - 20000) / 2 + 0.5) / 10000, 0.5];
    const second = await pair({ address: '127.0.0.1', portRange: { min: 20000, max: 40000 }, random: () => rolls.shift()! });
    expect(second.rtpPort).toBe(first.rtpPort + 2);
  });

  it('an RTCP port taken by someone else makes it move on', async () => {
    const blocker = createSocket('udp4');
    const blocked = await new Promise<number>((resolve) => blocker.bind(0, '127.0.0.1', () => resolve(blocker.address().port)));
    try {
      if (blocked % 2 === 1) {
        const p = await pair({ address: '127.0.0.1', portRange: { min: blocked - 1, max: blocked + 2 }, random: () => 0 });
        expect(p.rtpPort).toBe(blocked + 1);
      } else {
        const p = await pair({ address: '127.0.0.1', portRange: { min: blocked, max: blocked + 3 }, random: () => 0 });
        expect(p.rtpPort).toBe(blocked + 2);
      }
    } finally {
      blocker.close();
    }
  });

  it('fails with a clear error when the range is exhausted or the port is odd', async () => {
    const a = await pair({ address: '127.0.0.1', portRange: { min: 20000, max: 40000 } });
    await expect(RtpSocketPair.open({ address: '127.0.0.1', portRange: { min: a.rtpPort, max: a.rtpPort + 1 } })).rejects.toThrow(
      new RegExp(`^No free RTP/RTCP port pair in ${a.rtpPort}-${a.rtpPort + 1} on 127\\.0\\.0\\.1 after 1 attempts`),
    );
    await expect(RtpSocketPair.open({ address: '127.0.0.1', port: 20001 })).rejects.toThrow(new RtpSocketError('RTP port 20001 is odd; RFC 3550 §11 wants an even port.'));
  });

  it('rtcp-mux: one socket, RTCP split from RTP by payload type', async () => {
    const a = await pair({ address: '127.0.0.1', port: 0, rtcpMux: true });
    const b = await pair({ address: '127.0.0.1', port: 0 });
    expect(a.rtcpPort).toBe(a.rtpPort);
    const gotRtcp = next((h) => a.onRtcp(h));
    const gotRtp = next((h) => a.onRtp(h));
    b.send(Buffer.from('80c9000100000001', 'hex'), '127.0.0.1', a.rtpPort);
    b.send(Buffer.from('8000000100000000000000aa', 'hex'), '127.0.0.1', a.rtpPort);
    expect((await gotRtcp).b.toString('hex')).toBe('80c9000100000001');
    expect((await gotRtp).b.toString('hex')).toBe('8000000100000000000000aa');
  });
});

describe('literalFirstLookup (the RTP sockets resolve destinations through it)', () => {
  it('answers an IPv4 or IPv6 literal at once, so a packet leaves inside the pacer pass', () => {
    const seen: string[] = [];
    literalFirstLookup('127.0.0.1', 4, (err, address, family) => seen.push(`${err} ${address} ${family}`));
    literalFirstLookup('::1', { family: 6 }, (err, address, family) => seen.push(`${err} ${address} ${family}`));
    expect(seen).toEqual(['null 127.0.0.1 4', 'null ::1 6']);
  });

  it('still resolves a host name (c= may carry one), asynchronously', async () => {
    let sync = true;
    const result = new Promise<string>((resolve) =>
      literalFirstLookup('localhost', 4, (err, address) => {
        expect(sync).toBe(false);
        resolve(err ? `error ${err.code}` : address);
      }),
    );
    sync = false;
    expect(await result).toMatch(/^127\.|^error /);
  });

  it('is what the pair resolves with: RTP reaches a literal address and a host name alike', async () => {
    const sink = createSocket('udp4');
    await new Promise<void>((r) => sink.bind(0, '127.0.0.1', () => r()));
    const got: string[] = [];
    const both = new Promise<void>((r) => sink.on('message', (m) => got.push(m.toString()) === 2 && r()));
    const pair = await RtpSocketPair.open({ address: '127.0.0.1', port: 0, rtcpMux: true });
    const port = (sink.address() as { port: number }).port;
    pair.send(Buffer.from('literal'), '127.0.0.1', port);
    pair.send(Buffer.from('name'), 'localhost', port);
    await both;
    expect(got.sort()).toEqual(['literal', 'name']);
    await pair.close();
    sink.close();
  });
});
