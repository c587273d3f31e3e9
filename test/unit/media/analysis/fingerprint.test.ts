import { describe, expect, it } from 'vitest';
import { addComfortNoise, applyGainDb, dropFrames, g711RoundTrip, padSilence } from '../../../../src/media/analysis/degrade.js';
import { compareFingerprints, comparePrompt, DEFAULT_MATCH_THRESHOLD, fingerprint } from '../../../../src/media/analysis/fingerprint.js';
import { loadWavForPlaybackSync } from '../../../../src/media/wav/reader.js';

const P = (name: string): Int16Array => loadWavForPlaybackSync(`audio/prompts/${name}.wav`).samples;

/** What a call does to a prompt: loudness, silence, 1 % of packets zeroed, G.711. */
const degradations: Array<[string, (x: Int16Array) => Int16Array]> = [
  ['μ-law, +10 dB, 1% loss, 137 ms more lead, 200 ms less trail', (x) => g711RoundTrip(dropFrames(padSilence(applyGainDb(x, 10), 137, -200), 0.01, 5), 'PCMU')],
  ['A-law, -10 dB, 1% loss, 250 ms less lead, 400 ms more trail', (x) => g711RoundTrip(dropFrames(padSilence(applyGainDb(x, -10), -250, 400), 0.01, 6), 'PCMA')],
  ['μ-law, -10 dB, comfort noise -60 dBov, 1% loss', (x) => g711RoundTrip(dropFrames(addComfortNoise(padSilence(applyGainDb(x, -10), 71, 0), -60), 0.01, 7), 'PCMU')],
];

// Deliberately close pairs: one word apart.
const pairs: Array<[string, string]> = [
  ['sales-press-1', 'sales-press-2'],
  ['new-messages-2', 'new-messages-3'],
  ['new-messages-0', 'new-messages-1'],
  ['enter-extension', 'enter-pin'],
  ['welcome', 'message-recorded'],
  ['greeting-613', 'auto-attendant'],
];

describe('prompt fingerprint', () => {
  it('an identical recording scores 1', () => {
    const r = comparePrompt(P('goodbye'), P('goodbye'));
    expect(r.score).toBeCloseTo(1, 6);
    expect(r.matches).toBe(true);
    expect(r.threshold).toBe(DEFAULT_MATCH_THRESHOLD);
  });

  for (const [name, degrade] of degradations) {
    it.each(pairs)(`${name}: accepts %s as itself and rejects it as %s (and the other way round)`, (a, b) => {
      const refA = fingerprint(P(a));
      const refB = fingerprint(P(b));
      const heardA = fingerprint(degrade(P(a)));
      const heardB = fingerprint(degrade(P(b)));
      const aa = compareFingerprints(heardA, refA);
      const ab = compareFingerprints(heardA, refB);
      const bb = compareFingerprints(heardB, refB);
      const ba = compareFingerprints(heardB, refA);
      expect(aa.matches).toBe(true);
      expect(bb.matches).toBe(true);
      expect(ab.matches).toBe(false);
      expect(ba.matches).toBe(false);
      expect(aa.score).toBeGreaterThan(ab.score + 0.15);
      expect(bb.score).toBeGreaterThan(ba.score + 0.15);
    });
  }

  it('trims leading and trailing silence: the kept part starts near the speech', () => {
    const fp = fingerprint(padSilence(P('goodbye'), 500, 0));
    expect(Math.abs(fp.startMs - 800)).toBeLessThanOrEqual(30);
  });

  it('silence or nothing never matches', () => {
    expect(comparePrompt(new Int16Array(16000), P('goodbye')).score).toBe(0);
    expect(comparePrompt(new Int16Array(0), P('goodbye')).matches).toBe(false);
  });

  it('a much longer or shorter utterance is rejected outright', () => {
    const r = comparePrompt(P('goodbye'), P('auto-attendant'));
    expect(r.score).toBe(0);
    expect(r.matches).toBe(false);
  });

  it('the threshold is configurable', () => {
    const heard = g711RoundTrip(P('invalid'), 'PCMA');
    expect(comparePrompt(heard, P('invalid'), { threshold: 0.999 }).matches).toBe(false);
    expect(comparePrompt(heard, P('invalid'), { threshold: 0.5 }).matches).toBe(true);
  });
});
