/**
 * A bank of eight Goertzel filters at the Q.23 DTMF frequencies, fed in any chunk size, producing one
 * complex DFT coefficient per filter per block of 32 samples (4 ms at 8 kHz) plus the block's energy.
 *
 * The Goertzel recurrence s[n] = x[n] + 2cos(ω)s[n-1] - s[n-2] costs one multiply and two adds per
 * sample per filter; after N samples, X(ω) = Σ x[n]e^{-jωn} = e^{-jω(N-1)}·(s[N-1] - e^{-jω}s[N-2]).
 * We go one step further and reference the phase to the ABSOLUTE sample index (n counted from the start
 * of the stream instead of the block): C_k = Σ_{n in block k} x[n]·e^{-jω·n_abs}. A tone exactly at ω
 * then gives the same phase in every block, and a tone δ Hz off rotates by 2π·δ·32/fs per block: the
 * detector reads the frequency offset from that rotation (unambiguous within ±fs/64 = ±125 Hz) and sums
 * blocks coherently after undoing it. Because the eight frequencies are whole hertz and fs = 8000, the
 * reference phasor repeats every 8000 samples = 250 blocks: it comes from an exact table, never from a
 * recursion that would drift.
 *
 * The inner loop keeps the 16 filter states in local variables (unrolled by hand): this loop is the whole
 * cost of in-band detection, and locals let V8 keep them in registers.
 */
import { HIGH_GROUP_HZ, LOW_GROUP_HZ } from './keys.js';

export const GOERTZEL_SAMPLE_RATE = 8000;
/** Samples per block. */
export const GOERTZEL_BLOCK = 32;
/** The eight frequencies: low group 0-3, high group 4-7. */
export const DTMF_FREQUENCIES: readonly number[] = [...LOW_GROUP_HZ, ...HIGH_GROUP_HZ];

const BLOCKS_PER_PERIOD = GOERTZEL_SAMPLE_RATE / GOERTZEL_BLOCK; // 250

/** Receives each finished block: `re`/`im` hold the 8 coefficients, `energy` = Σx² of the block. */
export type BlockSink = (re: Float64Array, im: Float64Array, energy: number) => void;

export class DtmfGoertzelBank {
  private readonly coef = new Float64Array(8);
  private readonly cosw = new Float64Array(8);
  private readonly sinw = new Float64Array(8);
  /** Reference phasor e^{-jω(n0+N-1)} per (block index mod 250) × filter. */
  private readonly refRe = new Float64Array(BLOCKS_PER_PERIOD * 8);
  private readonly refIm = new Float64Array(BLOCKS_PER_PERIOD * 8);
  private readonly s1 = new Float64Array(8);
  private readonly s2 = new Float64Array(8);
  private readonly outRe = new Float64Array(8);
  private readonly outIm = new Float64Array(8);
  private energy = 0;
  private pos = 0;
  private block = 0;

  constructor(private readonly sink: BlockSink) {
    for (let f = 0; f < 8; f++) {
      const hz = DTMF_FREQUENCIES[f]!;
      const w = (2 * Math.PI * hz) / GOERTZEL_SAMPLE_RATE;
      this.coef[f] = 2 * Math.cos(w);
      this.cosw[f] = Math.cos(w);
      this.sinw[f] = Math.sin(w);
      for (let b = 0; b < BLOCKS_PER_PERIOD; b++) {
        const n = b * GOERTZEL_BLOCK + GOERTZEL_BLOCK - 1;
        // Exact phase: (hz·n mod fs)/fs cycles, computed in integers.
        const cycles = ((hz * n) % GOERTZEL_SAMPLE_RATE) / GOERTZEL_SAMPLE_RATE;
        this.refRe[b * 8 + f] = Math.cos(2 * Math.PI * cycles);
        this.refIm[b * 8 + f] = -Math.sin(2 * Math.PI * cycles);
      }
    }
  }

  /** Number of complete blocks delivered so far. */
  get blocks(): number {
    return this.block;
  }

  /** Feeds samples (any length); calls the sink for each block completed. */
  push(x: ArrayLike<number>, from = 0, to = x.length): void {
    const c = this.coef;
    const c0 = c[0]!, c1 = c[1]!, c2 = c[2]!, c3 = c[3]!, c4 = c[4]!, c5 = c[5]!, c6 = c[6]!, c7 = c[7]!;
    let i = from;
    while (i < to) {
      const n = Math.min(to - i, GOERTZEL_BLOCK - this.pos);
      const s1 = this.s1, s2 = this.s2;
      let a0 = s1[0]!, a1 = s1[1]!, a2 = s1[2]!, a3 = s1[3]!, a4 = s1[4]!, a5 = s1[5]!, a6 = s1[6]!, a7 = s1[7]!;
      let b0 = s2[0]!, b1 = s2[1]!, b2 = s2[2]!, b3 = s2[3]!, b4 = s2[4]!, b5 = s2[5]!, b6 = s2[6]!, b7 = s2[7]!;
      let e = this.energy;
      const end = i + n;
      for (; i < end; i++) {
        const v = x[i]!;
        e += v * v;
        let t: number;
        t = v + c0 * a0 - b0; b0 = a0; a0 = t;
        t = v + c1 * a1 - b1; b1 = a1; a1 = t;
        t = v + c2 * a2 - b2; b2 = a2; a2 = t;
        t = v + c3 * a3 - b3; b3 = a3; a3 = t;
        t = v + c4 * a4 - b4; b4 = a4; a4 = t;
        t = v + c5 * a5 - b5; b5 = a5; a5 = t;
        t = v + c6 * a6 - b6; b6 = a6; a6 = t;
        t = v + c7 * a7 - b7; b7 = a7; a7 = t;
      }
      s1[0] = a0; s1[1] = a1; s1[2] = a2; s1[3] = a3; s1[4] = a4; s1[5] = a5; s1[6] = a6; s1[7] = a7;
      s2[0] = b0; s2[1] = b1; s2[2] = b2; s2[3] = b3; s2[4] = b4; s2[5] = b5; s2[6] = b6; s2[7] = b7;
      this.energy = e;
      this.pos += n;
      if (this.pos === GOERTZEL_BLOCK) this.finishBlock();
    }
  }

  private finishBlock(): void {
    const base = (this.block % BLOCKS_PER_PERIOD) * 8;
    for (let f = 0; f < 8; f++) {
      const a = this.s1[f]!, b = this.s2[f]!;
      // y = s[N-1] - e^{-jω}·s[N-2]
      const yr = a - this.cosw[f]! * b;
      const yi = this.sinw[f]! * b;
      const pr = this.refRe[base + f]!, pi = this.refIm[base + f]!;
      this.outRe[f] = yr * pr - yi * pi;
      this.outIm[f] = yr * pi + yi * pr;
      this.s1[f] = 0;
      this.s2[f] = 0;
    }
    const energy = this.energy;
    this.energy = 0;
    this.pos = 0;
    this.block++;
    this.sink(this.outRe, this.outIm, energy);
  }
}
