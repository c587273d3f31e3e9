import { describe, expect, it } from 'vitest';
import { DtmfScheduler, type DtmfSchedulerOptions } from '../../../../src/media/dtmf/scheduler.js';
import { chooseDtmfMode } from '../../../../src/media/dtmf/mode.js';
import { parseDtmfSequence } from '../../../../src/media/dtmf/sequence.js';
import { detectDtmf } from '../../../../src/media/dtmf/detector.js';
import { Rfc4733Receiver } from '../../../../src/media/dtmf/rfc4733-receiver.js';
import { decodeTelephoneEvent } from '../../../../src/media/dtmf/rfc4733.js';
import { DtmfConfigError, DtmfSequenceError } from '../../../../src/media/dtmf/errors.js';
import type { DtmfDigitEvent } from '../../../../src/media/dtmf/keys.js';
import { ManualClock } from '../../../../src/util/clock.js';
import { decodeUlaw, encodeUlaw } from '../../../../src/media/g711.js';

describe('chooseDtmfMode', () => {
  it('auto = RFC 4733 when telephone-event was negotiated, else in-band; never in-band when it was', () => {
    expect(chooseDtmfMode('auto', 101)).toBe('rfc4733');
    expect(chooseDtmfMode('auto', 0)).toBe('rfc4733');
    expect(chooseDtmfMode('auto')).toBe('inband');
    expect(chooseDtmfMode('inband', 101)).toBe('inband');
    expect(chooseDtmfMode('info')).toBe('info');
    expect(() => chooseDtmfMode('rfc4733')).toThrow(
      new DtmfConfigError('RFC 4733 DTMF was requested but the SDP answer did not negotiate telephone-event.'),
    );
  });
});

describe('parseDtmfSequence', () => {
  it('reads keys, commas as pauses, and ignores spaces', () => {
    expect(parseDtmfSequence('1a ,#', 300)).toEqual([
      { kind: 'key', key: '1' }, { kind: 'key', key: 'A' }, { kind: 'pause', ms: 300 }, { kind: 'key', key: '#' },
    ]);
    expect(() => parseDtmfSequence('12x')).toThrow(new DtmfSequenceError('12x', 2));
    expect(() => parseDtmfSequence('12x')).toThrow('DTMF sequence "12x" has an invalid character "x" at index 2.');
  });
});

/** Runs a scheduler for n slots like an RTP stream does; records what it asked for. */
function run(opts: DtmfSchedulerOptions, seq: string, slots: number) {
  const sent: DtmfDigitEvent[] = [];
  const s = new DtmfScheduler({ ...opts, onSent: (e) => sent.push(e) });
  s.enqueue(seq);
  const outs = [];
  const audio: Int16Array[] = [];
  for (let i = 0; i < slots; i++) {
    const frame = new Int16Array(160);
    outs.push(s.poll(1000 + i * 160, frame));
    audio.push(frame);
  }
  const pcm = new Int16Array(slots * 160);
  audio.forEach((f, i) => pcm.set(f, i * 160));
  return { s, sent, outs, pcm };
}

describe('DtmfScheduler', () => {
  it('rfc4733: keys in order, duration + gap, pauses, initial silence; audio suppressed only during events', () => {
    const { sent, outs, s } = run({ mode: 'rfc4733', initialSilenceMs: 200 }, '12,3', 80);
    expect(sent.map((e) => [e.digit, e.startMs, e.durationMs])).toEqual([
      ['1', 200, 100], ['2', 380, 100], ['3', 1060, 100], // 200+100+70 → 380 (slot grid); 380+170+500 → 1060
    ]);
    const firstEventSlot = outs.findIndex((o) => o.events.length > 0);
    expect(firstEventSlot).toBe(10);
    expect(outs.slice(0, 10).every((o) => o.audio === 'send')).toBe(true);
    expect(outs.slice(10, 17).every((o) => o.audio === 'suppress')).toBe(true);
    expect(outs[17]!.audio).toBe('send');
    expect(s.idle).toBe(true);
    const ev = outs.flatMap((o) => o.events);
    expect(ev.filter((p) => p.marker).map((p) => decodeTelephoneEvent(p.payload).event)).toEqual([1, 2, 3]);
  });

  it('rfc4733: a burst of typed keys (repeats included) all arrive, in order, none merged', () => {
    const clock = new ManualClock(0);
    const got: string[] = [];
    const rx = new Rfc4733Receiver({ clock, onDigit: (d) => got.push(d.digit) });
    const s = new DtmfScheduler({ mode: 'rfc4733', durationMs: 60, gapMs: 40 });
    s.enqueue('11');
    s.enqueue('2#');
    s.enqueue('##9');
    for (let i = 0; i < 200; i++) {
      const out = s.poll(i * 160);
      for (const p of out.events) rx.receive({ payload: p.payload, sequence: i, timestamp: p.timestampOverride, marker: p.marker, ssrc: 7 });
      clock.advance(20);
    }
    expect(got.join('')).toBe('112###9');
    expect(s.sentKeys).toBe(7);
    expect(s.pendingKeys).toBe(0);
  });

  it('inband: tones mixed into the frames are detected as the same keys, through μ-law', () => {
    const { pcm, sent, outs } = run({ mode: 'inband', initialSilenceMs: 100 }, '0123456789*#ABCD', 160);
    const got = detectDtmf(decodeUlaw(encodeUlaw(pcm)));
    expect(got.map((d) => d.digit).join('')).toBe('0123456789*#ABCD');
    got.forEach((d, i) => expect(Math.abs(d.startMs - sent[i]!.startMs)).toBeLessThanOrEqual(4));
    expect(sent.map((e) => e.startMs).slice(0, 3)).toEqual([100, 270, 440]); // sample-accurate gaps
    expect(outs.every((o) => o.audio === 'send' && o.events.length === 0)).toBe(true);
  });

  it('inband: the tone is mixed with the outgoing speech frame, not replacing it', () => {
    const s = new DtmfScheduler({ mode: 'inband' });
    s.enqueue('5');
    const frame = new Int16Array(160).fill(1000);
    const out = s.poll(0, frame);
    expect(out.toneMixed).toBe(true);
    expect(frame[0]).toBe(1000); // both oscillators start at phase 0: sin(0) = 0
    expect(frame.some((v) => v !== 1000)).toBe(true);
  });

  it('info: one body per key at its start, paced by duration + gap', () => {
    const { outs } = run({ mode: 'info', durationMs: 200, gapMs: 100, infoFormat: 'dtmf-relay' }, '4,5', 60);
    const infos = outs.map((o, i) => [i, o.info?.body]).filter(([, b]) => b);
    expect(infos).toEqual([[0, 'Signal=4\r\nDuration=200\r\n'], [40, 'Signal=5\r\nDuration=200\r\n']]);
    expect(outs.every((o) => o.audio === 'send')).toBe(true);
  });

  it('a pause typed after the queue ran dry still pauses from now', () => {
    const s = new DtmfScheduler({ mode: 'info' });
    for (let i = 0; i < 50; i++) s.poll(0);
    s.enqueue(',7');
    let at = -1;
    for (let i = 50; i < 100 && at < 0; i++) if (s.poll(0).info) at = i;
    expect(at).toBe(75); // 50 slots + 500 ms
  });

  it('rejects a negative gap', () => {
    expect(() => new DtmfScheduler({ mode: 'inband', gapMs: -1 })).toThrow('DTMF gap -1 ms must be a non-negative number.');
  });
});
