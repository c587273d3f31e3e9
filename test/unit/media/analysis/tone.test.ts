import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addWhiteNoise, dropEveryNthFrame, g711RoundTrip, padSilence } from '../../../../src/media/analysis/degrade.js';
import { findTones, goertzelPower, ToneDetector, tonePurity } from '../../../../src/media/analysis/tone.js';
import { loadWavForPlaybackSync } from '../../../../src/media/wav/reader.js';
import { concatSamples } from '../../../support/audio-compare.js';

const load = (f: string): Int16Array => loadWavForPlaybackSync(`audio/${f}`).samples;
const sine = (f: number, ms: number, amp = 7000): Int16Array =>
  Int16Array.from({ length: ms * 8 }, (_, i) => Math.round(amp * Math.sin((2 * Math.PI * f * i) / 8000)));
const concat = concatSamples;
/** Every frequency a voice server might beep at, and some: the speech tests listen for all. */
const MANY = [300, 350, 400, 425, 440, 480, 500, 600, 620, 800, 1000, 1200, 1400, 1600, 2000, 2500, 3000];

describe('Goertzel', () => {
  it('measures the mean power of a sine, on and off bin', () => {
    expect(goertzelPower(sine(1000, 20, 1000), 1000)).toBeCloseTo(500_000, -3);
    expect(goertzelPower(sine(1013, 20, 1000), 1013) / 500_000).toBeGreaterThan(0.97);
    expect(goertzelPower(sine(1000, 20, 1000), 1300) / 500_000).toBeLessThan(0.01);
    expect(tonePurity(new Int16Array(160), 1000)).toBe(0);
  });
});

describe('tone detection', () => {
  it('finds the committed 1 kHz beep with its start, end and level (-10 dBm0 = -13.17 dBFS)', () => {
    const x = padSilence(load('beep-1000hz.wav'), 1234 / 8, 300);
    const tones = findTones(x, { frequencies: [1000] });
    expect(tones.length).toBe(1);
    expect(tones[0]!.frequency).toBe(1000);
    expect(Math.abs(tones[0]!.startMs - 154.25)).toBeLessThanOrEqual(20);
    expect(Math.abs(tones[0]!.endMs - 654.25)).toBeLessThanOrEqual(20);
    expect(tones[0]!.levelDbfs).toBeCloseTo(-13.17, 1);
  });

  it.each(['PCMU', 'PCMA'] as const)('finds the beep after %s with noise at -45 dBFS and a lost packet', (law) => {
    const x = g711RoundTrip(dropEveryNthFrame(addWhiteNoise(padSilence(load('beep-1000hz.wav'), 100, 100), -45), 20, 12), law);
    const tones = findTones(x, { frequencies: [440, 1000, 1400] });
    expect(tones.map((t) => t.frequency)).toEqual([1000]);
    expect(tones[0]!.endMs - tones[0]!.startMs).toBeGreaterThanOrEqual(460);
  });

  it('reports the test-tones sequence in order with the right timing', () => {
    const tones = findTones(load('test-tones.wav'), { frequencies: [400, 800, 1200, 1600] });
    expect(tones.map((t) => [t.frequency, t.startMs, t.endMs])).toEqual([
      [400, 100, 400],
      [800, 500, 800],
      [1200, 900, 1200],
      [1600, 1300, 1600],
    ]);
  });

  it('emits tone-start once the minimum duration is reached, tone-end when it stops', () => {
    const d = new ToneDetector({ frequencies: [1000], minDurationMs: 100 });
    const x = concat(new Int16Array(160), sine(1000, 200), new Int16Array(320));
    const events = [];
    for (let i = 0; i < x.length; i += 160) events.push(...d.push(x.subarray(i, i + 160)).map((e) => [e.type, e.atMs]));
    expect(events).toEqual([
      ['tone-start', 120],
      ['tone-end', 220],
    ]);
    expect(d.activeFrequency).toBeUndefined();
  });

  it('ignores tones shorter than the minimum duration, off-list frequencies and dual tones', () => {
    expect(findTones(sine(1000, 80), { frequencies: [1000], minDurationMs: 100 })).toEqual([]);
    expect(findTones(sine(1300, 500), { frequencies: [1000] })).toEqual([]);
    const dtmf5 = sine(770, 500).map((v, i) => v + Math.round(7000 * Math.sin((2 * Math.PI * 1336 * i) / 8000)));
    expect(findTones(dtmf5, { frequencies: [770, 1336] })).toEqual([]);
  });

  it('accepts a slightly off-pitch generator (1012 Hz for 1000 Hz)', () => {
    expect(findTones(sine(1012, 300), { frequencies: [1000] }).length).toBe(1);
  });

  it.each(['speech-sample.wav', 'message.wav', ...readdirSync('audio/prompts').filter((f) => f.endsWith('.wav')).map((f) => `prompts/${f}`)])(
    'finds no tone in speech: %s',
    (file) => {
      expect(findTones(load(file), { frequencies: MANY, minDurationMs: 60 })).toEqual([]);
      expect(findTones(g711RoundTrip(load(file), 'PCMA'), { frequencies: MANY, minDurationMs: 60 })).toEqual([]);
    },
  );

  it('rejects an empty frequency list', () => {
    expect(() => new ToneDetector({ frequencies: [] })).toThrow('ToneDetector needs at least one frequency');
  });
});
