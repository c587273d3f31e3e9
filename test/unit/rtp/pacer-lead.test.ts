import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { Pacer, PacerError } from '../../../src/rtp/pacer.js';
import { RtpSender, type RtpSendSocket } from '../../../src/rtp/sender.js';

describe('Pacer leadMs', () => {
  it('runs each tick leadMs before its deadline and passes the true deadline', () => {
    const clock = new ManualClock();
    const pacer = new Pacer({ clock });
    const seen: { n: number; due: number; at: number }[] = [];
    const h = pacer.add({ tick: (n, due) => seen.push({ n, due, at: clock.now() }) }, { start: 100, leadMs: 40 });
    expect(h.leadMs).toBe(40);
    clock.advance(59);
    expect(seen).toEqual([]);
    clock.advance(1);
    expect(seen).toEqual([{ n: 0, due: 100, at: 60 }]);
    clock.advance(40);
    expect(seen.map((s) => [s.n, s.due, s.at])).toEqual([[0, 100, 60], [1, 120, 80], [2, 140, 100]]);
  });

  it('starts a stream on its phase no sooner than the lead: tick 0 is produced ahead like the others', () => {
    const clock = new ManualClock(1000);
    const pacer = new Pacer({ clock });
    const seen: { due: number; at: number }[] = [];
    const handles = [0, 1, 2, 3].map(() => pacer.add({ tick: (_n, due) => seen.push({ due, at: clock.now() }) }, { leadMs: 40 }));
    for (const h of handles) expect(h.start).toBeGreaterThanOrEqual(1000 + 1 + 40);
    clock.advance(100);
    expect(seen.length).toBeGreaterThan(4);
    for (const s of seen) expect(s.due - s.at).toBe(40);
  });

  it('refuses a negative lead', () => {
    const pacer = new Pacer({ clock: new ManualClock() });
    expect(() => pacer.add({ tick: () => {} }, { leadMs: -1 })).toThrow(PacerError);
  });
});

describe('RtpSender on a self-pacing socket (sendAt)', () => {
  it('asks the pacer for the socket lead and hands each packet over with its deadline', () => {
    const clock = new ManualClock();
    const pacer = new Pacer({ clock });
    const handed: { seq: number; due: number; at: number; port: number }[] = [];
    const socket: RtpSendSocket = {
      leadMs: 40,
      send: () => {
        throw new Error('send() must not be used when sendAt exists');
      },
      sendAt: (packet, port, _address, due) => handed.push({ seq: packet.readUInt16BE(2), due, at: clock.now(), port }),
    };
    const sender = new RtpSender({
      clock,
      socket,
      remote: { address: '127.0.0.1', port: 4000 },
      source: { poll: () => ({ payload: Buffer.alloc(160, 0xff), payloadType: 0 }) },
      initialSequence: 10,
      ssrc: 1,
      initialTimestamp: 0,
    });
    const h = sender.start(pacer, { start: 100 });
    expect(h.leadMs).toBe(40);
    clock.advance(100);
    expect(handed).toEqual([
      { seq: 10, due: 100, at: 60, port: 4000 },
      { seq: 11, due: 120, at: 80, port: 4000 },
      { seq: 12, due: 140, at: 100, port: 4000 },
    ]);
    // the send time reported (for RTCP) is when the packet leaves, not when it was produced
    expect(sender.lastSendTime).toBe(140);
  });

  it('a plain socket keeps lead 0 and send()', () => {
    const clock = new ManualClock();
    const pacer = new Pacer({ clock });
    const sent: number[] = [];
    const sender = new RtpSender({
      clock,
      socket: { send: () => sent.push(clock.now()) },
      remote: { address: '127.0.0.1', port: 4000 },
      source: { poll: () => ({ payload: Buffer.alloc(160), payloadType: 0 }) },
    });
    expect(sender.start(pacer, { start: 20 }).leadMs).toBe(0);
    clock.advance(40);
    expect(sent).toEqual([20, 40]);
  });
});
