/**
 * One-way audio (a side dead for N seconds while the other flows) and post-dial delay (first INVITE to
 * first 18x and to 2xx, across a redirect and an authentication retry), from event sequences.
 */
import { describe, expect, it } from 'vitest';
import { OneWayAudioDetector, type AudioSide } from '../../../../src/rtp/quality/one-way-audio.js';
import { PostDialDelay, type SignalEvent } from '../../../../src/rtp/quality/post-dial-delay.js';

/** 50 packets a second on `side` from `fromS` to `toS` (seconds), with the given energy or comfort noise. */
function stream(d: OneWayAudioDetector, side: AudioSide, fromS: number, toS: number, what: { energyDbov?: number; comfortNoise?: boolean } = { energyDbov: -20 }): void {
  for (let t = fromS * 1000; t < toS * 1000; t += 20) d.packet(side, { atMs: t, ...what });
}

describe('OneWayAudioDetector', () => {
  it('a normal call, both sides heard, is not one-way', () => {
    const d = new OneWayAudioDetector({ originMs: 0 });
    stream(d, 'sent', 0, 10);
    stream(d, 'received', 0, 10);
    d.end(10_000);
    expect(d.result()).toMatchObject({ oneWay: false, deadSide: undefined, deadForMs: 0 });
  });

  it('no RTP received for 6 s while ours flows: one-way, received side dead from 2 s for 6 s', () => {
    const d = new OneWayAudioDetector({ originMs: 0 });
    stream(d, 'sent', 0, 10);
    stream(d, 'received', 0, 2);
    stream(d, 'received', 8, 10);
    d.end(10_000);
    const r = d.result();
    expect(r).toMatchObject({ oneWay: true, deadSide: 'received', deadFromMs: 2000, deadForMs: 6000 });
    expect(r.seconds.received.slice(0, 4)).toEqual(['heard', 'heard', 'none', 'none']);
  });

  it.each([
    ['comfort noise only', { comfortNoise: true }],
    ['packets of silence only', { energyDbov: -70 }],
  ])('%s from the far end for 5 s counts as dead', (_name, what) => {
    const d = new OneWayAudioDetector({ originMs: 0 });
    stream(d, 'sent', 0, 8);
    stream(d, 'received', 0, 3);
    stream(d, 'received', 3, 8, what);
    d.end(8000);
    expect(d.result()).toMatchObject({ oneWay: true, deadSide: 'received', deadFromMs: 3000, deadForMs: 5000 });
    expect(d.result().seconds.received[4]).toBe('silent');
  });

  it('4 s dead is under the 5 s window; both sides quiet together is not one-way', () => {
    const d = new OneWayAudioDetector({ originMs: 0 });
    stream(d, 'sent', 0, 12);
    stream(d, 'received', 0, 2);
    stream(d, 'received', 6, 12);
    d.end(12_000);
    expect(d.result().oneWay).toBe(false);
    const quiet = new OneWayAudioDetector({ originMs: 0 });
    stream(quiet, 'sent', 0, 10, { energyDbov: -80 });
    stream(quiet, 'received', 0, 10, { comfortNoise: true });
    expect(quiet.result().oneWay).toBe(false);
  });

  it('nothing received at all for the whole call is one-way', () => {
    const d = new OneWayAudioDetector({ originMs: 0 });
    stream(d, 'sent', 0, 7);
    d.end(7000);
    expect(d.result()).toMatchObject({ oneWay: true, deadSide: 'received', deadFromMs: 0, deadForMs: 7000 });
  });

  it('checks only the sides asked for: a phone that sends silence while it listens', () => {
    const listen = () => {
      const d = new OneWayAudioDetector({ originMs: 0, sides: ['received'] });
      stream(d, 'sent', 0, 10, { energyDbov: -90 });
      stream(d, 'received', 0, 10);
      return d;
    };
    expect(listen().result().oneWay).toBe(false);
    const both = new OneWayAudioDetector({ originMs: 0 });
    stream(both, 'sent', 0, 10, { energyDbov: -90 });
    stream(both, 'received', 0, 10);
    expect(both.result()).toMatchObject({ oneWay: true, deadSide: 'sent' });
  });
});

describe('PostDialDelay', () => {
  const run = (events: SignalEvent[]) => {
    const p = new PostDialDelay();
    events.forEach((e) => p.on(e));
    return p.result();
  };
  const inv = (atMs: number): SignalEvent => ({ kind: 'request-sent', method: 'INVITE', atMs });
  const res = (status: number, atMs: number, method = 'INVITE'): SignalEvent => ({ kind: 'response-received', method, status, atMs });

  it('INVITE → 100 → 180 → 200: ringing after 400 ms, answer after 900 ms', () => {
    expect(run([inv(1000), res(100, 1030), res(180, 1400), res(183, 1500), res(200, 1900)])).toEqual({
      toRingingMs: 400,
      toAnswerMs: 900,
      toFinalMs: 900,
      finalStatus: 200,
      invites: 1,
      redirects: 0,
    });
  });

  it('counts from the first INVITE across a 302 and a 407 challenge', () => {
    const r = run([inv(0), res(302, 50), inv(60), res(407, 80), inv(90), res(183, 700), res(200, 1500)]);
    expect(r).toEqual({ toRingingMs: 700, toAnswerMs: 1500, toFinalMs: 1500, finalStatus: 200, invites: 3, redirects: 1 });
  });

  it('a failed call: no answer, the final status and its delay', () => {
    expect(run([inv(0), res(180, 300), res(486, 2000)])).toMatchObject({ toRingingMs: 300, toAnswerMs: undefined, toFinalMs: 2000, finalStatus: 486 });
  });

  it('ignores other methods, responses before any INVITE and re-INVITEs after the answer', () => {
    const r = run([
      res(200, 5, 'OPTIONS'),
      res(180, 10),
      { kind: 'request-sent', method: 'OPTIONS', atMs: 20 },
      inv(100),
      res(200, 600),
      inv(5000),
      res(200, 5050),
      { kind: 'request-sent', method: 'BYE', atMs: 9000 },
    ]);
    expect(r).toEqual({ toRingingMs: undefined, toAnswerMs: 500, toFinalMs: 500, finalStatus: 200, invites: 1, redirects: 0 });
  });
});
