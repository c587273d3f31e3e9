/**
 * The native I/O thread's typed interface (io-native.ts over native/binding.cc), on 127.0.0.1: binding
 * pairs, the errors a bind can meet, closing, stopping. What travels through it is io-engine.test.ts.
 */
import { describe, expect, it } from 'vitest';
import * as dgram from 'node:dgram';
import { BatchReader, BatchWriter, CHANNEL_RTP } from '../../../src/rtp/io-batch.js';
import { NativeIoThread, nativeRtpIoUnavailable, type NativeIoSettings } from '../../../src/rtp/io-native.js';

const settings: NativeIoSettings = { flushMs: 2, spinMs: 0.15, hedgePairs: 0, hedgeSpinMs: 0.5, recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 };
const exact = (port: number) => ({ address: '127.0.0.1', port, portRange: { min: 16384, max: 32767 }, attempts: 50, rtcpMux: false, random: 0.5 });

function start(received: ArrayBuffer[] = []): NativeIoThread {
  return NativeIoThread.start(settings, { received: (b) => received.push(b), error: () => undefined });
}

describe('NativeIoThread', () => {
  it('is available where npm install built it', () => {
    expect(nativeRtpIoUnavailable()).toBeUndefined();
  });

  it('binds RTP on an even port and RTCP on the next, and frees both when the pair closes', async () => {
    const t = start();
    try {
      const pair = await t.openPair({ ...exact(0), port: undefined, portRange: { min: 40000, max: 40999 } });
      expect(pair.rtpPort % 2).toBe(0);
      expect(pair.rtcpPort).toBe(pair.rtpPort + 1);
      expect(t.stats().sockets).toBe(1);
      await t.closePair(pair.id);
      expect(t.stats().sockets).toBe(0);
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(pair.rtpPort, '127.0.0.1', resolve);
      });
      s.close();
    } finally {
      await t.stop();
    }
  });

  it('refuses an exact port that is taken with the system\'s code, and an address that is not an IP literal', async () => {
    const t = start();
    const taken = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => taken.bind(0, '127.0.0.1', resolve));
    try {
      await expect(t.openPair(exact(taken.address().port))).rejects.toMatchObject({ code: 'EADDRINUSE' });
      await expect(t.openPair({ ...exact(0), address: 'localhost' })).rejects.toMatchObject({ code: 'EINVAL' });
      expect(t.stats().sockets).toBe(0);
    } finally {
      taken.close();
      await t.stop();
    }
  });

  it('hands over what was received before stop, then refuses new pairs; a second stop is harmless', async () => {
    const received: ArrayBuffer[] = [];
    const t = start(received);
    const pair = await t.openPair({ ...exact(0), rtcpMux: true });
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => peer.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => peer.send(Buffer.from([0x80, 0, 0, 1]), pair.rtpPort, '127.0.0.1', () => resolve()));
    for (let i = 0; i < 100 && t.stats().received === 0; i++) await new Promise((r) => setTimeout(r, 5));
    await t.stop();
    await t.stop();
    peer.close();
    const records: number[] = [];
    for (const b of received) new BatchReader().read(b, (r) => records.push(r.channel));
    expect(records).toEqual([CHANNEL_RTP]);
    await expect(t.openPair(exact(0))).rejects.toThrow(/stopped/);
    t.send(new BatchWriter().take() ?? new ArrayBuffer(0)); // ignored, not a crash
  });
});
