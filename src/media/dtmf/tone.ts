/**
 * In-band DTMF generation (ITU-T Q.23 tone pairs) into 8 kHz linear audio, frame by frame.
 *
 * Level reference (ITU-T G.711 convention, μ-law): a sine whose peaks reach the coder's overload point
 * (8159 on the 14-bit scale, 32636 on the 16-bit scale used here) is +3.17 dBm0. So 0 dBm0 is a sine of
 * peak 32636 × 10^(-3.17/20) ≈ 22657 (RMS ≈ 16021) in Int16 samples. (A-law's full-scale sine is +3.14
 * dBm0 on a 4032 × 8 = 32256 overload point, i.e. 0 dBm0 ≈ 22470: 0.07 dB apart; we use the μ-law figure.)
 * Each tone of the pair is set separately: by default -10 dBm0 each (peak ≈ 7165; the pair peaks at
 * ≈ 14330, well clear of clipping), within Q.23/Q.24's sending range, and `twistDb` = level(high) -
 * level(low) tilts the pair for tests.
 *
 * Phase continuity: the generator keeps each oscillator's phase across calls, so a tone cut into 20 ms
 * frames (or any chunk size) is the same waveform as one rendered in a single piece. The caller mixes
 * the tone into its outgoing frame (`mixInto`, saturating) or replaces the frame (`fill`), then encodes
 * it with G.711 like speech.
 */
import { keyFrequencies, type DtmfToneKey } from './keys.js';

/** 0 dBm0 as the peak of a sine in 16-bit linear samples (μ-law reference, see above). */
export const DBM0_SINE_PEAK = 32636 * 10 ** (-3.17 / 20);

/** Peak amplitude (Int16 scale) of a sine at `dbm0`. */
export function dbm0ToPeak(dbm0: number): number {
  return DBM0_SINE_PEAK * 10 ** (dbm0 / 20);
}

/** Level in dBm0 of a sine of this peak amplitude (Int16 scale). */
export function peakToDbm0(peak: number): number {
  return 20 * Math.log10(peak / DBM0_SINE_PEAK);
}

export interface TonePairOptions {
  /** Level of each tone (dBm0) before twist. Default -10. */
  levelDbm0?: number;
  /** level(high) - level(low), dB, split evenly around `levelDbm0`. Default 0. */
  twistDb?: number;
  /** Multiplies both nominal frequencies (1.015 = +1.5 %), for tests. Default 1. */
  frequencyScale?: number;
  /** Explicit frequencies override the key's (Hz). */
  lowHz?: number;
  highHz?: number;
}

export interface ToneGeneratorOptions extends TonePairOptions {
  /** Default 8000. */
  sampleRate?: number;
}

export class DtmfToneGenerator {
  readonly sampleRate: number;
  private readonly defaults: TonePairOptions;
  private active = false;
  private stepLow = 0;
  private stepHigh = 0;
  private phaseLow = 0;
  private phaseHigh = 0;
  private ampLow = 0;
  private ampHigh = 0;

  constructor(options: ToneGeneratorOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.defaults = options;
  }

  get playing(): boolean {
    return this.active;
  }

  /** Starts a key's tone pair at phase 0; per-call options override the constructor's. */
  start(key: DtmfToneKey, options: TonePairOptions = {}): void {
    const o = { ...this.defaults, ...options };
    const nominal = keyFrequencies(key);
    const scale = o.frequencyScale ?? 1;
    const lowHz = o.lowHz ?? nominal.lowHz * scale;
    const highHz = o.highHz ?? nominal.highHz * scale;
    const level = o.levelDbm0 ?? -10;
    const twist = o.twistDb ?? 0;
    this.ampLow = dbm0ToPeak(level - twist / 2);
    this.ampHigh = dbm0ToPeak(level + twist / 2);
    this.stepLow = (2 * Math.PI * lowHz) / this.sampleRate;
    this.stepHigh = (2 * Math.PI * highHz) / this.sampleRate;
    this.phaseLow = 0;
    this.phaseHigh = 0;
    this.active = true;
  }

  stop(): void {
    this.active = false;
  }

  /** Adds the tone to `frame[offset, offset+count)` with saturation; no-op when stopped. */
  mixInto(frame: Int16Array, offset = 0, count = frame.length - offset): void {
    if (!this.active) return;
    for (let i = offset; i < offset + count; i++) {
      const v = frame[i]! + this.next();
      frame[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
    }
  }

  /** Overwrites `frame[offset, offset+count)` with the tone (silence when stopped). */
  fill(frame: Int16Array, offset = 0, count = frame.length - offset): void {
    if (!this.active) {
      frame.fill(0, offset, offset + count);
      return;
    }
    for (let i = offset; i < offset + count; i++) {
      const v = this.next();
      frame[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v);
    }
  }

  private next(): number {
    const v = this.ampLow * Math.sin(this.phaseLow) + this.ampHigh * Math.sin(this.phaseHigh);
    this.phaseLow += this.stepLow;
    this.phaseHigh += this.stepHigh;
    // Keep the phases small so precision does not erode over long tones.
    if (this.phaseLow > 2 * Math.PI) this.phaseLow -= 2 * Math.PI;
    if (this.phaseHigh > 2 * Math.PI) this.phaseHigh -= 2 * Math.PI;
    return v;
  }
}

export interface SynthesizeOptions extends ToneGeneratorOptions {
  /** Tone length per key (ms). Default 100. */
  durationMs?: number;
  /** Silence between keys (ms). Default 70. */
  gapMs?: number;
  /** Silence before the first and after the last key (ms). Default 100. */
  padMs?: number;
}

/**
 * Renders keys as one buffer: pad, tone, gap, tone, ..., pad. For tests, the quality script and the
 * cross-check with multimon-ng; live sending goes through the generator frame by frame.
 */
export function synthesizeDtmf(keys: string | readonly DtmfToneKey[], options: SynthesizeOptions = {}): Int16Array {
  const rate = options.sampleRate ?? 8000;
  const toSamples = (ms: number): number => Math.round((ms * rate) / 1000);
  const list = (typeof keys === 'string' ? [...keys] : keys) as DtmfToneKey[];
  const tone = toSamples(options.durationMs ?? 100);
  const gap = toSamples(options.gapMs ?? 70);
  const pad = toSamples(options.padMs ?? 100);
  const out = new Int16Array(2 * pad + list.length * tone + Math.max(0, list.length - 1) * gap);
  const gen = new DtmfToneGenerator(options);
  let at = pad;
  for (const key of list) {
    gen.start(key);
    gen.fill(out, at, tone);
    at += tone + gap;
  }
  return out;
}
