/**
 * The RTP I/O engine on its real native I/O thread, on 127.0.0.1 with ports chosen by the system. No
 * timing is asserted (that is bench/rtp-pacing.bench.ts): order, delivery both ways, RTCP, multiplexing,
 * errors, close.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as dgram from 'node:dgram';
import { availableParallelism } from 'node:os';
import { RealClock } from '../../../src/util/clock.js';
import { RtpIoEngine } from '../../../src/rtp/io-engine.js';
import { nativeRtpIoUnavailable } from '../../../src/rtp/io-native.js';
import { RtpSocketError } from '../../../src/rtp/socket.js';

const clock = new RealClock();

describe('RtpIoEngine', () => {
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
    expect(nativeRtpIoUnavailable()).toBeUndefined(); // npm install builds it
    engine = await RtpIoEngine.start({ clock, leadMs: 40 });
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

    it('a pair closed with packets still waiting for their deadlines sends them first (they were counted as sent)', async () => {
      atPeer.length = 0;
      const pair = await engine.open({ address: '127.0.0.1', port: 0 });
      const t = clock.now();
      for (let i = 0; i < 4; i++) pair.rtpSendSocket.sendAt!(Buffer.from(`queued${i}`), peerPort, '127.0.0.1', t + 20 + 20 * i);
      await pair.close();
      await waitFor(() => atPeer.length >= 4);
      expect(atPeer.map((p) => p.data)).toEqual(['queued0', 'queued1', 'queued2', 'queued3']);
      pair.rtpSendSocket.sendAt!(Buffer.from('after close'), peerPort, '127.0.0.1', clock.now());
      await new Promise((r) => setTimeout(r, 50));
      expect(atPeer).toHaveLength(4);
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
      const stats = engine.stats();
      expect(stats.received).toBeGreaterThanOrEqual(6);
      await pair.close();
    });

    it('gives each received datagram the time the I/O thread read it, not when the busy main thread got to it', async () => {
      const pair = await engine.open({ address: '127.0.0.1', port: 0 });
      const got: { at: number | undefined; handled: number }[] = [];
      let wake: (() => void) | undefined;
      pair.onRtp((_d, _from, atMs) => {
        got.push({ at: atMs, handled: clock.now() });
        wake?.();
      });
      const sentAt = clock.now();
      await new Promise<void>((resolve) => peer.send('late', pair.rtpPort, '127.0.0.1', () => resolve())); // on the wire
      // The main thread is busy for 500 ms while the datagram waits: its arrival must not move with us.
      const busyUntil = clock.now() + 500;
      while (clock.now() < busyUntil) { /* a stalled event loop */ }
      await new Promise<void>((resolve) => {
        wake = () => got.length >= 1 && resolve();
        wake();
      });
      const { at, handled } = got[0]!;
      expect(at).toBeDefined();
      expect(at!).toBeGreaterThanOrEqual(sentAt - 5); // the two clocks agree within their sync's error
      expect(at!).toBeLessThan(busyUntil);
      expect(handled).toBeGreaterThanOrEqual(busyUntil);
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

    it('frees the ports when a pair closes, and drops what was still queued for it when asked to', async () => {
      atPeer.length = 0;
      const pair = await engine.open({ address: '127.0.0.1', port: 0 });
      const { rtpPort, rtcpPort } = pair;
      pair.rtpSendSocket.sendAt!(Buffer.from('never'), peerPort, '127.0.0.1', clock.now() + 200);
      await pair.close({ dropQueued: true });
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

    it('closing the engine while a pair is closing after its last packets sends them first (the CLI closes the phone right after a call)', async () => {
      const own = await RtpIoEngine.start({ clock, leadMs: 40 });
      const got: string[] = [];
      const listener = dgram.createSocket('udp4');
      listener.on('message', (m) => got.push(m.toString()));
      await new Promise<void>((r) => listener.bind(0, '127.0.0.1', r));
      try {
        const pair = await own.open({ address: '127.0.0.1', port: 0 });
        pair.rtpSendSocket.sendAt!(Buffer.from('last'), listener.address().port, '127.0.0.1', clock.now() + 60);
        void pair.close();
        await own.close();
        await new Promise((r) => setTimeout(r, 50));
        expect(got).toEqual(['last']);
      } finally {
        listener.close();
      }
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

// The native thread's hedge (native/hedge.h): a second thread races the I/O thread for every packet while the
// engine carries few pairs. What can go wrong is a packet sent twice, lost, or sent after its pair closed.
describe('RtpIoEngine, the hedge', () => {
  const twoCpus = availableParallelism() >= 2;
  let peer: dgram.Socket;
  let peerPort: number;
  const atPeer: { data: string; port: number }[] = [];

  beforeAll(async () => {
    peer = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 22 });
    peer.on('message', (m, r) => atPeer.push({ data: m.toString(), port: r.port }));
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
    peerPort = peer.address().port;
  });
  afterAll(() => peer.close());

  async function run(engine: RtpIoEngine, pairs: number, count: number, stepMs: number) {
    atPeer.length = 0;
    const open = await Promise.all(Array.from({ length: pairs }, () => engine.open({ address: '127.0.0.1', port: 0, rtcpMux: true })));
    const before = engine.stats();
    const t = clock.now() + 5;
    for (let i = 0; i < count; i++) open[i % pairs]!.rtpSendSocket.sendAt!(Buffer.from(`h${i}`), peerPort, '127.0.0.1', t + i * stepMs);
    await vi.waitFor(() => expect(atPeer.length).toBeGreaterThanOrEqual(count), { timeout: 10_000, interval: 20 });
    await new Promise((r) => setTimeout(r, 50)); // a duplicate would arrive within this
    const after = engine.stats();
    await Promise.all(open.map((p) => p.close()));
    return { open, delivered: after.delivered - before.delivered, hedged: after.hedged - before.hedged };
  }

  it('sends every packet exactly once, in order, whichever thread reaches it first (and the hedge wins some)', async () => {
    const engine = await RtpIoEngine.start({ clock, leadMs: 40 });
    try {
      const { open, delivered, hedged } = await run(engine, 2, 300, 1);
      expect(atPeer.length).toBe(300);
      for (const [k, pair] of open.entries()) {
        const mine = atPeer.filter((a) => a.port === pair.rtpPort).map((a) => Number(a.data.slice(1)));
        expect(mine).toEqual(Array.from({ length: 150 }, (_, j) => j * 2 + k));
      }
      expect(delivered).toBe(300);
      if (twoCpus) expect(hedged).toBeGreaterThan(0);
      expect(hedged).toBeLessThanOrEqual(300);
    } finally {
      await engine.close();
    }
  });

  it('stays out of it above hedgePairs pairs and when hedgePairs is 0, and comes back below', async () => {
    const engine = await RtpIoEngine.start({ clock, leadMs: 40 });
    const off = await RtpIoEngine.start({ clock, leadMs: 40, settings: { hedgePairs: 0 } });
    try {
      const many = await run(engine, 5, 200, 1); // the default is 4 pairs
      expect(atPeer.length).toBe(200);
      expect(many.hedged).toBe(0);
      // back to one pair: the hedge thread (stopped at 5 pairs, started and stopped again as they closed)
      // starts once more, and still nothing goes out twice
      const again = await run(engine, 1, 100, 1);
      expect(atPeer.map((a) => a.data)).toEqual(Array.from({ length: 100 }, (_, i) => `h${i}`));
      expect(again.delivered).toBe(100);
      if (twoCpus) expect(again.hedged).toBeGreaterThan(0);
      const none = await run(off, 1, 100, 1);
      expect(atPeer.map((a) => a.data)).toEqual(Array.from({ length: 100 }, (_, i) => `h${i}`));
      expect(none.hedged).toBe(0);
    } finally {
      await Promise.all([engine.close(), off.close()]);
    }
  });

  it('sends nothing for a pair once it has closed, and goes on for the others', async () => {
    const engine = await RtpIoEngine.start({ clock, leadMs: 40 });
    try {
      atPeer.length = 0;
      const [a, b] = await Promise.all([0, 1].map(() => engine.open({ address: '127.0.0.1', port: 0, rtcpMux: true })));
      const t = clock.now() + 5;
      for (let i = 0; i < 200; i++) {
        a!.rtpSendSocket.sendAt!(Buffer.from(`a${i}`), peerPort, '127.0.0.1', t + i);
        b!.rtpSendSocket.sendAt!(Buffer.from(`b${i}`), peerPort, '127.0.0.1', t + i + 0.5);
      }
      await vi.waitFor(() => expect(atPeer.length).toBeGreaterThanOrEqual(40), { timeout: 10_000, interval: 5 });
      await a!.close({ dropQueued: true });
      await new Promise((r) => setTimeout(r, 30)); // what was sent before the close reaches the peer's handler
      const fromA = atPeer.filter((x) => x.data.startsWith('a')).length;
      await vi.waitFor(() => expect(atPeer.filter((x) => x.data === 'b199')).toHaveLength(1), { timeout: 10_000, interval: 20 });
      await new Promise((r) => setTimeout(r, 50));
      const aSeen = atPeer.filter((x) => x.data.startsWith('a')).map((x) => x.data);
      expect(aSeen).toEqual(Array.from({ length: fromA }, (_, i) => `a${i}`)); // none after close, none twice
      expect(fromA).toBeLessThan(200);
      expect(atPeer.filter((x) => x.data.startsWith('b')).map((x) => x.data)).toEqual(Array.from({ length: 200 }, (_, i) => `b${i}`));
      await b!.close();
    } finally {
      await engine.close();
    }
  });

  it("reports a send error once, whichever thread's send failed", async () => {
    const engine = await RtpIoEngine.start({ clock, leadMs: 40 });
    try {
      const pair = await engine.open({ address: '127.0.0.1', port: 0 });
      const errors: Error[] = [];
      pair.onError((e) => errors.push(e));
      const t = clock.now() + 5;
      // a broadcast without SO_BROADCAST: EACCES from sendto
      for (let i = 0; i < 40; i++) pair.rtpSendSocket.sendAt!(Buffer.from('x'), 9, '255.255.255.255', t + i);
      await vi.waitFor(() => expect(errors).toHaveLength(1), { timeout: 5000, interval: 20 });
      await new Promise((r) => setTimeout(r, 100));
      expect(errors).toHaveLength(1);
      expect((errors[0] as NodeJS.ErrnoException).code).toBe('EACCES');
      await pair.close();
    } finally {
      await engine.close();
    }
  });
});
