import { describe, expect, it } from 'vitest';
import { resample, Resampler } from '../../../src/media/resample.js';

function sine(f: number, rate: number, n: number, a = 10000): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = a * Math.sin((2 * Math.PI * f * i) / rate);
  return x;
}
/** Amplitude of the component at f (a single DFT bin over [from, to)). */
function toneAmp(x: ArrayLike<number>, f: number, rate: number, from: number, to: number): number {
  let re = 0;
  let im = 0;
  for (let i = from; i < to; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * f * i) / rate);
    im += x[i]! * Math.sin((2 * Math.PI * f * i) / rate);
  }
  return (2 * Math.hypot(re, im)) / (to - from);
}
function rms(x: ArrayLike<number>, a: number, b: number): number {
  let s = 0;
  for (let i = a; i < b; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (b - a));
}
/** Frequency of the strongest DFT bin between 100 Hz and rate/2 in 10 Hz steps. */
function peakFrequency(x: ArrayLike<number>, rate: number, from: number, to: number): number {
  let best = 0;
  let bestF = 0;
  for (let f = 100; f < Math.min(rate / 2, 4000); f += 10) {
    const a = toneAmp(x, f, rate, from, to);
    if (a > best) [best, bestF] = [a, f];
  }
  return bestF;
}

const RATES = [16000, 22050, 32000, 44100, 48000];

describe('resample', () => {
  it.each(RATES)('a 1 kHz sine 8000 -> %i -> 8000 keeps its frequency and amplitude', (rate) => {
    const x = sine(1000, 8000, 8000);
    const up = resample(x, 8000, rate);
    expect(up.length).toBe(rate);
    const q = Math.floor(rate / 4);
    expect(peakFrequency(up, rate, q, q + 2000)).toBe(1000);
    expect(Math.abs(toneAmp(up, 1000, rate, q, q + 4410) - 10000)).toBeLessThan(15);
    const down = resample(up, rate, 8000);
    expect(down.length).toBe(8000);
    expect(Math.abs(toneAmp(down, 1000, 8000, 2000, 6000) - 10000)).toBeLessThan(15);
    // Sample by sample, the round trip is the original (only passband ripple and rounding).
    let maxErr = 0;
    for (let i = 400; i < 7600; i++) maxErr = Math.max(maxErr, Math.abs(down[i]! - x[i]!));
    expect(maxErr).toBeLessThan(20);
  });

  it.each(RATES)('a 5 kHz tone at %i down to 8 kHz is attenuated by at least 40 dB (no aliasing)', (rate) => {
    const d = resample(sine(5000, rate, rate), rate, 8000);
    const db = 20 * Math.log10(Math.max(rms(d, 1000, 7000), 1e-9) / (10000 / Math.SQRT2));
    expect(db).toBeLessThan(-40);
  });

  it('a 3 kHz tone (in the passband) passes 48 kHz -> 8 kHz within 0.5 dB', () => {
    const d = resample(sine(3000, 48000, 48000), 48000, 8000);
    expect(toneAmp(d, 3000, 8000, 1000, 7000)).toBeGreaterThan(10000 * 10 ** (-0.5 / 20));
  });

  it('same rate is a copy with rounding and clipping', () => {
    expect(Array.from(resample([1.4, -2.6, 40000, -40000], 8000, 8000))).toEqual([1, -3, 32767, -32768]);
  });

  it('rejects non-integer or zero rates', () => {
    expect(() => new Resampler(0, 8000)).toThrow('sample rates must be positive integers, got 0 and 8000');
  });
});

describe('Resampler (streaming)', () => {
  it.each(RATES)('20 ms frames at 8 kHz give a constant frame size at %i and match the one-shot result', (rate) => {
    const x = sine(700, 8000, 1600);
    const r = new Resampler(8000, rate);
    expect(r.latencyMs).toBe(4);
    const parts: Int16Array[] = [];
    for (let i = 0; i < 10; i++) {
      const out = r.push(x.subarray(i * 160, (i + 1) * 160));
      expect(out.length).toBe((160 * rate) / 8000);
      parts.push(out);
    }
    parts.push(r.flush());
    const streamed = Int16Array.from(parts.flatMap((p) => Array.from(p)));
    const whole = resample(x, 8000, rate);
    // The stream is the one-shot signal delayed by latencySamples input samples.
    const shiftExact = (r.latencySamples * rate) / 8000;
    const shift = Math.round(shiftExact);
    expect(Math.abs(streamed.length - (whole.length + shiftExact))).toBeLessThanOrEqual(1);
    if (shift !== shiftExact) {
      // A fractional delay (22050, 44100): same tone, same amplitude.
      expect(Math.abs(toneAmp(streamed, 700, rate, 2 * shift, 2 * shift + rate / 50) - 10000)).toBeLessThan(30);
      return;
    }
    for (let i = 0; i < whole.length; i++) expect(Math.abs(streamed[i + shift]! - whole[i]!)).toBeLessThanOrEqual(1);
  });

  it('48 kHz frames of 960 samples give 160 samples at 8 kHz, in odd-sized chunks too', () => {
    const x = sine(440, 48000, 9600);
    const a = new Resampler(48000, 8000);
    const b = new Resampler(48000, 8000);
    const outA: number[] = [];
    const outB: number[] = [];
    for (let i = 0; i < 10; i++) {
      const o = a.push(x.subarray(i * 960, (i + 1) * 960));
      expect(o.length).toBe(160);
      outA.push(...o);
    }
    for (let i = 0; i < 9600; i += 137) outB.push(...b.push(x.subarray(i, Math.min(9600, i + 137))));
    outA.push(...a.flush());
    outB.push(...b.flush());
    expect(outB).toEqual(outA);
  });
});
