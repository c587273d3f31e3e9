import { describe, expect, it } from 'vitest';
import { BatchReader, BatchWriter, CHANNEL_RTCP, CHANNEL_RTP, type BatchRecord } from '../../../src/rtp/io-batch.js';

describe('io-batch', () => {
  it('round-trips records with interned addresses across batches, in order', () => {
    const w = new BatchWriter(64); // small: forces growth
    const r = new BatchReader();
    const got: Omit<BatchRecord, 'datagram'>[] = [];
    const data: string[] = [];
    const visit = (rec: BatchRecord): void => {
      const { datagram, ...rest } = rec;
      got.push(rest);
      data.push(datagram.toString('hex'));
    };
    expect(w.take()).toBeUndefined();
    w.add(7, CHANNEL_RTP, '127.0.0.1', 40000, 12.5, Buffer.from([1, 2, 3]));
    w.add(8, CHANNEL_RTCP, '::1', 40001, NaN, Buffer.alloc(300, 9));
    w.add(7, CHANNEL_RTP, '127.0.0.1', 40002, 13, Buffer.alloc(0));
    expect(w.size).toBe(3);
    expect(r.read(w.take()!, visit)).toBe(3);
    w.add(9, CHANNEL_RTP, '::1', 1, 1, Buffer.from([0xff])); // '::1' already known to the reader
    expect(r.read(w.take()!, visit)).toBe(1);
    expect(got).toEqual([
      { socket: 7, channel: CHANNEL_RTP, address: '127.0.0.1', port: 40000, due: 12.5, flags: 0 },
      { socket: 8, channel: CHANNEL_RTCP, address: '::1', port: 40001, due: NaN, flags: 0 },
      { socket: 7, channel: CHANNEL_RTP, address: '127.0.0.1', port: 40002, due: 13, flags: 0 },
      { socket: 9, channel: CHANNEL_RTP, address: '::1', port: 1, due: 1, flags: 0 },
    ]);
    expect(data).toEqual(['010203', '09'.repeat(300), '', 'ff']);
  });

  it('a reader that missed an address definition says so', () => {
    const w = new BatchWriter();
    w.add(1, CHANNEL_RTP, '10.0.0.1', 5, 0, Buffer.from([1]));
    w.take();
    w.add(1, CHANNEL_RTP, '10.0.0.1', 5, 0, Buffer.from([1]));
    expect(() => new BatchReader().read(w.take()!, () => {})).toThrow(/address id 0 was never defined/);
  });

  it('refuses a datagram longer than 65535 octets', () => {
    expect(() => new BatchWriter().add(1, CHANNEL_RTP, 'a', 1, 0, Buffer.alloc(70000))).toThrow(RangeError);
  });
});
