/**
 * In-band DTMF detector for decoded 8 kHz audio, streaming (any chunk size), aiming at ITU-T Q.24 /
 * ETSI ES 201 235-3 style criteria:
 *   - frequency: accept a pair within ±1.5 % of nominal, reject at ±3.5 % (decision at ±2.5 %, the
 *     middle, from a measured frequency offset rather than from a filter's width);
 *   - twist: level(high) - level(low) accepted from -8 dB (reverse) to +4 dB (normal), decided with a
 *     1 dB margin (-9 / +5) so measurement noise does not flip the limits themselves;
 *   - duration: tones of 40 ms accepted, 30 ms rejected; pauses of 40 ms separate two digits;
 *   - noise: detection at 15 dB SNR; level: each tone >= -30 dBm0 (tone.ts gives the dBm0 reference);
 *   - talk-off: the two tones must carry at least 70 % of the window's energy. Speech spreads its
 *     energy over harmonics and formants (and its second harmonics fall outside the Q.23 grid), so this
 *     relative-energy test is what keeps voice prompts from producing digits.
 *
 * Method. goertzel.ts delivers, every 4 ms block, phase-coherent DFT coefficients at the 8 frequencies.
 * Every block the detector looks at the last 6 blocks (a 24 ms window):
 *   1. window energy below the level floor → no tone;
 *   2. in each group the filter with the most energy (incoherent sum over 8 ms sub-windows) is the
 *      candidate;
 *   3. its frequency offset δ comes from the rotation of its coefficient between overlapping 8 ms
 *      sub-windows (hop 4 ms): δ = arg(Σ D_{i+1}·conj(D_i))·fs / (2π·32);
 *   4. the six block coefficients are de-rotated by δ and summed: the tone's amplitude then comes out
 *      unbiased by the offset (corrected for the 32-sample block's own gain at δ), so twist and the
 *      energy share are measured right even 3.5 % off;
 *   5. the window is a "hit" for a key if both offsets are within 2.5 %, the twist and levels are within
 *      limits, and the pair holds >= 70 % of the window's energy.
 * Temporal logic, in windows (4 ms apart): a key is confirmed after 7 consecutive hits (a tone must
 * cover at least ~70 % of 7 overlapping windows: 40 ms tones give 7-8 hits, 30 ms tones 5-6); it ends
 * after 9 windows without it (36 ms: a 40 ms pause leaves ~13, a 10 ms drop-out ~5, which is bridged),
 * or at once when another key is hit twice in a row. Each digit is reported when it ends, with its start
 * (sample index → ms) and duration, estimated from the first and last hit windows.
 */
import { DtmfGoertzelBank, GOERTZEL_BLOCK, GOERTZEL_SAMPLE_RATE } from './goertzel.js';
import { rowColToKey, type DtmfDigitEvent, type DtmfToneKey } from './keys.js';
import { dbm0ToPeak } from './tone.js';

export interface DtmfDetectorOptions {
  /** Called for each digit as it ends (also returned by process()/flush()). */
  onDigit?: (event: DtmfDigitEvent) => void;
  /** Added to every startMs (e.g. the stream's start on the call's clock). Default 0. */
  timeOffsetMs?: number;
  /** Largest accepted frequency offset, relative. Default 0.025. */
  frequencyTolerance?: number;
  /** Largest level(high) - level(low), dB, before the margin. Default 4. */
  normalTwistDb?: number;
  /** Largest level(low) - level(high), dB, before the margin. Default 8. */
  reverseTwistDb?: number;
  /** Added to both twist limits when deciding. Default 1. */
  twistMarginDb?: number;
  /** Weakest accepted tone (dBm0, each of the pair). Default -30. */
  minLevelDbm0?: number;
  /** Share of the window's energy the pair must hold. Default 0.7. */
  minEnergyShare?: number;
  /** Consecutive hit windows that confirm a key. Default 7. */
  minHits?: number;
  /** Consecutive windows without the key that end it. Default 9. */
  endMisses?: number;
}

/** Blocks per analysis window. */
const WINDOW = 6;
const WINDOW_SAMPLES = WINDOW * GOERTZEL_BLOCK;
/** Samples trimmed at each end of the hit span when estimating start/duration (≈ window × (1 - share)). */
const EDGE_TRIM = Math.round(WINDOW_SAMPLES * 0.3) / 2 + 4;

type DetectorState = 'idle' | 'candidate' | 'active';

export class DtmfDetector {
  private readonly bank: DtmfGoertzelBank;
  private readonly onDigit: ((event: DtmfDigitEvent) => void) | undefined;
  private readonly timeOffsetMs: number;
  private readonly tol: number;
  private readonly maxTwist: number;
  private readonly minTwist: number;
  private readonly minTonePower: number;
  private readonly minShare: number;
  private readonly minHits: number;
  private readonly endMisses: number;
  /** Ring of the last WINDOW blocks: coefficients [slot*8 + f] and energies. */
  private readonly re = new Float64Array(WINDOW * 8);
  private readonly im = new Float64Array(WINDOW * 8);
  private readonly en = new Float64Array(WINDOW);
  private blocks = 0;
  private state: DetectorState = 'idle';
  private key: DtmfToneKey | undefined;
  private hits = 0;
  /** Block index (end of window) of the first and last hit of the current key. */
  private firstHit = 0;
  private lastHit = 0;
  private misses = 0;
  private other: DtmfToneKey | undefined;
  private otherRun = 0;
  private otherFirst = 0;
  private out: DtmfDigitEvent[] = [];

  constructor(options: DtmfDetectorOptions = {}) {
    this.onDigit = options.onDigit;
    this.timeOffsetMs = options.timeOffsetMs ?? 0;
    this.tol = options.frequencyTolerance ?? 0.025;
    const margin = options.twistMarginDb ?? 1;
    this.maxTwist = (options.normalTwistDb ?? 4) + margin;
    this.minTwist = -((options.reverseTwistDb ?? 8) + margin);
    const peak = dbm0ToPeak(options.minLevelDbm0 ?? -30);
    this.minTonePower = (peak * peak) / 2;
    this.minShare = options.minEnergyShare ?? 0.7;
    this.minHits = options.minHits ?? 7;
    this.endMisses = options.endMisses ?? 9;
    this.bank = new DtmfGoertzelBank((re, im, energy) => this.onBlock(re, im, energy));
  }

  /** Feeds decoded 8 kHz samples; returns the digits that ended within them. */
  process(samples: ArrayLike<number>): DtmfDigitEvent[] {
    this.out = [];
    this.bank.push(samples);
    return this.out;
  }

  /** End of stream: reports a key still sounding (if it was confirmed). */
  flush(): DtmfDigitEvent[] {
    this.out = [];
    if (this.state === 'active') this.emit();
    this.reset();
    return this.out;
  }

  private reset(): void {
    this.state = 'idle';
    this.key = undefined;
    this.hits = 0;
    this.misses = 0;
    this.other = undefined;
    this.otherRun = 0;
  }

  private onBlock(re: Float64Array, im: Float64Array, energy: number): void {
    const slot = this.blocks % WINDOW;
    this.re.set(re, slot * 8);
    this.im.set(im, slot * 8);
    this.en[slot] = energy;
    this.blocks++;
    if (this.blocks < WINDOW) return;
    this.step(this.classify());
  }

  /** Steps 1-5 of the method: the key the current window holds, or undefined. */
  private classify(): DtmfToneKey | undefined {
    let total = 0;
    for (let i = 0; i < WINDOW; i++) total += this.en[i]!;
    const meanPower = total / WINDOW_SAMPLES;
    if (meanPower < 2 * this.minTonePower) return undefined;
    const oldest = this.blocks % WINDOW; // ring slot of the oldest block in the window
    let bestLow = 0, bestLowE = -1, bestHigh = 4, bestHighE = -1;
    for (let f = 0; f < 8; f++) {
      // Incoherent energy of the 8 ms sub-windows (two blocks summed): selective enough that a
      // neighbour's filter, or the other group's tone leaking through 4 ms blocks, never wins.
      let e = 0;
      let pr = this.re[oldest * 8 + f]!, pi = this.im[oldest * 8 + f]!;
      for (let i = 1; i < WINDOW; i++) {
        const slot = ((oldest + i) % WINDOW) * 8 + f;
        const r = this.re[slot]!, m = this.im[slot]!;
        const dr = pr + r, di = pi + m;
        e += dr * dr + di * di;
        pr = r;
        pi = m;
      }
      if (f < 4) {
        if (e > bestLowE) { bestLowE = e; bestLow = f; }
      } else if (e > bestHighE) { bestHighE = e; bestHigh = f; }
    }
    const low = this.measure(bestLow, oldest);
    if (Math.abs(low.offsetHz) > this.tol * LOW_HZ[bestLow]!) return undefined;
    const high = this.measure(bestHigh, oldest);
    if (Math.abs(high.offsetHz) > this.tol * HIGH_HZ[bestHigh - 4]!) return undefined;
    if (low.power < this.minTonePower || high.power < this.minTonePower) return undefined;
    const twist = 10 * Math.log10(high.power / low.power);
    if (twist > this.maxTwist || twist < this.minTwist) return undefined;
    if (low.power + high.power < this.minShare * meanPower) return undefined;
    return rowColToKey(bestLow, bestHigh - 4);
  }

  /** Frequency offset (Hz) and de-rotated power of filter f over the window. */
  private measure(f: number, oldest: number): { offsetHz: number; power: number } {
    // Coefficients in time order.
    const cr = MEASURE_RE, ci = MEASURE_IM;
    for (let i = 0; i < WINDOW; i++) {
      const slot = (oldest + i) % WINDOW;
      cr[i] = this.re[slot * 8 + f]!;
      ci[i] = this.im[slot * 8 + f]!;
    }
    // Rotation between 8 ms sub-windows D_i = C_i + C_{i+1}, one block apart.
    let rr = 0, ri = 0;
    let pr = cr[0]! + cr[1]!, pi = ci[0]! + ci[1]!;
    for (let i = 1; i < WINDOW - 1; i++) {
      const dr = cr[i]! + cr[i + 1]!, di = ci[i]! + ci[i + 1]!;
      rr += dr * pr + di * pi;
      ri += di * pr - dr * pi;
      pr = dr;
      pi = di;
    }
    const rho = Math.atan2(ri, rr); // radians per block
    // Coherent sum with the rotation undone.
    const ur = Math.cos(rho), ui = -Math.sin(rho);
    let sr = 0, si = 0, qr = 1, qi = 0;
    for (let i = 0; i < WINDOW; i++) {
      sr += cr[i]! * qr - ci[i]! * qi;
      si += cr[i]! * qi + ci[i]! * qr;
      const nr = qr * ur - qi * ui;
      qi = qr * ui + qi * ur;
      qr = nr;
    }
    // Gain of one 32-sample block at this offset: |sin(ρ/2) / (N·sin(ρ/2N))|.
    const gain = rho === 0 ? 1 : Math.abs(Math.sin(rho / 2) / (GOERTZEL_BLOCK * Math.sin(rho / (2 * GOERTZEL_BLOCK))));
    const amp = (2 * Math.sqrt(sr * sr + si * si)) / (WINDOW_SAMPLES * Math.max(gain, 1e-3));
    return {
      offsetHz: (rho * GOERTZEL_SAMPLE_RATE) / (2 * Math.PI * GOERTZEL_BLOCK),
      power: (amp * amp) / 2,
    };
  }

  /** The temporal state machine, one call per window (every block). */
  private step(hit: DtmfToneKey | undefined): void {
    const now = this.blocks;
    switch (this.state) {
      case 'idle':
        if (hit) this.begin(hit, now);
        return;
      case 'candidate':
        if (hit === this.key) {
          this.hits++;
          this.lastHit = now;
          if (this.hits >= this.minHits) this.state = 'active';
        } else if (hit) {
          this.begin(hit, now);
        } else {
          this.reset(); // a confirmed key needs its hits in a row
        }
        return;
      case 'active':
        if (hit === this.key) {
          this.lastHit = now;
          this.misses = 0;
          this.otherRun = 0;
          return;
        }
        this.misses++;
        if (hit) {
          if (hit === this.other) this.otherRun++;
          else { this.other = hit; this.otherRun = 1; this.otherFirst = now; }
        } else {
          this.otherRun = 0;
          this.other = undefined;
        }
        if (this.otherRun >= 2) {
          // Another key without a pause: end this one, the other becomes the candidate.
          const next = this.other!, first = this.otherFirst, run = this.otherRun;
          this.emit();
          this.begin(next, first);
          this.hits = run;
          this.lastHit = now;
        } else if (this.misses >= this.endMisses) {
          this.emit();
          this.reset();
        }
        return;
    }
  }

  private begin(key: DtmfToneKey, now: number): void {
    this.state = 'candidate';
    this.key = key;
    this.hits = 1;
    this.firstHit = now;
    this.lastHit = now;
    this.misses = 0;
    this.other = undefined;
    this.otherRun = 0;
  }

  private emit(): void {
    // Window k (counted by blocks delivered) covers samples [(k - WINDOW)·32, k·32).
    const firstStart = (this.firstHit - WINDOW) * GOERTZEL_BLOCK + EDGE_TRIM;
    const lastEnd = this.lastHit * GOERTZEL_BLOCK - EDGE_TRIM;
    const ms = 1000 / GOERTZEL_SAMPLE_RATE;
    const ev: DtmfDigitEvent = {
      digit: this.key!,
      method: 'inband',
      startMs: this.timeOffsetMs + firstStart * ms,
      durationMs: Math.max(0, lastEnd - firstStart) * ms,
    };
    this.out.push(ev);
    this.onDigit?.(ev);
  }
}

const LOW_HZ = [697, 770, 852, 941];
const HIGH_HZ = [1209, 1336, 1477, 1633];
const MEASURE_RE = new Float64Array(WINDOW);
const MEASURE_IM = new Float64Array(WINDOW);

/** Runs a whole buffer through a fresh detector. */
export function detectDtmf(samples: ArrayLike<number>, options: DtmfDetectorOptions = {}): DtmfDigitEvent[] {
  const d = new DtmfDetector(options);
  return [...d.process(samples), ...d.flush()];
}
