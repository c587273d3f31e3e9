import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/util/clock.js';
import { Rfc4733Sender } from '../../../../src/media/dtmf/rfc4733-sender.js';
import { Rfc4733Receiver } from '../../../../src/media/dtmf/rfc4733-receiver.js';
import { encodeTelephoneEvent } from '../../../../src/media/dtmf/rfc4733.js';
import { DTMF_TONE_KEYS, type DtmfDigitEvent } from '../../../../src/media/dtmf/keys.js';
import { drive, type SentPacket } from './support.js';

const SSRC = 0x11223344;

/** Delivers packets at their slot time (slot × 20 ms + 5 ms transit), then lets time run on. */
function deliver(packets: SentPacket[], opts: { endTimeoutMs?: number; tailMs?: number; clock?: ManualClock } = {}) {
  const clock = opts.clock ?? new ManualClock(0);
  const digits: DtmfDigitEvent[] = [];
  const rx = new Rfc4733Receiver({ clock, onDigit: (d) => digits.push(d), ...(opts.endTimeoutMs ? { endTimeoutMs: opts.endTimeoutMs } : {}) });
  for (const p of packets) {
    const at = p.slot * 20 + 5;
    if (at > clock.now()) clock.advance(at - clock.now());
    rx.receive({ payload: p.payload, sequence: p.sequence, timestamp: p.timestamp, marker: p.marker, ssrc: SSRC });
  }
  clock.advance(opts.tailMs ?? 1000);
  return { digits, rx };
}

function sendDigits(keys: string, durationMs = 100, gapSlots = 4): SentPacket[] {
  const s = new Rfc4733Sender();
  const all: SentPacket[] = [];
  let slot = 0;
  for (const k of keys) {
    s.begin(k as never, durationMs);
    const { events } = drive(s, Math.ceil(durationMs / 20) + 2 + gapSlots, 0x1000 + slot * 160, slot);
    all.push(...events.map((e) => ({ ...e, slot: e.slot + slot })));
    slot += Math.ceil(durationMs / 20) + 2 + gapSlots;
  }
  return all;
}

describe('Rfc4733Receiver (RFC 4733 §2.5.2)', () => {
  it('receives all 16 events sent by Rfc4733Sender: one digit each, exact durations', () => {
    const keys = DTMF_TONE_KEYS.join('');
    const { digits, rx } = deliver(sendDigits(keys));
    expect(digits.map((d) => d.digit).join('')).toBe(keys);
    expect(digits.every((d) => d.method === 'rfc4733' && d.durationMs === 100)).toBe(true);
    // First packet arrives at slot×20 + 5 ms and already covers 20 ms.
    expect(digits[0]!.startMs).toBe(-15);
    expect(digits[1]!.startMs).toBe(11 * 20 - 15);
    expect(rx.stats).toMatchObject({ digits: 16, ignored: 32, timeouts: 0 });
  });

  it('reports an event at its E packet, before the repeats arrive', () => {
    const clock = new ManualClock(0);
    const got: DtmfDigitEvent[] = [];
    const rx = new Rfc4733Receiver({ clock, onDigit: (d) => got.push(d) });
    const pk = (duration: number, end: boolean, marker = false) => ({
      payload: encodeTelephoneEvent({ event: 1, end, volume: 10, duration }), sequence: 1, timestamp: 999, marker, ssrc: 1,
    });
    rx.receive(pk(160, false, true));
    expect(got).toHaveLength(0);
    rx.receive(pk(320, true));
    expect(got).toEqual([{ digit: '1', method: 'rfc4733', startMs: -20, durationMs: 40 }]);
    rx.receive(pk(320, true));
    expect(got).toHaveLength(1);
  });

  it('survives duplicates of every packet', () => {
    const pkts = sendDigits('1234').flatMap((p) => [p, p]);
    expect(deliver(pkts).digits.map((d) => d.digit).join('')).toBe('1234');
  });

  it('survives reordering within an event (updates and end packets swapped)', () => {
    const pkts = sendDigits('55');
    // Swap neighbours pairwise inside each event.
    const swapped = [...pkts];
    for (let i = 0; i + 1 < swapped.length; i += 2) {
      if (swapped[i]!.timestamp === swapped[i + 1]!.timestamp) [swapped[i], swapped[i + 1]] = [swapped[i + 1]!, swapped[i]!];
    }
    const { digits } = deliver(swapped);
    expect(digits.map((d) => [d.digit, d.durationMs])).toEqual([['5', 100], ['5', 100]]);
  });

  it('ends an event whose three end packets were all lost when the next event begins', () => {
    const pkts = sendDigits('12').filter((p) => !(p.payload[1]! & 0x80 && p.payload[0] === 1));
    const { digits, rx } = deliver(pkts, { endTimeoutMs: 10_000 });
    expect(digits.map((d) => [d.digit, d.durationMs])).toEqual([['1', 80], ['2', 100]]);
    expect(rx.stats.timeouts).toBe(0);
  });

  it('ends an event whose end packets were lost after the timeout (3 × ptime), with the longest duration seen', () => {
    const clock = new ManualClock(0);
    const pkts = sendDigits('9').filter((p) => !(p.payload[1]! & 0x80));
    const got: DtmfDigitEvent[] = [];
    const rx = new Rfc4733Receiver({ clock, onDigit: (d) => got.push(d) });
    for (const p of pkts) {
      clock.advance(p.slot * 20 + 5 - clock.now());
      rx.receive({ payload: p.payload, sequence: p.sequence, timestamp: p.timestamp, marker: p.marker, ssrc: SSRC });
    }
    clock.advance(59);
    expect(got).toHaveLength(0);
    clock.advance(1);
    expect(got.map((d) => [d.digit, d.durationMs])).toEqual([['9', 80]]);
    // A straggling end packet after the timeout does not make a second digit.
    rx.receive({ payload: encodeTelephoneEvent({ event: 9, end: true, volume: 10, duration: 800 }), sequence: 5, timestamp: 0x1000, marker: false, ssrc: SSRC });
    expect(got).toHaveLength(1);
    expect(rx.stats.timeouts).toBe(1);
  });

  it('reports an event whose marker packet was lost, and ignores a late packet of an earlier event', () => {
    const pkts = sendDigits('34');
    const noFirst = pkts.filter((p) => !p.marker);
    const { digits } = deliver(noFirst);
    expect(digits.map((d) => d.digit).join('')).toBe('34');
    // Move the first update of '3' after all of '4' (stale) - and drop the rest of '3'.
    const three = pkts.filter((p) => p.payload[0] === 3);
    const four = pkts.filter((p) => p.payload[0] === 4);
    const late = deliver([...four, { ...three[0]!, slot: 30 }]);
    expect(late.digits.map((d) => d.digit).join('')).toBe('4');
    expect(late.rx.stats.stale).toBe(1);
  });

  it('joins the segments of a long-duration event into one digit (§2.5.1.3)', () => {
    const s = new Rfc4733Sender();
    s.begin('#', 10_000);
    const { events } = drive(s, 505, 0xfffff000);
    const { digits } = deliver(events);
    expect(digits).toEqual([{ digit: '#', method: 'rfc4733', startMs: -15, durationMs: 10_000 }]);
  });

  it('treats the same key pressed twice as two digits, and a new SSRC as a new event', () => {
    expect(deliver(sendDigits('00')).digits.map((d) => d.digit).join('')).toBe('00');
    const clock = new ManualClock(0);
    const got: string[] = [];
    const rx = new Rfc4733Receiver({ clock, onDigit: (d) => got.push(d.digit) });
    const p = (ssrc: number) => ({ payload: encodeTelephoneEvent({ event: 2, end: false, volume: 10, duration: 160 }), sequence: 1, timestamp: 5, marker: true, ssrc });
    rx.receive(p(1));
    rx.receive(p(2));
    expect(got).toEqual(['2']);
    clock.advance(100);
    expect(got).toEqual(['2', '2']);
  });

  it('counts and ignores non-DTMF events', () => {
    const clock = new ManualClock(0);
    const got: string[] = [];
    const rx = new Rfc4733Receiver({ clock, onDigit: (d) => got.push(d.digit) });
    rx.receive({ payload: encodeTelephoneEvent({ event: 32, end: true, volume: 10, duration: 800 }), sequence: 1, timestamp: 5, marker: true, ssrc: 1 });
    expect(got).toEqual([]);
    expect(rx.stats.nonDtmf).toBe(1);
  });
});
