/**
 * The RTP I/O engine with its real worker thread, on 127.0.0.1 with ports chosen by the system. No
 * timing is asserted (that is bench/rtp-pacing.bench.ts): order, delivery both ways, RTCP, close.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as dgram from 'node:dgram';
import { RealClock } from '../../../src/util/clock.js';
import { RtpIoEngine } from '../../../src/rtp/io-engine.js';
import { RtpSocketError } from '../../../src/rtp/socket.js';
import { rtpEngineMode, RtpEngineModeError } from '../../../src/rtp/rtp-transport.js';

const clock = new RealClock();
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
  engine = await RtpIoEngine.start({ clock, leadMs: 40 });
  peer = dgram.createSocket('udp4');
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

describe('RtpIoEngine', () => {
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
});

describe('rtpEngineMode', () => {
  it('reads UMPHONE_RTP_ENGINE', () => {
    expect(rtpEngineMode({})).toBe('main');
    expect(rtpEngineMode({ UMPHONE_RTP_ENGINE: 'Main' })).toBe('main');
    expect(rtpEngineMode({ UMPHONE_RTP_ENGINE: 'worker' })).toBe('worker');
    expect(() => rtpEngineMode({ UMPHONE_RTP_ENGINE: 'fast' })).toThrow(RtpEngineModeError);
  });
});
