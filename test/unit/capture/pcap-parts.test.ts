/**
 * The pure parts of the capture: pcap header and record bytes, address parsing, checksums, the TCP
 * numbering of a synthesized flow, and the writer's buffering (bounded memory, flush on the injected clock,
 * write errors kept, not thrown).
 */
import { describe, expect, it } from 'vitest';
import { IpAddressError, parseIpAddress } from '../../../src/capture/ip-address.js';
import { internetChecksum, tcpFrame, TCP_ACK, TCP_PSH, udpFrame } from '../../../src/capture/ip-frames.js';
import { encodePcapGlobalHeader, encodePcapRecord, splitTimestamp } from '../../../src/capture/pcap-format.js';
import { PcapWriter, type ByteSink } from '../../../src/capture/pcap-writer.js';
import { TcpFlow } from '../../../src/capture/tcp-flow.js';
import { ManualClock } from '../../../src/util/clock.js';

describe('pcap format', () => {
  it('writes the classic little-endian microsecond header with link type Ethernet', () => {
    expect(encodePcapGlobalHeader().toString('hex')).toBe('d4c3b2a1020004000000000000000000000004000' + '1000000');
  });

  it.each([
    [1_700_000_000_000, 1_700_000_000, 0],
    [1_700_000_000_123.456, 1_700_000_000, 123_456],
    [1_700_000_000_999.9996, 1_700_000_001, 0],
    [0.001, 0, 1],
  ])('splits %d ms into %d s + %d µs', (ms, s, us) => {
    expect(splitTimestamp(ms)).toEqual({ seconds: s, microseconds: us });
  });

  it('refuses a time before 1970 or not a number', () => {
    expect(() => splitTimestamp(-1)).toThrow(RangeError);
    expect(() => splitTimestamp(NaN)).toThrow('is not a time after 1970');
  });

  it('cuts a frame longer than the snap length and keeps its original length', () => {
    const rec = encodePcapRecord(1000.5, Buffer.alloc(100, 7), 60);
    expect(rec.readUInt32LE(0)).toBe(1);
    expect(rec.readUInt32LE(4)).toBe(500);
    expect(rec.readUInt32LE(8)).toBe(60);
    expect(rec.readUInt32LE(12)).toBe(100);
    expect(rec.length).toBe(16 + 60);
  });
});

describe('IP addresses', () => {
  it.each([
    ['127.0.0.1', 4, '7f000001'],
    ['::1', 6, '00000000000000000000000000000001'],
    ['2001:db8::10', 6, '20010db8000000000000000000000010'],
    ['fe80::1%eth0', 6, 'fe800000000000000000000000000001'],
    ['[2001:db8:1:2:3:4:5:6]', 6, '20010db8000100020003000400050006'],
    ['::ffff:192.0.2.7', 4, 'c0000207'],
    ['64:ff9b::192.0.2.7', 6, '0064ff9b0000000000000000c0000207'],
  ])('%s is IPv%d %s', (text, family, hex) => {
    const a = parseIpAddress(text);
    expect([a.family, a.bytes.toString('hex')]).toEqual([family, hex]);
  });

  it.each(['', 'localhost', '256.1.1.1', '1.2.3', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '1:2:3:4:5:6:7::8'])('refuses %j', (text) => {
    expect(() => parseIpAddress(text)).toThrow(IpAddressError);
  });
});

describe('frames', () => {
  const v4 = { src: parseIpAddress('10.0.0.1'), dst: parseIpAddress('10.0.0.2'), srcPort: 5060, dstPort: 5062 };

  it('the IPv4 header checksum verifies to zero, and so does UDP with its pseudo-header', () => {
    const f = udpFrame(v4, Buffer.from('hello'), 7);
    expect(internetChecksum(f.subarray(14, 34))).toBe(0);
    const udp = f.subarray(34);
    const pseudo = Buffer.concat([v4.src.bytes, v4.dst.bytes, Buffer.from([0, 17, 0, udp.length])]);
    expect(internetChecksum(Buffer.concat([pseudo, udp]))).toBe(0);
    expect(f.readUInt16BE(18)).toBe(7);
  });

  it('TCP over IPv6: pseudo-header with 32-bit length, odd payload padded for the sum only', () => {
    const v6 = { src: parseIpAddress('::1'), dst: parseIpAddress('::2'), srcPort: 1, dstPort: 2 };
    const f = tcpFrame(v6, { seq: 1, ack: 2, flags: TCP_ACK | TCP_PSH, window: 100, payload: Buffer.from('odd') }, 1);
    const tcp = f.subarray(14 + 40);
    expect(tcp.length).toBe(23);
    const pseudo = Buffer.alloc(40);
    v6.src.bytes.copy(pseudo, 0);
    v6.dst.bytes.copy(pseudo, 16);
    pseudo.writeUInt32BE(tcp.length, 32);
    pseudo[39] = 6;
    expect(internetChecksum(Buffer.concat([pseudo, tcp]))).toBe(0);
  });

  it('refuses mixed families and a datagram too large for IPv4', () => {
    const mixed = { ...v4, dst: parseIpAddress('::1') };
    expect(() => udpFrame(mixed, Buffer.alloc(1), 1)).toThrow('cannot write a packet from 10.0.0.1 (IPv4) to ::1 (IPv6)');
    expect(() => udpFrame(v4, Buffer.alloc(65508), 1)).toThrow(RangeError);
  });
});

describe('synthesized TCP flow', () => {
  it('numbers both directions consistently from the handshake on', () => {
    const flow = new TcpFlow({ localIsn: 1000, remoteIsn: 9000, mss: 4 });
    const segs = flow.data('local', Buffer.from('abcdefghij'));
    expect(segs.map((s) => [s.from, s.segment.seq, s.segment.ack, s.segment.flags, s.segment.payload.toString()])).toEqual([
      ['local', 1000, 0, 0x02, ''],
      ['remote', 9000, 1001, 0x12, ''],
      ['local', 1001, 9001, 0x10, ''],
      ['local', 1001, 9001, 0x10, 'abcd'],
      ['local', 1005, 9001, 0x10, 'efgh'],
      ['local', 1009, 9001, 0x18, 'ij'],
    ]);
    const reply = flow.data('remote', Buffer.from('ok'));
    expect(reply.map((s) => [s.segment.seq, s.segment.ack])).toEqual([[9001, 1011]]);
    const fin = flow.close('remote');
    expect(fin.map((s) => [s.from, s.segment.seq, s.segment.ack, s.segment.flags])).toEqual([
      ['remote', 9003, 1011, 0x11],
      ['local', 1011, 9004, 0x11],
      ['remote', 9004, 1012, 0x10],
    ]);
    expect(flow.state).toBe('closed');
  });

  it('starts mid-stream without a handshake, and wraps sequence numbers at 2^32', () => {
    const flow = new TcpFlow({ localIsn: 0xffff_fffe, remoteIsn: 5 });
    flow.resume();
    const segs = flow.data('local', Buffer.from('abcd'));
    expect(segs.map((s) => [s.segment.seq, s.segment.ack])).toEqual([[0xffff_fffe, 5]]);
    expect(flow.data('remote', Buffer.from('x'))[0]!.segment.ack).toBe(2);
  });

  it('acknowledges a long one-way transfer every half window, and reopens after close with new numbers', () => {
    const flow = new TcpFlow({ localIsn: 0, remoteIsn: 0 });
    const segs = flow.data('local', Buffer.alloc(200_000));
    // Replay as the receiver's window sees it: never more than half the window plus one segment in flight.
    let sent = 0;
    let acked = 0;
    let acks = 0;
    for (const s of segs.slice(3)) {
      if (s.from === 'local') sent = s.segment.seq + s.segment.payload.length - 1;
      else (acked = s.segment.ack - 1), acks++;
      expect(sent - acked).toBeLessThanOrEqual(32_768 + 1460);
    }
    expect(acks).toBe(Math.floor(200_000 / (23 * 1460)));
    flow.close('local');
    const again = flow.data('remote', Buffer.from('x'));
    expect(again[0]!.segment.flags).toBe(0x02);
    expect(again[0]!.from).toBe('remote');
    expect(again[0]!.segment.seq).not.toBe(1);
  });
});

describe('PcapWriter buffering', () => {
  function memorySink(): ByteSink & { chunks: Buffer[]; closed: boolean } {
    const s = {
      chunks: [] as Buffer[],
      closed: false,
      write(c: Buffer) {
        s.chunks.push(Buffer.from(c));
      },
      close() {
        s.closed = true;
      },
    };
    return s;
  }

  it('writes the header at once, then whole records after the flush interval of the injected clock', () => {
    const clock = new ManualClock();
    const sink = memorySink();
    const w = new PcapWriter(sink, { clock, flushIntervalMs: 200 });
    expect(sink.chunks.map((c) => c.length)).toEqual([24]);
    w.writeFrame(1000, Buffer.alloc(60));
    w.writeFrame(1020, Buffer.alloc(60));
    clock.advance(199);
    expect(sink.chunks).toHaveLength(1);
    clock.advance(1);
    expect(sink.chunks.map((c) => c.length)).toEqual([24, 2 * 76]);
    expect(w.bufferedBytes).toBe(0);
    w.writeFrame(1040, Buffer.alloc(60));
    w.close();
    expect(sink.chunks.map((c) => c.length)).toEqual([24, 152, 76]);
    expect(sink.closed).toBe(true);
    expect(w.recordCount).toBe(3);
    w.writeFrame(2000, Buffer.alloc(60));
    expect(w.recordCount).toBe(3);
    expect(clock.pendingCount).toBe(0);
  });

  it('never holds more than the bound in memory', () => {
    const clock = new ManualClock();
    const sink = memorySink();
    const w = new PcapWriter(sink, { clock, maxBufferedBytes: 1000 });
    for (let i = 0; i < 100; i++) {
      w.writeFrame(i, Buffer.alloc(184));
      expect(w.bufferedBytes).toBeLessThan(1000);
    }
    expect(sink.chunks.length).toBeGreaterThan(15);
    expect(sink.chunks.slice(1).every((c) => c.length % 200 === 0)).toBe(true);
  });

  it('keeps a write error and drops later records instead of throwing into the call', () => {
    const clock = new ManualClock();
    let fail = false;
    const sink: ByteSink = {
      write() {
        if (fail) throw new Error('ENOSPC: no space left on device');
      },
      close() {},
    };
    const w = new PcapWriter(sink, { clock });
    fail = true;
    w.writeFrame(1, Buffer.alloc(10));
    expect(() => w.flush()).not.toThrow();
    expect(w.error?.message).toBe('ENOSPC: no space left on device');
    w.writeFrame(2, Buffer.alloc(10));
    expect(w.bufferedBytes).toBe(0);
    expect(w.bytesWritten).toBe(24);
  });
});
