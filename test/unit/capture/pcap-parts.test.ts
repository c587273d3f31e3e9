/**
 * The pure parts of the capture: pcap header and record bytes, address parsing, checksums, the TCP
 * numbering of a synthesized flow, and the writer's queue (ordered asynchronous writes, bounded memory with
 * drops counted, flush on the injected clock, drain on close, a write error reported once, the exit hook).
 */
import { describe, expect, it } from 'vitest';
import { IpAddressError, parseIpAddress } from '../../../src/capture/ip-address.js';
import { internetChecksum, tcpFrame, TCP_ACK, TCP_PSH, udpFrame } from '../../../src/capture/ip-frames.js';
import { encodePcapGlobalHeader, encodePcapRecord, splitTimestamp } from '../../../src/capture/pcap-format.js';
import { PcapWriter, type ByteSink } from '../../../src/capture/pcap-writer.js';
import { PacketCapture } from '../../../src/capture/packet-capture.js';
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

describe('PcapWriter queue', () => {
  /** A disk in memory whose writes complete when the test says (`complete()`), or fail. */
  function slowDisk() {
    const d = {
      file: Buffer.alloc(0),
      /** Writes issued and not yet completed: [chunks, position, done]. */
      pending: [] as Array<{ chunks: Buffer[]; position: number; done: (err: Error | null, n: number) => void }>,
      writes: 0,
      closed: false,
      failNext: undefined as Error | undefined,
      sink: undefined as unknown as ByteSink,
      /** Completes the oldest write (the data lands at its position). */
      complete() {
        const w = d.pending.shift()!;
        if (d.failNext) return w.done(d.failNext, 0);
        const data = Buffer.concat(w.chunks);
        d.put(data, w.position);
        w.done(null, data.length);
      },
      put(data: Buffer, position: number) {
        if (d.file.length < position + data.length) d.file = Buffer.concat([d.file, Buffer.alloc(position + data.length - d.file.length)]);
        data.copy(d.file, position);
      },
    };
    d.sink = {
      write(chunks, position, done) {
        d.writes++;
        // Copied now: the writer may reuse a chunk only after its write completed.
        d.pending.push({ chunks: chunks.map((c) => Buffer.from(c)), position, done });
      },
      writeSync(chunks, position) {
        d.put(Buffer.concat(chunks as Buffer[]), position);
      },
      close(done) {
        d.closed = true;
        done(null);
      },
      closeSync() {
        d.closed = true;
      },
    };
    return d;
  }

  /** The records' timestamps (ms) and first frame byte, read back from the file. */
  function records(file: Buffer): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let at = 24; at + 16 <= file.length; ) {
      const len = file.readUInt32LE(at + 8);
      out.push([file.readUInt32LE(at) * 1000 + file.readUInt32LE(at + 4) / 1000, file[at + 16]!]);
      at += 16 + len;
    }
    return out;
  }

  it('queues the header at once, then whole records a flush interval (injected clock) after the first', async () => {
    const clock = new ManualClock();
    const d = slowDisk();
    const w = new PcapWriter(d.sink, { clock, flushIntervalMs: 200 });
    expect(d.pending.map((p) => [p.position, Buffer.concat(p.chunks).length])).toEqual([[0, 24]]);
    d.complete();
    w.writeFrame(1000, Buffer.alloc(60, 1));
    w.writeFrame(1020, Buffer.alloc(60, 2));
    clock.advance(199);
    expect(d.pending).toHaveLength(0);
    expect(w.bufferedBytes).toBe(2 * 76);
    clock.advance(1);
    expect(d.pending.map((p) => [p.position, Buffer.concat(p.chunks).length])).toEqual([[24, 2 * 76]]);
    d.complete();
    expect(w.bytesWritten).toBe(24 + 152);
    expect(w.bufferedBytes).toBe(0);
    expect(records(d.file)).toEqual([[1000, 1], [1020, 2]]);
  });

  it('writes in order, one write at a time, coalescing what queued meanwhile into one write', () => {
    const clock = new ManualClock();
    const d = slowDisk();
    const w = new PcapWriter(d.sink, { clock, flushIntervalMs: 100, chunkBytes: 1000 });
    // 30 records of 76 bytes: a chunk holds 13; the header's write is still in flight all along.
    for (let i = 0; i < 30; i++) w.writeFrame(i, Buffer.alloc(60, i));
    w.flush();
    expect(d.pending).toHaveLength(1);
    d.complete();
    // Everything queued while the header was being written goes in one write, right after it.
    expect(d.pending).toHaveLength(1);
    expect(d.pending[0]!.position).toBe(24);
    expect(d.pending[0]!.chunks.length).toBeGreaterThan(1);
    d.complete();
    expect(d.writes).toBe(2);
    expect(records(d.file)).toEqual(Array.from({ length: 30 }, (_, i) => [i, i]));
  });

  it('reuses a written chunk for later records without corrupting what was written', () => {
    const clock = new ManualClock();
    const d = slowDisk();
    const w = new PcapWriter(d.sink, { clock, chunkBytes: 4096 });
    d.complete();
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10; i++) w.writeFrame(round * 100 + i, Buffer.alloc(200, round * 10 + i));
      w.flush();
      d.complete();
    }
    expect(records(d.file)).toEqual(Array.from({ length: 50 }, (_, k) => [Math.floor(k / 10) * 100 + (k % 10), k]));
  });

  it('bounds the memory: when the disk is behind, records are dropped and counted, whole', async () => {
    const clock = new ManualClock();
    const d = slowDisk();
    const w = new PcapWriter(d.sink, { clock, chunkBytes: 1000, maxQueuedBytes: 5000 });
    // The disk never completes the header's write: 200 records of 200 bytes would be 40 000 bytes.
    for (let i = 0; i < 200; i++) {
      w.writeFrame(i, Buffer.alloc(184, i & 0xff));
      expect(w.bufferedBytes).toBeLessThanOrEqual(5000);
    }
    expect(w.dropped).toBeGreaterThan(170);
    expect(w.recordCount + w.dropped).toBe(200);
    const kept = w.recordCount;
    // The disk catches up: what was kept is written, in order, and later records are taken again.
    while (d.pending.length > 0) d.complete();
    w.writeFrame(1000, Buffer.alloc(184, 7));
    const closed = w.close();
    while (d.pending.length > 0) d.complete();
    await closed;
    const got = records(d.file);
    expect(got).toHaveLength(kept + 1);
    expect(got.slice(0, kept)).toEqual(Array.from({ length: kept }, (_, i) => [i, i]));
    expect(got[kept]).toEqual([1000, 7]);
  });

  it('close() resolves only once everything is on disk and the file closed; later frames are ignored', async () => {
    const clock = new ManualClock();
    const d = slowDisk();
    const w = new PcapWriter(d.sink, { clock });
    w.writeFrame(1, Buffer.alloc(60, 1));
    let done = false;
    const closing = w.close().then(() => { done = true; });
    w.writeFrame(2, Buffer.alloc(60, 2));
    await Promise.resolve();
    expect(done).toBe(false);
    d.complete(); // the header
    await Promise.resolve();
    expect(done).toBe(false);
    expect(d.closed).toBe(false);
    d.complete(); // the record
    await closing;
    expect(d.closed).toBe(true);
    expect(records(d.file)).toEqual([[1, 1]]);
    expect(w.recordCount).toBe(1);
    expect(clock.pendingCount).toBe(0);
  });

  it('a write error is reported once, stops the capture, and close() still resolves', async () => {
    const clock = new ManualClock();
    const d = slowDisk();
    const errors: string[] = [];
    const w = new PcapWriter(d.sink, { clock, onError: (e) => errors.push(e.message) });
    d.complete();
    w.writeFrame(1, Buffer.alloc(10));
    w.flush();
    d.failNext = new Error('ENOSPC: no space left on device');
    expect(() => d.complete()).not.toThrow();
    expect(w.error?.message).toBe('ENOSPC: no space left on device');
    w.writeFrame(2, Buffer.alloc(10));
    w.flush();
    expect(d.pending).toHaveLength(0);
    expect(w.bufferedBytes).toBe(0);
    await w.close();
    expect(errors).toEqual(['ENOSPC: no space left on device']);
    expect(w.bytesWritten).toBe(24);
    expect(d.closed).toBe(true);
  });

  it('finishSync (the exit hook) writes the write in flight and the queue at their places, then closes', () => {
    const clock = new ManualClock();
    const d = slowDisk();
    const w = new PcapWriter(d.sink, { clock, chunkBytes: 1000 });
    for (let i = 0; i < 20; i++) w.writeFrame(i, Buffer.alloc(60, i));
    w.finishSync();
    expect(d.closed).toBe(true);
    expect(records(d.file)).toEqual(Array.from({ length: 20 }, (_, i) => [i, i]));
    // The write that was in flight (the header) lands again at its place: same bytes.
    d.complete();
    expect(records(d.file)).toHaveLength(20);
  });
});

describe('PacketCapture into a PcapWriter: frames built in place', () => {
  it('writes the same bytes as udpFrame + encodePcapRecord', async () => {
    const clock = new ManualClock();
    const chunks: Buffer[] = [];
    const sink: ByteSink = {
      write(c, _p, done) { chunks.push(Buffer.concat(c)); done(null, chunks.at(-1)!.length); },
      writeSync() {},
      close(done) { done(null); },
      closeSync() {},
    };
    const w = new PcapWriter(sink, { clock, chunkBytes: 512 });
    const cap = new PacketCapture(w);
    const a = { address: '10.0.0.1', port: 4000 };
    const b = { address: '10.0.0.2', port: 5000 };
    const expected: Buffer[] = [encodePcapGlobalHeader()];
    for (let i = 0; i < 6; i++) {
      const payload = Buffer.alloc(100 + i * 30, i + 1);
      cap.udp(1000 + i, a, b, payload);
      expected.push(encodePcapRecord(1000 + i, udpFrame({ src: parseIpAddress(a.address), dst: parseIpAddress(b.address), srcPort: 4000, dstPort: 5000 }, payload, i + 1)));
    }
    await w.close();
    expect(Buffer.concat(chunks).equals(Buffer.concat(expected))).toBe(true);
  });
});
