/**
 * The native pcap sink (src/rtp/native/pcap-sink.cc, src/rtp/native-pcap.ts): a datagram the I/O thread
 * sends or receives comes back from the file as the very frame the JavaScript framer (ip-frames.ts) builds
 * for it, IPv4 and IPv6; SIP frames from JavaScript go into the same file; past the memory bound records
 * are dropped and counted; and a process that exits without closing still leaves a whole file. And
 * CallCapture's wiring with the native engine: the pair is handed to the I/O thread, not wrapped, and
 * records from the moment the file opens (the Call-ID known).
 */
import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../../src/util/clock.js';
import { RtpIoEngine } from '../../../src/rtp/io-engine.js';
import { nativeRtpIoUnavailable } from '../../../src/rtp/io-native.js';
import { NativePcapFile } from '../../../src/rtp/native-pcap.js';
import { parseIpAddress } from '../../../src/capture/ip-address.js';
import { udpFrame } from '../../../src/capture/ip-frames.js';
import { PCAP_MAGIC_MICROSECONDS, DEFAULT_SNAPLEN, LINKTYPE_ETHERNET } from '../../../src/capture/pcap-format.js';
import { pollUntil } from '../../support/child-process.js';
import { CallCapture } from '../../../src/phone/call-capture.js';
import type { TraceEvent } from '../../../src/sip/transport/transport.js';

const dir = mkdtempSync(join(tmpdir(), 'native-pcap-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Rec {
  wallMs: number;
  included: number;
  original: number;
  frame: Buffer;
}

/** The file's global header checked, then its records. */
function readFile(path: string): Rec[] {
  const b = readFileSync(path);
  expect(b.readUInt32LE(0)).toBe(PCAP_MAGIC_MICROSECONDS);
  expect([b.readUInt16LE(4), b.readUInt16LE(6)]).toEqual([2, 4]);
  expect(b.readUInt32LE(16)).toBe(DEFAULT_SNAPLEN);
  expect(b.readUInt32LE(20)).toBe(LINKTYPE_ETHERNET);
  const out: Rec[] = [];
  let at = 24;
  while (at < b.length) {
    const included = b.readUInt32LE(at + 8);
    out.push({ wallMs: b.readUInt32LE(at) * 1000 + b.readUInt32LE(at + 4) / 1000, included, original: b.readUInt32LE(at + 12), frame: b.subarray(at + 16, at + 16 + included) });
    at += 16 + included;
  }
  expect(at).toBe(b.length); // whole records only
  return out;
}

/** The IP identification a frame carries (IPv4; 0 for IPv6, which has none). */
function ipId(frame: Buffer): number {
  return frame.readUInt16BE(12) === 0x0800 ? frame.readUInt16BE(18) : 0;
}

function rtp(seq: number, size = 172): Buffer {
  const b = Buffer.alloc(size, seq & 0xff);
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(0xabcdef01, 8);
  return b;
}

function bindPeer(address: string): Promise<Socket> {
  const s = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  return new Promise((resolve) => s.bind(0, address, () => resolve(s)));
}

const skip = nativeRtpIoUnavailable();

describe.skipIf(skip !== undefined)('native pcap sink', () => {
  for (const address of ['127.0.0.1', '::1']) {
    it(`records what the I/O thread sends and receives as the JavaScript framer would (${address})`, async () => {
      const engine = await RtpIoEngine.start({ clock: new RealClock() });
      const peer = await bindPeer(address);
      const got: Buffer[] = [];
      peer.on('message', (m) => got.push(m));
      try {
        const pair = await engine.open({ address, port: 0 });
        const inbound: Buffer[] = [];
        pair.onRtp((d) => inbound.push(Buffer.from(d)));
        const path = join(dir, `format-${address.replace(/:/g, '_')}.pcap`);
        const file = NativePcapFile.open(path);
        pair.captureNative(file.handle, address);
        const peerPort = peer.address().port;
        const before = Date.now();
        // One with a deadline (sent at it), one at once, one RTCP, a SIP frame from JavaScript, one back.
        const clock = new RealClock();
        const dueWall = clock.wallNow() + 20;
        pair.rtpSendSocket.sendAt!(rtp(1), peerPort, address, clock.now() + 20);
        pair.send(rtp(2, 13), address, peerPort);
        pair.sendRtcp(Buffer.from([0x80, 200, 0, 1, 1, 2, 3, 4]), address, peerPort);
        const lo = parseIpAddress(address);
        const sipFrame = udpFrame({ src: lo, dst: lo, srcPort: 5060, dstPort: 5070 }, Buffer.from('OPTIONS sip:x SIP/2.0\r\n\r\n'), 7);
        file.writeFrame(before, sipFrame);
        await pollUntil('the peer has 3 datagrams', () => got.length === 3, 5000);
        peer.send(rtp(9), pair.rtpPort, address);
        await pollUntil('the pair received one', () => inbound.length === 1, 5000);
        await file.close();
        const after = Date.now();
        expect(file.dropped).toBe(0);

        const recs = readFile(path);
        expect(recs.length).toBe(5);
        expect(file.recordCount).toBe(5);
        const ours = { src: lo, dst: lo, srcPort: pair.rtpPort, dstPort: peerPort };
        const rtcpEnds = { ...ours, srcPort: pair.rtcpPort };
        const back = { src: lo, dst: lo, srcPort: peerPort, dstPort: pair.rtpPort };
        // Records in the order they were added: the SIP frame first, then what left at once, the RTP with
        // a deadline 20 ms later, then what came back.
        const frames = recs.map((r) => r.frame.toString('hex'));
        expect(frames[0]).toBe(sipFrame.toString('hex'));
        const expected = [
          udpFrame(ours, rtp(2, 13), ipId(recs[1]!.frame)),
          udpFrame(rtcpEnds, Buffer.from([0x80, 200, 0, 1, 1, 2, 3, 4]), ipId(recs[2]!.frame)),
          udpFrame(ours, rtp(1), ipId(recs[3]!.frame)),
          udpFrame(back, rtp(9), ipId(recs[4]!.frame)),
        ].map((f) => f.toString('hex'));
        expect(frames.slice(1)).toEqual(expected);
        for (const r of recs) {
          expect(r.included).toBe(r.frame.length);
          expect(r.original).toBe(r.frame.length);
          expect(r.wallMs).toBeGreaterThanOrEqual(before - 1);
          expect(r.wallMs).toBeLessThanOrEqual(after + 1);
        }
        // The one with a deadline is stamped when it left, so never before its deadline (2 ms for the two wall
        // clocks: CLOCK_REALTIME there, performance.timeOrigin here). How late is the bench's business.
        expect(recs[3]!.wallMs).toBeGreaterThanOrEqual(dueWall - 2);
      } finally {
        peer.close();
        await engine.close();
      }
    });
  }

  it('drops and counts the records past the memory bound, and writes the rest', async () => {
    const path = join(dir, 'bound.pcap');
    // The disk thread is not due for a minute: nothing leaves memory before close.
    const file = NativePcapFile.open(path, { maxQueuedBytes: 4096, flushIntervalMs: 60_000 });
    const lo = parseIpAddress('127.0.0.1');
    const frame = udpFrame({ src: lo, dst: lo, srcPort: 1, dstPort: 2 }, Buffer.alloc(158), 1); // 200 bytes
    for (let i = 0; i < 100; i++) file.writeFrame(1_700_000_000_000 + i, frame);
    // 24 bytes of header, then 216 per record: 18 fit in 4096.
    expect(file.recordCount).toBe(18);
    expect(file.dropped).toBe(82);
    expect(file.bufferedBytes).toBe(24 + 18 * 216);
    expect(file.bytesWritten).toBe(0);
    await file.close();
    expect(file.bufferedBytes).toBe(0);
    expect(file.bytesWritten).toBe(24 + 18 * 216);
    const recs = readFile(path);
    expect(recs.map((r) => Math.round(r.wallMs - 1_700_000_000_000))).toEqual([...Array(18).keys()]);
    // After close, records are ignored (not counted as dropped).
    file.writeFrame(1_700_000_000_100, frame);
    expect(file.dropped).toBe(82);
  });

  it('a bad path fails at once with the reason', () => {
    expect(() => NativePcapFile.open(join(dir, 'no', 'such', 'dir.pcap'))).toThrow(/ENOENT|No such file/);
  });

  it('a process that exits without closing still leaves every record on disk (the exit hook)', async () => {
    const path = join(dir, 'exit.pcap');
    // The child captures RTP on the I/O thread and SIP frames, then exits at once, as a second Ctrl-C does.
    const script = `
      import { createSocket } from 'node:dgram';
      import { RealClock } from './src/util/clock.ts';
      import { RtpIoEngine } from './src/rtp/io-engine.ts';
      import { NativePcapFile } from './src/rtp/native-pcap.ts';
      const engine = await RtpIoEngine.start({ clock: new RealClock() });
      const peer = createSocket('udp4');
      await new Promise((r) => peer.bind(0, '127.0.0.1', r));
      let got = 0;
      peer.on('message', () => { got++; });
      const pair = await engine.open({ address: '127.0.0.1', port: 0 });
      const file = NativePcapFile.open(${JSON.stringify(path)}, { flushIntervalMs: 60000 });
      pair.captureNative(file.handle, '127.0.0.1');
      for (let i = 0; i < 3; i++) file.writeFrame(Date.now(), Buffer.alloc(60, i));
      for (let i = 0; i < 20; i++) pair.send(Buffer.alloc(172, i), '127.0.0.1', peer.address().port);
      const t = setInterval(() => { if (got === 20) process.exit(0); }, 5);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    const recs = readFile(path);
    expect(recs.length).toBe(23);
    expect(recs.slice(0, 3).map((x) => x.frame.length)).toEqual([60, 60, 60]);
    expect(recs.slice(3).every((x) => x.frame.length === 14 + 20 + 8 + 172)).toBe(true);
  });

  it('CallCapture with the native engine: the pair is not wrapped, and is recorded once the file opens', async () => {
    const clock = new RealClock();
    const engine = await RtpIoEngine.start({ clock });
    const peer = await bindPeer('127.0.0.1');
    let got = 0;
    peer.on('message', () => got++);
    try {
      const pair = await engine.open({ address: '0.0.0.0', port: 0 });
      let callId = '';
      const path = join(dir, 'call.pcap');
      const capture = new CallCapture({ clock, path: () => path, callId: () => callId, mediaAddress: '127.0.0.1', native: true });
      expect(capture.wrapSocket(pair)).toBe(pair);
      const to = peer.address().port;
      // Before the Call-ID is known there is no file: this one is not recorded.
      pair.send(rtp(1), '127.0.0.1', to);
      await pollUntil('the first datagram', () => got === 1, 5000);
      callId = 'n1@127.0.0.1';
      const invite = Buffer.from(`INVITE sip:a@127.0.0.1 SIP/2.0\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n`);
      const e: TraceEvent = { direction: 'out', timestamp: clock.wallNow(), protocol: 'udp', local: { address: '127.0.0.1', port: 5070 }, remote: { address: '127.0.0.1', port: 5060 }, bytes: invite };
      capture.sip(e);
      pair.send(rtp(2), '127.0.0.1', to);
      await pollUntil('the second datagram', () => got === 2, 5000);
      await capture.close();
      const recs = readFile(path);
      expect(recs.length).toBe(2);
      expect(recs[0]!.frame.subarray(42).toString('latin1')).toBe(invite.toString('latin1'));
      // The wildcard bind written as the media address, our RTP port to the peer's, the datagram whole.
      const lo = parseIpAddress('127.0.0.1');
      expect(recs[1]!.frame.toString('hex')).toBe(udpFrame({ src: lo, dst: lo, srcPort: pair.rtpPort, dstPort: to }, rtp(2), ipId(recs[1]!.frame)).toString('hex'));
    } finally {
      peer.close();
      await engine.close();
    }
  });
});
