import { describe, expect, it } from 'vitest';
import { Rfc4733Sender } from '../../../../src/media/dtmf/rfc4733-sender.js';
import { decodeTelephoneEvent } from '../../../../src/media/dtmf/rfc4733.js';
import { DtmfConfigError, DtmfStateError } from '../../../../src/media/dtmf/errors.js';
import { drive } from './support.js';

function view(p: { slot: number; sequence: number; timestamp: number; marker: boolean; payload: Uint8Array }) {
  return { slot: p.slot, seq: p.sequence, ts: p.timestamp, m: p.marker, ...decodeTelephoneEvent(p.payload) };
}

describe('Rfc4733Sender (RFC 4733 §2.5.1)', () => {
  it('sends a 100 ms digit as 5 growing updates, the last with E, repeated three times, audio suppressed', () => {
    const s = new Rfc4733Sender();
    s.begin('5', 100);
    const { events, audioSlots } = drive(s, 10, 0x1000, 100);
    expect(events.map(view)).toEqual([
      { slot: 0, seq: 100, ts: 0x1000, m: true, event: 5, end: false, volume: 10, duration: 160 },
      { slot: 1, seq: 101, ts: 0x1000, m: false, event: 5, end: false, volume: 10, duration: 320 },
      { slot: 2, seq: 102, ts: 0x1000, m: false, event: 5, end: false, volume: 10, duration: 480 },
      { slot: 3, seq: 103, ts: 0x1000, m: false, event: 5, end: false, volume: 10, duration: 640 },
      { slot: 4, seq: 104, ts: 0x1000, m: false, event: 5, end: true, volume: 10, duration: 800 },
      { slot: 5, seq: 105, ts: 0x1000, m: false, event: 5, end: true, volume: 10, duration: 800 },
      { slot: 6, seq: 106, ts: 0x1000, m: false, event: 5, end: true, volume: 10, duration: 800 },
    ]);
    expect(audioSlots).toEqual([7, 8, 9]);
    expect(s.busy).toBe(false);
  });

  it('keeps audio timestamps continuous: the slot after the event carries its own slot timestamp', () => {
    const s = new Rfc4733Sender();
    expect(s.poll(0).kind).toBe('audio');
    s.begin('1', 40);
    const first = s.poll(160);
    expect(first.kind === 'events' && first.packets[0]!.timestampOverride).toBe(160);
    s.poll(320);
    s.poll(480);
    s.poll(640);
    expect(s.poll(800).kind).toBe('audio'); // the caller stamps audio with 800: no gap, no overlap
  });

  it('rounds a duration that is not a whole number of ptimes: the last update carries it exactly', () => {
    const s = new Rfc4733Sender();
    s.begin('#', 90);
    const { events } = drive(s, 8);
    expect(events.map((p) => decodeTelephoneEvent(p.payload).duration)).toEqual([160, 320, 480, 640, 720, 720, 720]);
    expect(events.map((p) => decodeTelephoneEvent(p.payload).end)).toEqual([false, false, false, false, true, true, true]);
  });

  it('uses the configured volume', () => {
    const s = new Rfc4733Sender({ volume: 6 });
    s.begin('D', 40);
    const { events, audioSlots } = drive(s, 5);
    expect(events.map((p) => [p.slot, decodeTelephoneEvent(p.payload).duration, decodeTelephoneEvent(p.payload).end, decodeTelephoneEvent(p.payload).volume])).toEqual([
      [0, 160, false, 6], [1, 320, true, 6], [2, 320, true, 6], [3, 320, true, 6],
    ]);
    expect(audioSlots).toEqual([4]);
  });

  it('never asks for more than one packet per slot (the RTP sender sends one frame per tick)', () => {
    const s = new Rfc4733Sender();
    s.begin('3', 9000);
    for (let i = 0; i < 470; i++) {
      const r = s.poll(i * 160);
      expect(r.kind === 'audio' || r.packets.length === 1).toBe(true);
    }
  });

  it('moves a playing event on by the slots the stream missed', () => {
    const s = new Rfc4733Sender();
    s.begin('2', 200);
    s.poll(0);
    s.missed(3);
    const r = s.poll(4 * 160);
    expect(r.kind === 'events' && decodeTelephoneEvent(r.packets[0]!.payload).duration).toBe(5 * 160);
    s.missed(100); // cannot jump past the end: the E packet still goes out
    const e = s.poll(105 * 160);
    expect(e.kind === 'events' && decodeTelephoneEvent(e.packets[0]!.payload)).toMatchObject({ end: true, duration: 1600 });
  });

  it('sends a short event whose first packet is also its end: marker and E on the first only once', () => {
    const s = new Rfc4733Sender();
    s.begin('0', 20);
    const { events } = drive(s, 3);
    expect(events.map((p) => [p.marker, decodeTelephoneEvent(p.payload).end, decodeTelephoneEvent(p.payload).duration])).toEqual([
      [true, true, 160], [false, true, 160], [false, true, 160],
    ]);
  });

  it('holds a key until release(): a long press spans as many updates as slots', () => {
    const s = new Rfc4733Sender();
    s.begin('7');
    const a = drive(s, 25);
    expect(a.events).toHaveLength(25);
    expect(a.events.every((p) => !decodeTelephoneEvent(p.payload).end)).toBe(true);
    s.release();
    const b = drive(s, 4, 0x1000 + 25 * 160);
    expect(b.events.map((p) => [decodeTelephoneEvent(p.payload).duration, decodeTelephoneEvent(p.payload).end, p.timestamp])).toEqual([
      [26 * 160, true, 0x1000], [26 * 160, true, 0x1000], [26 * 160, true, 0x1000],
    ]);
    expect(b.audioSlots).toEqual([3]);
  });

  it('splits an event longer than 0xFFFF units into segments (§2.5.1.3)', () => {
    const s = new Rfc4733Sender();
    expect(s.maxSegment).toBe(65440);
    s.begin('9', 10_000); // 80000 units
    const ts0 = 0xfffff000; // and the timestamp wraps during the event
    const { events } = drive(s, 505, ts0);
    const v = events.map(view);
    // Segment 1 grows to 65440 at slot 408.
    expect(v.filter((p) => p.slot === 408)).toEqual([
      { slot: 408, seq: 508, ts: ts0, m: false, event: 9, end: false, volume: 10, duration: 65440 },
    ]);
    // Slots 409 and 410: two more copies of the closing report; slot 411: segment 2, timestamp
    // ts0 + 65440, no marker, duration counted from its own start (3 slots).
    const seg2 = (ts0 + 65440) >>> 0;
    expect(v.filter((p) => p.slot >= 409 && p.slot <= 411).map((p) => [p.slot, p.ts, p.m, p.duration, p.end])).toEqual([
      [409, ts0, false, 65440, false], [410, ts0, false, 65440, false], [411, seg2, false, 480, false],
    ]);
    const last = v.filter((p) => p.end);
    expect(last.map((p) => [p.slot, p.ts, p.duration])).toEqual([[499, seg2, 14560], [500, seg2, 14560], [501, seg2, 14560]]);
    expect(v).toHaveLength(502); // one packet per slot, 0..501
    expect(v.filter((p) => p.m)).toHaveLength(1);
    // Sequence numbers are consecutive across the whole event.
    expect(v.every((p, i) => i === 0 || p.seq === ((v[i - 1]!.seq + 1) & 0xffff))).toBe(true);
  });

  it('refuses a second begin() while busy and release() while idle, with exact sentences', () => {
    const s = new Rfc4733Sender();
    expect(() => s.release()).toThrow(new DtmfStateError('No telephone-event is playing; there is nothing to release.'));
    s.begin('1', 100);
    expect(() => s.begin('2', 100)).toThrow(DtmfStateError);
    expect(() => new Rfc4733Sender({ volume: 70 })).toThrow(new DtmfConfigError('Telephone-event volume 70 is outside 0..63 (-dBm0).'));
    expect(() => new Rfc4733Sender().begin('1', 0)).toThrow('DTMF duration 0 ms must be a positive number.');
  });
});
