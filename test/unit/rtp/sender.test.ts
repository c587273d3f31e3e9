import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { parseRtp, type RtpPacket } from '../../../src/rtp/packet.js';
import { Pacer } from '../../../src/rtp/pacer.js';
import {
  RtpSender,
  RtpSenderError,
  type RtpPollResult,
  type RtpSource,
  type RtpTick,
} from '../../../src/rtp/sender.js';

interface Sent {
  at: number;
  port: number;
  address: string;
  p: RtpPacket;
}

function setup(opts: { source?: RtpSource; start?: number; random?: number[]; ssrc?: number } = {}) {
  const clock = new ManualClock(0);
  const pacer = new Pacer({ clock });
  const sent: Sent[] = [];
  const frame = Buffer.alloc(160, 0xff);
  const source: RtpSource = opts.source ?? { poll: () => ({ payload: frame, payloadType: 0 }) };
  const random = [...(opts.random ?? [0x11223344, 0xfffe, 0xfffffe00])];
  const sender = new RtpSender({
    clock,
    socket: { send: (b, port, address) => sent.push({ at: clock.now(), port, address, p: parseRtp(Buffer.from(b)) }) },
    remote: { address: '127.0.0.1', port: 40000 },
    source,
    randomUint32: () => random.shift()!,
    ...(opts.ssrc === undefined ? {} : { ssrc: opts.ssrc }),
  });
  sender.start(pacer, { start: opts.start ?? 100 });
  return { clock, pacer, sender, sent };
}

/** A source driven by a table: 'a' audio, '-' skip, anything else a callback. */
function scripted(plan: (string | ((t: RtpTick) => RtpPollResult))[]): RtpSource & { ticks: RtpTick[] } {
  const ticks: RtpTick[] = [];
  return {
    ticks,
    poll(t) {
      ticks.push(t);
      const step = plan[t.index] ?? 'a';
      if (step === '-') return 'skip';
      if (typeof step === 'function') return step(t);
      return { payload: Buffer.alloc(160, 0xd5), payloadType: 8 };
    },
  };
}

describe('RtpSender', () => {
  it('sends packet n at start + n×20 ms with sequence +1 and timestamp +160 each, wrapping', () => {
    const { clock, sent } = setup();
    clock.advance(100 + 20 * 4);
    expect(sent.map((s) => s.at)).toEqual([100, 120, 140, 160, 180]);
    expect(sent.map((s) => s.p.sequence)).toEqual([0xfffe, 0xffff, 0, 1, 2]);
    expect(sent.map((s) => s.p.timestamp)).toEqual([0xfffffe00, 0xfffffea0, 0xffffff40, 0xffffffe0, 0x80]);
    expect(sent.every((s) => s.p.ssrc === 0x11223344 && s.p.payloadType === 0)).toBe(true);
    expect(sent.every((s) => s.port === 40000 && s.address === '127.0.0.1')).toBe(true);
    expect(sent.map((s) => s.p.marker)).toEqual([true, false, false, false, false]);
    expect(sent[0]!.p.payload).toEqual(Buffer.alloc(160, 0xff));
  });

  it('draws SSRC, first sequence number and first timestamp at random (RFC 3550 §5.1)', () => {
    const a = setup({ random: [1, 2, 3] });
    const b = setup({ random: [4, 5, 6] });
    a.clock.advance(100);
    b.clock.advance(100);
    expect([a.sent[0]!.p.ssrc, a.sent[0]!.p.sequence, a.sent[0]!.p.timestamp]).toEqual([1, 2, 3]);
    expect([b.sent[0]!.p.ssrc, b.sent[0]!.p.sequence, b.sent[0]!.p.timestamp]).toEqual([4, 5, 6]);
    const real = new RtpSender({
      clock: new ManualClock(),
      socket: { send() {} },
      remote: { address: '127.0.0.1', port: 1 },
      source: { poll: () => 'skip' },
    });
    expect(real.ssrc).toBeGreaterThanOrEqual(0);
    expect(real.ssrc).toBeLessThan(2 ** 32);
  });

  it('after a silence gap: no sequence number used, timestamp jumps by the gap, marker set', () => {
    const src = scripted(['a', 'a', '-', '-', '-', 'a', 'a']);
    const { clock, sent } = setup({ source: src, random: [9, 100, 1000] });
    clock.advance(100 + 20 * 6);
    expect(sent.map((s) => [s.at, s.p.sequence, s.p.timestamp, s.p.marker])).toEqual([
      [100, 100, 1000, true],
      [120, 101, 1160, false],
      [200, 102, 1800, true],
      [220, 103, 1960, false],
    ]);
    expect(src.ticks.map((t) => t.timestamp)).toEqual([1000, 1160, 1320, 1480, 1640, 1800, 1960]);
  });

  it('lets a source set the marker itself (explicit false wins over a talkspurt start)', () => {
    const src = scripted([
      (t) => ({ payload: Buffer.alloc(4), payloadType: 101, marker: false, timestamp: t.timestamp }),
      'a',
      (t) => ({ payload: Buffer.alloc(4), payloadType: 101, marker: true, timestamp: t.timestamp }),
    ]);
    const { clock, sent } = setup({ source: src });
    clock.advance(140);
    expect(sent.map((s) => s.p.marker)).toEqual([false, false, true]);
  });

  it('carries an RFC 4733 event: one timestamp for the event, continuous sequence, audio resumes on the media clock', () => {
    // audio, audio, event (3 updates + end sent 3 times), audio
    let eventTs = 0;
    const ev = (i: number, end: boolean) => (t: RtpTick) => {
      if (i === 0) eventTs = t.timestamp;
      const duration = t.timestamp + t.samplesPerTick - eventTs;
      const payload = Buffer.from([5, end ? 0x80 | 10 : 10, duration >> 8, duration & 0xff]);
      return { payload, payloadType: 101, marker: i === 0, timestamp: eventTs };
    };
    const src = scripted(['a', 'a', ev(0, false), ev(1, false), ev(2, false), ev(3, true), ev(4, true), ev(5, true), 'a']);
    const { clock, sent } = setup({ source: src, random: [7, 500, 8000] });
    clock.advance(100 + 20 * 8);
    expect(sent.map((s) => [s.p.sequence, s.p.timestamp, s.p.marker, s.p.payloadType])).toEqual([
      [500, 8000, true, 8],
      [501, 8160, false, 8],
      [502, 8320, true, 101],
      [503, 8320, false, 101],
      [504, 8320, false, 101],
      [505, 8320, false, 101],
      [506, 8320, false, 101],
      [507, 8320, false, 101],
      [508, 8000 + 8 * 160, false, 8],
    ]);
    expect(sent.slice(2, 8).map((s) => s.p.payload.readUInt16BE(2))).toEqual([160, 320, 480, 640, 800, 960]);
  });

  it('honours a timestampAdvance other than one ptime', () => {
    const src = scripted([() => ({ payload: Buffer.alloc(1), payloadType: 0, timestampAdvance: 80 }), 'a', 'a']);
    const { clock, sent } = setup({ source: src, random: [1, 1, 0] });
    clock.advance(140);
    expect(sent.map((s) => s.p.timestamp)).toEqual([0, 80, 240]);
  });

  it('counts packets, payload octets and bytes, and answers what an RTCP SR needs', () => {
    const { clock, sender } = setup({ random: [42, 0, 1000] });
    clock.advance(100 + 20 * 9 + 5); // 10 packets, now = 285
    expect(sender.packetsSent).toBe(10);
    expect(sender.payloadOctetsSent).toBe(1600);
    expect(sender.bytesSent).toBe(1720);
    expect(sender.lastTimestamp).toBe(1000 + 9 * 160);
    expect(sender.lastSendTime).toBe(280);
    expect(sender.lastSendWallMs).toBe(1_700_000_000_280);
    // media clock at 285 ms: the tick at 280 had timestamp 2440, 5 ms later is 40 samples more
    expect(sender.senderReport()).toEqual({
      ssrc: 42,
      wallMs: 1_700_000_000_285,
      rtpTimestamp: 2480,
      packetCount: 10,
      octetCount: 1600,
    });
    expect(sender.timestampAt(300)).toBe(2600);
  });

  it('moves to a new remote address and swaps sources without breaking the sequence', () => {
    const { clock, sender, sent } = setup({ random: [1, 10, 0] });
    clock.advance(100);
    sender.setRemote({ address: '127.0.0.2', port: 5000 });
    sender.setSource({ poll: () => ({ payload: Buffer.alloc(160, 1), payloadType: 8 }) });
    clock.advance(20);
    expect(sent.map((s) => [s.address, s.port, s.p.sequence, s.p.payloadType])).toEqual([
      ['127.0.0.1', 40000, 10, 0],
      ['127.0.0.2', 5000, 11, 8],
    ]);
    expect(sender.getRemote()).toEqual({ address: '127.0.0.2', port: 5000 });
  });

  it('after a stall the media clock jumps over the missed ticks and the next packet is marked', () => {
    const missed: number[] = [];
    const src = scripted([]);
    src.missed = (n) => missed.push(n);
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock, maxLateMs: 50 });
    const sent: RtpPacket[] = [];
    const sender = new RtpSender({
      clock,
      socket: { send: (b) => sent.push(parseRtp(Buffer.from(b))) },
      remote: { address: '127.0.0.1', port: 1 },
      source: src,
      ssrc: 1,
      initialSequence: 0,
      initialTimestamp: 0,
    });
    sender.start(pacer, { start: 0 });
    clock.advance(0);
    (clock as unknown as { t: number }).t = 130;
    clock.advance(0);
    expect(missed).toEqual([5]);
    expect(sender.ticksMissed).toBe(5);
    expect(sent.map((p) => [p.sequence, p.timestamp, p.marker])).toEqual([
      [0, 0, true],
      [1, 6 * 160, true],
    ]);
  });

  it('stops, and refuses to start twice or a ptime that is not whole samples', () => {
    const { clock, pacer, sender, sent } = setup();
    expect(() => sender.start(pacer)).toThrow(new RtpSenderError(`RTP stream ${sender.ssrc} is already running.`));
    clock.advance(120);
    sender.stop();
    expect(sender.running).toBe(false);
    clock.advance(100);
    expect(sent.length).toBe(2);
    expect(
      () =>
        new RtpSender({
          clock,
          socket: { send() {} },
          remote: { address: '127.0.0.1', port: 1 },
          source: { poll: () => 'skip' },
          clockRate: 8000,
          ptimeMs: 0.01,
        }),
    ).toThrow('A ptime of 0.01 ms at 8000 Hz is not a whole number of samples.');
  });

  it('paces 1000 streams from one pacer, staggered, each exactly on its own grid', () => {
    const clock = new ManualClock(0);
    const pacer = new Pacer({ clock, denseStreams: Infinity }); // exact instants: no batching
    const perStream = new Map<number, number[]>();
    const senders = Array.from(
      { length: 1000 },
      (_, i) =>
        new RtpSender({
          clock,
          socket: { send: (b) => perStream.get(b.readUInt32BE(8))!.push(clock.now()) },
          remote: { address: '127.0.0.1', port: 1 },
          source: { poll: () => ({ payload: Buffer.alloc(160), payloadType: 0 }) },
          ssrc: i,
        }),
    );
    for (const s of senders) {
      perStream.set(s.ssrc, []);
      s.start(pacer);
    }
    expect(clock.pendingCount).toBe(1);
    clock.advance(1000);
    const starts = new Set<number>();
    for (const times of perStream.values()) {
      expect(times.length).toBeGreaterThanOrEqual(49);
      times.forEach((t, n) => expect(t).toBeCloseTo(times[0]! + 20 * n, 9));
      starts.add(Math.round((times[0]! % 20) * 1000));
    }
    expect(starts.size).toBe(256); // every phase slot used: no two bursts larger than 4 streams
  });
});
