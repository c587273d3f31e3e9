/**
 * A call's SrtpSocket on socket pairs of the native RTP I/O engine, on 127.0.0.1: the I/O thread
 * protects and unprotects (src/rtp/native/srtp.cc), the main thread sees plain RTP. A plain UDP socket
 * stands in the middle, so the test sees the wire: SRTP that the JavaScript receiver opens with the
 * sender's key. Forged and replayed datagrams sent to the pair are dropped there and counted; a rekey
 * carries the ROC. No timing is asserted.
 */
import { randomBytes } from 'node:crypto';
import * as dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SrtpSocket } from '../../../src/phone/call-srtp.js';
import { RtpIoEngine } from '../../../src/rtp/io-engine.js';
import { nativeRtpIoUnavailable } from '../../../src/rtp/io-native.js';
import { writeRtpHeader } from '../../../src/rtp/packet.js';
import { SrtpReceiver } from '../../../src/rtp/srtp/index.js';
import type { SdesKeys } from '../../../src/sdp/index.js';
import { RealClock } from '../../../src/util/clock.js';

const clock = new RealClock();

function keys(): SdesKeys {
  const k = randomBytes(30);
  return { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', key: k.subarray(0, 16), salt: k.subarray(16), encryptRtp: true, encryptRtcp: true };
}

function rtp(seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(172, seq & 0xff);
  writeRtpHeader(b, { payloadType: 0, marker: false, sequence: seq & 0xffff, timestamp: seq * 160, ssrc });
  return b;
}

function rtcp(ssrc: number): Buffer {
  const b = Buffer.alloc(32, 0x5a);
  b.writeUInt16BE(0x81c9, 0);
  b.writeUInt16BE(7, 2);
  b.writeUInt32BE(ssrc, 4);
  return b;
}

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe('SrtpSocket on the native engine', () => {
  let engine: RtpIoEngine;
  let wire: dgram.Socket;
  let wirePort: number;
  const onWire: Buffer[] = [];

  beforeAll(async () => {
    expect(nativeRtpIoUnavailable()).toBeUndefined(); // npm install builds it
    engine = await RtpIoEngine.start({ clock, leadMs: 20 });
    wire = dgram.createSocket('udp4');
    wire.on('message', (m) => onWire.push(m));
    await new Promise<void>((r) => wire.bind(0, '127.0.0.1', r));
    wirePort = wire.address().port;
  });

  afterAll(async () => {
    await engine.close();
    wire.close();
  });

  it('protects on the I/O thread (the wire is SRTP under our key), unprotects what comes back, counts forgeries and replays', async () => {
    const ours = keys();
    const theirs = keys();
    const socket = new SrtpSocket(await engine.open({ address: '127.0.0.1', port: 0 }));
    const got: Buffer[] = [];
    const gotRtcp: Buffer[] = [];
    socket.onRtp((d) => got.push(Buffer.from(d)));
    socket.onRtcp((d) => gotRtcp.push(Buffer.from(d)));
    socket.useKeys({ local: ours, remote: theirs });
    expect(socket.engine).toBe('native');

    // Out: two RTP packets at a deadline and an RTCP report, to the wire socket.
    onWire.length = 0;
    const t = clock.now();
    socket.rtpSendSocket.sendAt!(rtp(65535, 0xaaaa), wirePort, '127.0.0.1', t + 5);
    socket.rtpSendSocket.sendAt!(rtp(0, 0xaaaa), wirePort, '127.0.0.1', t + 10);
    socket.sendRtcp!(rtcp(0xaaaa), '127.0.0.1', wirePort);
    await until('3 datagrams on the wire', () => onWire.length >= 3);
    const rx = new SrtpReceiver(ours, ours);
    const rtcpWire = onWire.find((m) => m[1] === 0xc9)!;
    const rtpWire = onWire.filter((m) => m !== rtcpWire);
    expect(rtpWire.map((m) => m.length)).toEqual([182, 182]);
    const opened = rtpWire.map((m) => rx.unprotectRtp(Buffer.from(m)));
    expect(opened.map((r) => r.ok && r.packet.toString('hex'))).toEqual([rtp(65535, 0xaaaa).toString('hex'), rtp(0, 0xaaaa).toString('hex')]);
    expect(rx.rolloverCounter(0xaaaa)).toBe(1);
    const r = rx.unprotectRtcp(Buffer.from(rtcpWire));
    expect(r.ok && r.packet.toString('hex')).toBe(rtcp(0xaaaa).toString('hex'));

    // In: the peer's SRTP (protected by JavaScript under their key), a forgery and a replay.
    const { SrtpSender } = await import('../../../src/rtp/srtp/index.js');
    const peer = new SrtpSender(theirs, theirs);
    const first = peer.protectRtp(rtp(7, 0xbbbb));
    const forged = Buffer.from(peer.protectRtp(rtp(8, 0xbbbb)));
    forged[30]! ^= 0x01;
    const send = (m: Buffer, port: number): void => {
      wire.send(m, port, '127.0.0.1');
    };
    send(first, socket.rtpPort);
    send(forged, socket.rtpPort);
    send(first, socket.rtpPort);
    send(peer.protectRtp(rtp(9, 0xbbbb)), socket.rtpPort);
    send(peer.protectRtcp(rtcp(0xbbbb)), socket.rtcpPort);
    await until('2 RTP and 1 RTCP delivered', () => got.length >= 2 && gotRtcp.length >= 1);
    await until('the drops counted', () => (socket.summary()?.rtp.dropped ?? 0) >= 2);
    expect(got.map((b) => b.toString('hex'))).toEqual([rtp(7, 0xbbbb).toString('hex'), rtp(9, 0xbbbb).toString('hex')]);
    expect(gotRtcp[0]!.toString('hex')).toBe(rtcp(0xbbbb).toString('hex'));
    expect(socket.summary()).toEqual({
      suite: 'AES_CM_128_HMAC_SHA1_80',
      rtp: { protected: 2, unprotected: 2, authFailures: 1, replays: 1, dropped: 2 },
      rtcp: { protected: 1, unprotected: 1, dropped: 0 },
      rekeys: 0,
      engine: 'native',
    });

    // A plain datagram that is not SRTP at all: dropped too (too short for the tag).
    send(Buffer.from([0x80, 0, 0, 1]), socket.rtpPort);
    await until('the short one counted', () => socket.summary()!.rtp.dropped === 3);

    // Rekey (a re-INVITE with a new a=crypto of ours): the next packet is under the new key, ROC still 1.
    const ours2 = keys();
    socket.useKeys({ local: ours2, remote: theirs });
    onWire.length = 0;
    socket.rtpSendSocket.sendAt!(rtp(1, 0xaaaa), wirePort, '127.0.0.1', clock.now() + 5);
    await until('the packet under the new key', () => onWire.length >= 1);
    expect(rx.unprotectRtp(Buffer.from(onWire[0]!)).ok).toBe(false);
    const rx2 = new SrtpReceiver(ours2, ours2);
    // A receiver that starts at this packet guesses ROC 0; the thread sent it with ROC 1, which the tag covers.
    expect(rx2.unprotectRtp(Buffer.from(onWire[0]!)).ok).toBe(false);
    const rx3 = new SrtpReceiver(ours2, ours2);
    rx3.unprotectRtp(new SrtpSender(ours2).protectRtp(rtp(65535, 0xaaaa))); // teach it ROC 0 / seq 65535
    expect(rx3.unprotectRtp(Buffer.from(onWire[0]!)).ok).toBe(true);
    expect(socket.summary()!.rekeys).toBe(1);

    // Closed: the counters stay readable (the CallSummary is made after the socket closes).
    await socket.close();
    expect(socket.summary()!.rtp.unprotected).toBe(2);
  });

  it('the same socket pair with where: "js" protects in JavaScript (what the main-thread engine does)', async () => {
    const k = keys();
    const socket = new SrtpSocket(await engine.open({ address: '127.0.0.1', port: 0 }), { where: 'js' });
    socket.useKeys({ local: k, remote: k });
    expect(socket.engine).toBe('js');
    onWire.length = 0;
    socket.rtpSendSocket.sendAt!(rtp(3, 0xcccc), wirePort, '127.0.0.1', clock.now() + 5);
    await until('1 datagram', () => onWire.length >= 1);
    const r = new SrtpReceiver(k, k).unprotectRtp(Buffer.from(onWire[0]!));
    expect(r.ok && r.packet.toString('hex')).toBe(rtp(3, 0xcccc).toString('hex'));
    expect(socket.summary()!.engine).toBe('js');
    await socket.close();
  });
});
