/**
 * The RTP I/O engine with each of its real I/O threads (the JavaScript worker and the native C++ thread),
 * on 127.0.0.1 with ports chosen by the system. No timing is asserted (that is
 * bench/rtp-pacing.bench.ts): order, delivery both ways, RTCP, multiplexing, errors, close.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as dgram from 'node:dgram';
import { RealClock } from '../../../src/util/clock.js';
import { RtpIoEngine } from '../../../src/rtp/io-engine.js';
import { nativeRtpIoUnavailable } from '../../../src/rtp/io-native.js';
import { RtpSocketError } from '../../../src/rtp/socket.js';
import { rtpEngineMode, RtpEngineModeError } from '../../../src/rtp/rtp-transport.js';

const clock = new RealClock();

describe.each(['worker', 'native'] as const)('RtpIoEngine, %s thread', (thread) => {
  let engine: RtpIoEngine;
  let peer: dgram.Socket;
  let peerPort: number;
  const atPeer: { data: string; port: number }[] = [];
  let notify: (() => void) | undefined;

  function waitFor(cond: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = (): void => {
        if (cond()) resolve();
        else notify = check;
      };
      check();
    });
  }

  beforeAll(async () => {
    if (thread === 'native') expect(nativeRtpIoUnavailable()).toBeUndefined(); // npm install builds it
    engine = await RtpIoEngine.start({ clock, leadMs: 40, thread });
    peer = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 23 });
    peer.on('message', (m, r) => {
      atPeer.push({ data: m.toString(), port: r.port });
      notify?.();
    });
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    peerPort = peer.address().port;
  });

  afterAll(async () => {
    await engine.close();
    peer.close();
  });

  describe('sockets', () => {
    it('opens an RTP/RTCP pair on consecutive ports and refuses an odd port', async () => {
      const pair = await engine.open({ address: '127.0.0.1', portRange: { min: 30000, max: 39999 } });
      expect(pair.rtpPort % 2).toBe(0);
      expect(pair.rtcpPort).toBe(pair.rtpPort + 1);
      expect(pair.rtpSendSocket.leadMs).toBe(40);
      await pair.close();
      await expect(engine.open({ address: '127.0.0.1', port: 30001 })).rejects.toBeInstanceOf(RtpSocketError);
    });

    it('sends packets in deadline order from the RTP port, and sends RTCP from the RTCP port', async () => {
      atPeer.length = 0;
      const pair = await engine.open({ address: '127.0.0.1', port: 0 });
      const t = clock.now();
      pair.rtpSendSocket.sendAt!(Buffer.from('second'), peerPort, '127.0.0.1', t + 30);
      pair.rtpSendSocket.sendAt!(Buffer.from('first'), peerPort, '127.0.0.1', t + 10);
      pair.sendRtcp(Buffer.from('rtcp'), '127.0.0.1', peerPort);
      await waitFor(() => atPeer.length >= 3);
      expect(atPeer).toEqual([
        { data: 'rtcp', port: pair.rtcpPort },
        { data: 'first', port: pair.rtpPort },
        { data: 'second', port: pair.rtpPort },
      ]);
      await pair.close();
    });

    it('hands received datagrams to onRtp / onRtcp with their source, in order', async () => {
      const pair = await engine.open({ address: '127.0.0.1', port: 0 });
      const got: string[] = [];
      let wake: (() => void) | undefined;
      pair.onRtp((d, from) => {
        got.push(`rtp:${d.toString()}:${from.port}`);
        wake?.();
      });
      pair.onRtcp((d, from) => {
        got.push(`rtcp:${d.toString()}:${from.port}`);
        wake?.();
      });
      for (let i = 0; i < 5; i++) peer.send(`p${i}`, pair.rtpPort, '127.0.0.1');
      peer.send('r', pair.rtcpPort, '127.0.0.1');
      await new Promise<void>((resolve) => {
        wake = () => got.length >= 6 && resolve();
      });
      expect(got.filter((g) => g.startsWith('rtp:'))).toEqual([0, 1, 2, 3, 4].map((i) => `rtp:p${i}:${peerPort}`));
      expect(got).toContain(`rtcp:r:${peerPort}`);
      const stats = await engine.stats();
      expect(stats.received).toBeGreaterThanOrEqual(6);
      await pair.close();
    });

    it('multiplexes RTCP on the RTP port (RFC 5761): both directions on one port, RTCP told apart by its type', async () => {
      atPeer.length = 0;
      const pair = await engine.open({ address: '127.0.0.1', port: 0, rtcpMux: true });
      expect(pair.rtcpPort).toBe(pair.rtpPort);
      const got: string[] = [];
      let wake: (() => void) | undefined;
      pair.onRtp((d) => (got.push(`rtp:${d[1]}`), wake?.()));
      pair.onRtcp((d) => (got.push(`rtcp:${d[1]}`), wake?.()));
      const rtp = Buffer.from([0x80, 0x00, 0, 1]); // PT 0
      const sr = Buffer.from([0x80, 200, 0, 6]); // RTCP SR
      peer.send(rtp, pair.rtpPort, '127.0.0.1');
      peer.send(sr, pair.rtpPort, '127.0.0.1');
      await new Promise<void>((resolve) => {
        wake = () => got.length >= 2 && resolve();
      });
      expect(got).toEqual(['rtp:0', 'rtcp:200']);
      pair.sendRtcp(Buffer.from('rtcp-out'), '127.0.0.1', peerPort);
      await waitFor(() => atPeer.length >= 1);
      expect(atPeer[0]).toEqual({ data: 'rtcp-out', port: pair.rtpPort });
      await pair.close();
    });

    it('carries 3000 packets each way through 10 pairs without losing or reordering one', async () => {
      atPeer.length = 0;
      const pairs = await Promise.all(Array.from({ length: 10 }, () => engine.open({ address: '127.0.0.1', port: 0, rtcpMux: true })));
      const t = clock.now() + 5;
      for (let i = 0; i < 3000; i++) pairs[i % 10]!.rtpSendSocket.sendAt!(Buffer.from(`o${i}`), peerPort, '127.0.0.1', t + Math.floor(i / 10) * 0.5);
      await waitFor(() => atPeer.length >= 3000);
      for (const [k, pair] of pairs.entries()) {
        const mine = atPeer.filter((a) => a.port === pair.rtpPort).map((a) => Number(a.data.slice(1)));
        expect(mine).toEqual(Array.from({ length: 300 }, (_, j) => j * 10 + k));
      }
      const got = new Map(pairs.map((p) => [p, [] as number[]]));
      let total = 0;
      let wake: (() => void) | undefined;
      for (const p of pairs) p.onRtp((d) => (got.get(p)!.push(d.readUInt16BE(2)), total++, wake?.()));
      const sender = dgram.createSocket({ type: 'udp4', sendBufferSize: 1 << 22 });
      await new Promise<void>((r) => sender.bind(0, '127.0.0.1', r));
      for (let i = 0; i < 3000; i++) {
        const b = Buffer.alloc(172);
        b[0] = 0x80;
        b.writeUInt16BE(i, 2);
        sender.send(b, pairs[i % 10]!.rtpPort, '127.0.0.1');
        if (i % 200 === 199) await new Promise((r) => setImmediate(r)); // within the sockets' buffers
      }
      await new Promise<void>((resolve) => {
        wake = () => total >= 3000 && resolve();
        wake();
      });
      for (const [k, p] of pairs.entries()) expect(got.get(p)).toEqual(Array.from({ length: 300 }, (_, j) => j * 10 + k));
      sender.close();
      await Promise.all(pairs.map((p) => p.close()));
    });

    it('frees the ports when a pair closes, and drops what was still queued for it', async () => {
      atPeer.length = 0;
      const pair = await engine.open({ address: '127.0.0.1', port: 0 });
      const { rtpPort, rtcpPort } = pair;
      pair.rtpSendSocket.sendAt!(Buffer.from('never'), peerPort, '127.0.0.1', clock.now() + 200);
      await pair.close();
      for (const port of [rtpPort, rtcpPort]) {
        const s = dgram.createSocket('udp4');
        await new Promise<void>((resolve, reject) => {
          s.once('error', reject);
          s.bind(port, '127.0.0.1', resolve);
        });
        s.close();
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(atPeer).toEqual([]);
    });

    it('reports a send to something that is not an IP literal through onError, and keeps working', async () => {
      atPeer.length = 0;
      const pair = await engine.open({ address: '127.0.0.1', port: 0 });
      const errors: Error[] = [];
      pair.onError((e) => errors.push(e));
      pair.rtpSendSocket.sendAt!(Buffer.from('bad'), peerPort, 'not-an-address.invalid', clock.now());
      pair.rtpSendSocket.sendAt!(Buffer.from('good'), peerPort, '127.0.0.1', clock.now() + 1);
      await waitFor(() => atPeer.length >= 1);
      expect(atPeer).toEqual([{ data: 'good', port: pair.rtpPort }]);
      await vi.waitFor(() => expect(errors.map((e) => e.message).join()).toMatch(/not-an-address.invalid: not an IP address/));
      await pair.close();
    });
  });
});

describe('rtpEngineMode', () => {
  it('reads UMPHONE_RTP_ENGINE', () => {
    expect(rtpEngineMode({})).toBe('main');
    expect(rtpEngineMode({ UMPHONE_RTP_ENGINE: 'Main' })).toBe('main');
    expect(rtpEngineMode({ UMPHONE_RTP_ENGINE: 'worker' })).toBe('worker');
    expect(rtpEngineMode({ UMPHONE_RTP_ENGINE: ' native ' })).toBe('native');
    expect(() => rtpEngineMode({ UMPHONE_RTP_ENGINE: 'fast' })).toThrow(RtpEngineModeError);
  });
});
