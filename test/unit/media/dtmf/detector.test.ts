import { describe, expect, it } from 'vitest';
import { DtmfDetector, detectDtmf } from '../../../../src/media/dtmf/detector.js';
import { DtmfToneGenerator, synthesizeDtmf } from '../../../../src/media/dtmf/tone.js';
import { DTMF_TONE_KEYS, keyFrequencies } from '../../../../src/media/dtmf/keys.js';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../../../../src/media/g711.js';
import { addNoise, espeakSpeech, pairPower, readAudio8k, repoSpeechFiles, SPEECH_TEXTS } from './support.js';

const ALL = DTMF_TONE_KEYS.join('');
const digits = (x: Int16Array, o = {}) => detectDtmf(x, o).map((d) => d.digit).join('');

describe('DtmfDetector: the 16 keys', () => {
  it('detects all 16 keys with their start and duration (100 ms tones, 70 ms gaps)', () => {
    const ev = detectDtmf(synthesizeDtmf(ALL));
    expect(ev.map((e) => e.digit).join('')).toBe(ALL);
    ev.forEach((e, i) => {
      expect(e.method).toBe('inband');
      expect(Math.abs(e.startMs - (100 + i * 170))).toBeLessThanOrEqual(4);
      expect(Math.abs(e.durationMs - 100)).toBeLessThanOrEqual(6);
    });
  });

  it.each([
    ['μ-law', encodeUlaw, decodeUlaw],
    ['A-law', encodeAlaw, decodeAlaw],
  ] as const)('detects all 16 keys through G.711 %s', (_name, enc, dec) => {
    expect(digits(dec(enc(synthesizeDtmf(ALL))))).toBe(ALL);
  });

  it('gives the same digits whatever the chunk size (streaming state)', () => {
    const x = synthesizeDtmf('159D*', { durationMs: 60, gapMs: 45 });
    const whole = detectDtmf(x);
    for (const chunk of [1, 7, 160, 333]) {
      const d = new DtmfDetector();
      const got = [];
      for (let i = 0; i < x.length; i += chunk) got.push(...d.process(x.subarray(i, i + chunk)));
      got.push(...d.flush());
      expect(got).toEqual(whole);
    }
    expect(whole.map((e) => e.digit).join('')).toBe('159D*');
  });

  it('reports a tone still sounding at flush(), and calls onDigit', () => {
    const seen: string[] = [];
    const d = new DtmfDetector({ onDigit: (e) => seen.push(e.digit), timeOffsetMs: 1000 });
    const x = synthesizeDtmf('8', { padMs: 0, durationMs: 200 });
    expect(d.process(x)).toEqual([]);
    const [e] = d.flush();
    expect(e!.digit).toBe('8');
    expect(e!.startMs).toBeGreaterThanOrEqual(1000);
    expect(seen).toEqual(['8']);
  });
});

describe('DtmfDetector: Q.24 / ES 201 235-3 acceptance and rejection', () => {
  it.each([0.985, 1.015])('accepts every key with both tones off by a factor %s (±1.5 %%)', (f) => {
    expect(digits(synthesizeDtmf(ALL, { frequencyScale: f }))).toBe(ALL);
  });

  it.each([0.965, 1.035])('rejects every key with both tones off by a factor %s (±3.5 %%)', (f) => {
    expect(digits(synthesizeDtmf(ALL, { frequencyScale: f }))).toBe('');
  });

  it.each(DTMF_TONE_KEYS)('rejects key %s when only one tone is 3.5 %% off, either one, either way', (k) => {
    const f = keyFrequencies(k);
    for (const [lowF, highF] of [[1.035, 1], [0.965, 1], [1, 1.035], [1, 0.965]] as const) {
      expect(digits(synthesizeDtmf([k], { lowHz: f.lowHz * lowF, highHz: f.highHz * highF }))).toBe('');
    }
    expect(digits(synthesizeDtmf([k], { lowHz: f.lowHz * 1.015, highHz: f.highHz * 0.985 }))).toBe(k);
  });

  it.each([-8, -4, 0, 4])('accepts twist %i dB (level(high) - level(low))', (t) => {
    expect(digits(synthesizeDtmf(ALL, { twistDb: t }))).toBe(ALL);
  });

  it.each([-10, 6])('rejects twist %i dB, beyond the limits', (t) => {
    expect(digits(synthesizeDtmf(ALL, { twistDb: t }))).toBe('');
  });

  it('accepts 40 ms tones and rejects 30 ms tones, at every alignment to the 4 ms analysis grid', () => {
    for (let shift = 0; shift < 32; shift++) {
      const pad = 100 + shift / 8;
      expect(digits(synthesizeDtmf('5', { durationMs: 40, padMs: pad }))).toBe('5');
      expect(digits(synthesizeDtmf('5', { durationMs: 30, padMs: pad }))).toBe('');
    }
  });

  it('separates the same key repeated with 40 ms pauses, and bridges a 10 ms drop-out', () => {
    expect(digits(synthesizeDtmf('5555', { durationMs: 40, gapMs: 40 }))).toBe('5555');
    expect(digits(synthesizeDtmf('55', { durationMs: 60, gapMs: 10 }))).toBe('5');
  });

  it('detects all 16 keys at 15 dB SNR (white noise, 10 seeds)', () => {
    const x = synthesizeDtmf(ALL);
    for (let seed = 1; seed <= 10; seed++) expect(digits(addNoise(x, pairPower(-10), 15, seed))).toBe(ALL);
  });

  it('accepts -28 dBm0 per tone and rejects -36 dBm0 (floor -30 dBm0)', () => {
    expect(digits(synthesizeDtmf(ALL, { levelDbm0: -28 }))).toBe(ALL);
    expect(digits(synthesizeDtmf(ALL, { levelDbm0: -36 }))).toBe('');
  });

  it('does not take a single tone, or a key mixed with a third tone of equal level, for a digit', () => {
    const g = new DtmfToneGenerator();
    const x = new Int16Array(2000);
    g.start('1', { lowHz: 697, highHz: 697 }); // one frequency only (both oscillators on it)
    g.fill(x);
    expect(digits(x)).toBe('');
    const y = synthesizeDtmf('1', { padMs: 0, durationMs: 200 });
    const third = new DtmfToneGenerator();
    third.start('1', { lowHz: 1000, highHz: 1000, levelDbm0: -10 });
    third.mixInto(y);
    expect(digits(y)).toBe('');
  });
});

describe('DtmfDetector: talk-off', () => {
  it('reports zero digits over the speech prompts in audio/ and generated espeak-ng speech', () => {
    const corpus: Int16Array[] = repoSpeechFiles(process.cwd()).map(readAudio8k);
    for (const t of SPEECH_TEXTS) corpus.push(espeakSpeech(t.text, t.voice, t.speed));
    let seconds = 0;
    const found: string[] = [];
    for (const a of corpus) {
      seconds += a.length / 8000;
      found.push(...detectDtmf(a).map((d) => d.digit));
      // The same speech 10 dB louder (clipping-free part of the range) must not talk off either.
      const loud = a.map((v) => Math.max(-32768, Math.min(32767, v * 3.16)));
      found.push(...detectDtmf(loud).map((d) => d.digit));
    }
    expect(seconds).toBeGreaterThan(30);
    expect(found).toEqual([]);
  }, 60_000);
});
