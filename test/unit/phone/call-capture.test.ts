/**
 * CallCapture on its own: SIP kept by Call-ID (full and compact header), nothing before the Call-ID is
 * known, the wrapped socket writing each datagram once in each direction between the real ports (the
 * wildcard bind replaced by the media address), a handler set twice replacing the first, a deadline
 * for the time of a packet handed ahead, `{n}`/`{callid}` in the name. tshark reads the file back.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { CallCapture, fileNameFor, traceCallId } from '../../../src/phone/call-capture.js';
import type { MediaSocket } from '../../../src/phone/media-types.js';
import type { TraceEvent } from '../../../src/sip/transport/transport.js';
import { tsharkFields } from '../../support/tshark.js';

const dir = mkdtempSync(join(tmpdir(), 'call-capture-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sip(text: string): Buffer {
  return Buffer.from(text.replace(/\n/g, '\r\n'));
}

function invite(callIdHeader: string): Buffer {
  return sip(`INVITE sip:680@127.0.0.1:5060 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK1\nFrom: <sip:111@127.0.0.1>;tag=a\nTo: <sip:680@127.0.0.1>\n${callIdHeader}\nCSeq: 1 INVITE\nMax-Forwards: 70\nContent-Length: 0\n\n`);
}

function trace(bytes: Buffer, direction: 'in' | 'out', timestamp: number): TraceEvent {
  return { direction, timestamp, protocol: 'udp', local: { address: '127.0.0.1', port: 5070 }, remote: { address: '127.0.0.1', port: 5060 }, bytes };
}

/** An RTP packet: version 2, PCMU, the given sequence number. */
function rtp(seq: number): Buffer {
  const b = Buffer.alloc(12 + 160, 0xff);
  b[0] = 0x80;
  b[1] = 0;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 160, 4);
  b.writeUInt32BE(0x1234, 8);
  return b;
}

function fakeSocket(): MediaSocket & { deliver(d: Buffer): void; sent: number; ahead: number } {
  let handler: ((d: Buffer, from: { address: string; port: number }) => void) | undefined;
  const s = {
    address: '0.0.0.0',
    rtpPort: 20000,
    sent: 0,
    ahead: 0,
    rtpSendSocket: {
      leadMs: 40,
      send: () => { s.sent++; },
      sendAt: () => { s.ahead++; },
    },
    onRtp: (h: typeof handler) => { handler = h; },
    onRtcp: () => undefined,
    close: async () => undefined,
    deliver: (d: Buffer) => handler?.(d, { address: '127.0.0.1', port: 30000 }),
  };
  return s;
}

describe('CallCapture', () => {
  it('reads the Call-ID of a message, full or compact, not from the body', () => {
    expect(traceCallId(invite('Call-ID: abc@host'))).toBe('abc@host');
    expect(traceCallId(invite('i:  xyz '))).toBe('xyz');
    expect(traceCallId(sip('OPTIONS sip:a SIP/2.0\nCSeq: 1 OPTIONS\n\nCall-ID: body\n'))).toBeUndefined();
  });

  it('names files by {n} and {callid}', () => {
    expect(fileNameFor('c-{n}-{callid}.pcap', 3, 'a/b@c')).toBe('c-3-a_b_c.pcap');
  });

  it('writes the call\'s SIP and each RTP datagram once, on the real ports, at their times', async () => {
    const clock = new ManualClock(0, 1_700_000_000_000);
    let callId = '';
    const capture = new CallCapture({ clock, path: (id) => join(dir, fileNameFor('{callid}.pcap', 1, id)), callId: () => callId, mediaAddress: '127.0.0.1' });
    const inner = fakeSocket();
    const socket = capture.wrapSocket(inner);
    const received: number[] = [];
    socket.onRtp(() => received.push(-1));
    socket.onRtp((d) => received.push(d.readUInt16BE(2)));
    // Before the Call-ID is known nothing is written (and no file is made).
    capture.sip(trace(invite('Call-ID: other'), 'out', clock.wallNow()));
    expect(readdirSync(dir)).toEqual([]);
    callId = 'call1@127.0.0.1';
    capture.sip(trace(invite('Call-ID: someone-else'), 'in', clock.wallNow()));
    capture.sip(trace(invite(`Call-ID: ${callId}`), 'out', clock.wallNow()));
    clock.advance(10);
    socket.rtpSendSocket.send(rtp(1), 30000, '127.0.0.1');
    // Handed 40 ms ahead of its deadline: stamped with the deadline.
    socket.rtpSendSocket.sendAt!(rtp(2), 30000, '127.0.0.1', clock.now() + 40);
    clock.advance(10);
    inner.deliver(rtp(7));
    await capture.close();
    expect(received).toEqual([7]);
    expect([inner.sent, inner.ahead]).toEqual([1, 1]);

    const file = join(dir, 'call1_127.0.0.1.pcap');
    const rows = tsharkFields(file, ['frame.time_relative', 'udp.srcport', 'udp.dstport', 'sip.Method', 'rtp.seq'], { extra: ['-d', 'udp.port==20000,rtp'] });
    expect(rows.map((r) => [Number(r[0]).toFixed(3), ...r.slice(1)])).toEqual([
      ['0.000', '5070', '5060', 'INVITE', ''],
      ['0.010', '20000', '30000', '', '1'],
      ['0.050', '20000', '30000', '', '2'],
      ['0.020', '30000', '20000', '', '7'],
    ]);
  });

  it('stamps a datagram the engine read earlier (atMs) at that instant, not at its delivery', async () => {
    const clock = new ManualClock(0, 1_700_000_000_000);
    const callId = 'early@127.0.0.1';
    const capture = new CallCapture({ clock, path: () => join(dir, 'early.pcap'), callId: () => callId, mediaAddress: '127.0.0.1' });
    let handler: ((d: Buffer, from: { address: string; port: number }, atMs?: number) => void) | undefined;
    const inner = { ...fakeSocket(), onRtp: (h: typeof handler) => { handler = h; } };
    const socket = capture.wrapSocket(inner);
    socket.onRtp(() => undefined);
    capture.sip(trace(invite(`Call-ID: ${callId}`), 'out', clock.wallNow()));
    clock.advance(100);
    handler!(rtp(1), { address: '127.0.0.1', port: 30000 }, clock.now() - 7);
    await capture.close();
    const rows = tsharkFields(join(dir, 'early.pcap'), ['frame.time_relative', 'rtp.seq'], { extra: ['-d', 'udp.port==20000,rtp'] });
    expect(rows.map((r) => [Number(r[0]).toFixed(3), r[1]])).toEqual([['0.000', ''], ['0.093', '1']]);
  });
});
