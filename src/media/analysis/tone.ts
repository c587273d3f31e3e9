/**
 * Single-frequency tone detection ("wait for the 1 kHz beep"), frame by frame with the Goertzel
 * algorithm, for one or more candidate frequencies.
 *
 * A frame is tonal at f when
 *  - its level is above `minLevelDbfs`,
 *  - the power at f (best of three probes at f and f ± toleranceHz/2, to allow a slightly off-pitch
 *    generator) is at least `minPurity` of the frame's total power: a pure sine gives 1.0, speech
 *    spreads its energy over harmonics and formants and rarely gives more than 0.5 for long,
 *  - and, after the first frame, the level stays within `maxLevelStepDb` of the previous frame
 *    (a beep is steady; a vowel swells and decays).
 * A tone is reported once it has lasted `minDurationMs`; one non-tonal frame inside it (a lost
 * packet) is bridged. Pure and frame-driven; times are stream times in ms.
 */
import { levelDbfs } from './energy.js';

export interface ToneDetectorOptions {
  /** Candidate frequencies (Hz). */
  frequencies: number[];
  minDurationMs?: number;
  toleranceHz?: number;
  minLevelDbfs?: number;
  /** Tonal-to-total power ratio, 0..1. */
  minPurity?: number;
  maxLevelStepDb?: number;
  sampleRate?: number;
}

export interface ToneEvent {
  type: 'tone-start' | 'tone-end';
  frequency: number;
  /** Start of the tone (for both events) in stream time. */
  startMs: number;
  /** tone-start: when it was confirmed; tone-end: the end of the last tonal frame. */
  atMs: number;
  durationMs: number;
  levelDbfs: number;
}

/**
 * Power of the component at `freq` in `x`, normalized so that a sine of amplitude A over the
 * whole block gives A²/2 (its mean power). Generalized Goertzel: freq need not be a bin centre.
 */
export function goertzelPower(x: ArrayLike<number>, freq: number, sampleRate = 8000): number {
  const n = x.length;
  if (n === 0) return 0;
  const w = (2 * Math.PI * freq) / sampleRate;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = x[i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const re = s1 - s2 * Math.cos(w);
  const im = s2 * Math.sin(w);
  return (2 * (re * re + im * im)) / (n * n);
}

/** Ratio of the power at freq (best of f, f ± tol/2) to the frame's total power, 0..~1. */
export function tonePurity(frame: ArrayLike<number>, freq: number, toleranceHz = 30, sampleRate = 8000): number {
  let total = 0;
  for (let i = 0; i < frame.length; i++) total += frame[i]! * frame[i]!;
  if (total === 0) return 0;
  total /= frame.length;
  const p = Math.max(
    goertzelPower(frame, freq, sampleRate),
    goertzelPower(frame, freq - toleranceHz / 2, sampleRate),
    goertzelPower(frame, freq + toleranceHz / 2, sampleRate),
  );
  return p / total;
}

type Track = { state: 'idle' } | { state: 'candidate' | 'active'; freq: number; startMs: number; lastEndMs: number; lastLevel: number; gap: number; levelSum: number; frames: number };

export class ToneDetector {
  private readonly freqs: number[];
  private readonly minDur: number;
  private readonly tol: number;
  private readonly minLevel: number;
  private readonly minPurity: number;
  private readonly maxStep: number;
  private readonly rate: number;
  private t = 0;
  private track: Track = { state: 'idle' };

  constructor(options: ToneDetectorOptions) {
    if (options.frequencies.length === 0) throw new RangeError('ToneDetector needs at least one frequency');
    this.freqs = options.frequencies;
    this.minDur = options.minDurationMs ?? 100;
    this.tol = options.toleranceHz ?? 30;
    this.minLevel = options.minLevelDbfs ?? -45;
    this.minPurity = options.minPurity ?? 0.8;
    this.maxStep = options.maxLevelStepDb ?? 3;
    this.rate = options.sampleRate ?? 8000;
  }

  /** The frequency of the tone being heard (confirmed), if any. */
  get activeFrequency(): number | undefined {
    return this.track.state === 'active' ? this.track.freq : undefined;
  }

  push(frame: Int16Array): ToneEvent[] {
    const start = this.t;
    const end = start + (frame.length * 1000) / this.rate;
    this.t = end;
    const level = levelDbfs(frame);
    let best: number | undefined;
    if (level >= this.minLevel) {
      let bestPurity = this.minPurity;
      for (const f of this.freqs) {
        const p = tonePurity(frame, f, this.tol, this.rate);
        if (p >= bestPurity) [bestPurity, best] = [p, f];
      }
    }
    const events: ToneEvent[] = [];
    const tr = this.track;
    if (tr.state !== 'idle' && best === tr.freq && Math.abs(level - tr.lastLevel) <= this.maxStep) {
      tr.lastEndMs = end;
      tr.lastLevel = level;
      tr.gap = 0;
      tr.levelSum += level;
      tr.frames++;
      if (tr.state === 'candidate' && end - tr.startMs >= this.minDur) {
        tr.state = 'active';
        events.push(this.event('tone-start', tr, end));
      }
      return events;
    }
    if (tr.state === 'active' && tr.gap === 0 && best === undefined && level < tr.lastLevel - this.maxStep) {
      // One dropped or damaged frame inside a tone: bridge it (only a drop in level, never another tone).
      tr.gap = 1;
      return events;
    }
    if (tr.state === 'active') events.push(this.event('tone-end', tr, tr.lastEndMs));
    this.track = best === undefined ? { state: 'idle' } : { state: 'candidate', freq: best, startMs: start, lastEndMs: end, lastLevel: level, gap: 0, levelSum: level, frames: 1 };
    if (best !== undefined && end - start >= this.minDur) {
      const t2 = this.track as Extract<Track, { state: 'candidate' | 'active' }>;
      t2.state = 'active';
      events.push(this.event('tone-start', t2, end));
    }
    return events;
  }

  /** Ends a tone still running at the end of the stream. */
  finish(): ToneEvent[] {
    const tr = this.track;
    this.track = { state: 'idle' };
    return tr.state === 'active' ? [this.event('tone-end', tr, tr.lastEndMs)] : [];
  }

  private event(type: ToneEvent['type'], tr: Extract<Track, { state: 'candidate' | 'active' }>, atMs: number): ToneEvent {
    return { type, frequency: tr.freq, startMs: tr.startMs, atMs, durationMs: tr.lastEndMs - tr.startMs, levelDbfs: tr.levelSum / tr.frames };
  }
}

/** All tones of a whole signal: [{frequency, startMs, endMs}], for tests and offline checks. */
export function findTones(pcm: Int16Array, options: ToneDetectorOptions): Array<{ frequency: number; startMs: number; endMs: number; levelDbfs: number }> {
  const d = new ToneDetector(options);
  const out: Array<{ frequency: number; startMs: number; endMs: number; levelDbfs: number }> = [];
  const take = (evs: ToneEvent[]): void => {
    for (const e of evs) if (e.type === 'tone-end') out.push({ frequency: e.frequency, startMs: e.startMs, endMs: e.atMs, levelDbfs: e.levelDbfs });
  };
  for (let i = 0; i < pcm.length; i += 160) take(d.push(pcm.subarray(i, Math.min(pcm.length, i + 160))));
  take(d.finish());
  return out;
}
