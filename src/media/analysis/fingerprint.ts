/**
 * Recognizing a prompt without speech-to-text: "expect prompt X" compares what was heard with a
 * reference recording of X.
 *
 * 1. Features, one vector per 10 ms (half an RTP packet): a 256-sample Hann window centred on
 *    the hop, the power spectrum folded into 24 mel bands between 150 and 3600 Hz (the band a
 *    G.711 path keeps), log10, floored 25 dB below the loudest band so coding and line noise at low
 *    level do not matter, then DCT-II to 13 cepstral coefficients (c0..c12). The hop is 10 ms.
 * 2. Leading and trailing silence is trimmed (frames more than 25 dB below the loudest frame or less
 *    than 8 dB above the background noise), so a prompt preceded by more or less silence matches.
 * 3. Cepstral mean normalization: the mean of each coefficient over the utterance is subtracted, so a
 *    gain (±10 dB) or a fixed channel colouring cancels out.
 * 4. Frames that are digital silence inside the speech (a lost packet played as zeros) are
 *    concealed: their features are interpolated from the neighbouring frames. The features are then
 *    smoothed over ±20 ms so an offset from the reference's analysis grid does not matter.
 * 5. Dynamic time warping (symmetric steps, band ±25 % of the length) aligns heard and reference;
 *    the distance is the mean frame distance along the path, and also the worst 200 ms stretch of
 *    the path, so prompts that differ in one word ("press 1" vs "press 2") do not average out.
 * 6. score = exp(-worstDistance / scale) in 0..1 (the mean distance is reported too but separates
 *    near-identical sentences poorly); `matches` compares the score with a threshold calibrated by
 *    scripts/prompt-accuracy.ts.
 */
import { levelDbfs } from './energy.js';

/** Analysis hop: 10 ms, half a packet, so a heard prompt off the reference's grid still lines up. */
export const FP_FRAME = 80;
/**
 * Floor of the log-mel bands below the loudest band, and the trim level below the loudest frame
 * (dB). G.711 keeps about 38 dB of SNR at best and A-law much less for quiet speech; 25 dB keeps the
 * spectral shape of the voiced parts and drops what coding noise and packet loss disturb. Chosen
 * with scripts/prompt-accuracy.ts (docs/measurements/speech-and-prompts.md).
 */
const FLOOR_DB = 25;
const TRIM_DB = 25;
const WIN = 256;
const BANDS = 24;
const CEPS = 13;
const F_LO = 150;
const F_HI = 3600;

export interface Fingerprint {
  /** Frames × CEPS, row-major, after trimming and mean normalization. */
  features: Float32Array;
  frames: number;
  /** Where the kept speech starts and ends in the analysed signal (ms). */
  startMs: number;
  endMs: number;
}

export interface CompareResult {
  /** 0..1, 1 = identical. */
  score: number;
  /** Mean frame distance along the DTW path. */
  distance: number;
  /** Mean frame distance over the worst 200 ms of the path: what the score is made of. */
  worstDistance: number;
  /** True when score >= threshold. */
  matches: boolean;
  threshold: number;
}

export interface CompareOptions {
  threshold?: number;
}

// ---- precomputed tables -----------------------------------------------------------------------

const hann = Float64Array.from({ length: WIN }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / WIN));
const mel = (f: number): number => 2595 * Math.log10(1 + f / 700);
const imel = (m: number): number => 700 * (10 ** (m / 2595) - 1);
/** Triangular mel filters over FFT bins 0..WIN/2. */
const melFilters: Array<{ first: number; weights: Float64Array }> = (() => {
  const edges = Array.from({ length: BANDS + 2 }, (_, i) => imel(mel(F_LO) + ((mel(F_HI) - mel(F_LO)) * i) / (BANDS + 1)));
  const bin = (f: number): number => (f * WIN) / 8000;
  const filters = [];
  for (let b = 0; b < BANDS; b++) {
    const [lo, mid, hi] = [bin(edges[b]!), bin(edges[b + 1]!), bin(edges[b + 2]!)];
    const first = Math.ceil(lo);
    const last = Math.floor(hi);
    const weights = new Float64Array(Math.max(0, last - first + 1));
    for (let k = first; k <= last; k++) weights[k - first] = k <= mid ? (k - lo) / (mid - lo) : (hi - k) / (hi - mid);
    filters.push({ first, weights });
  }
  return filters;
})();
const dct = Float64Array.from({ length: CEPS * BANDS }, (_, i) => {
  const c = Math.floor(i / BANDS);
  const b = i % BANDS;
  return Math.cos((Math.PI * c * (b + 0.5)) / BANDS) * Math.sqrt((c === 0 ? 1 : 2) / BANDS);
});

/** Twiddle factors e^(-2πik/WIN) for k < WIN/2, computed once. */
const twRe = Float64Array.from({ length: WIN / 2 }, (_, k) => Math.cos((-2 * Math.PI * k) / WIN));
const twIm = Float64Array.from({ length: WIN / 2 }, (_, k) => Math.sin((-2 * Math.PI * k) / WIN));

/** In-place radix-2 complex FFT of length WIN. */
function fft(re: Float64Array, im: Float64Array): void {
  const n = WIN;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
      t = im[i]!;
      im[i] = im[j]!;
      im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const half = len >> 1;
    const stride = n / len;
    for (let i = 0; i < n; i += len) {
      for (let k = 0; k < half; k++) {
        const wr = twRe[k * stride]!;
        const wi = twIm[k * stride]!;
        const a = i + k;
        const b = a + half;
        const xr = re[b]! * wr - im[b]! * wi;
        const xi = re[b]! * wi + im[b]! * wr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
      }
    }
  }
}

/** Log-mel energies (dB) of hops first..last (inclusive). */
function logMel(pcm: Int16Array, firstHop: number, lastHop: number): Float64Array[] {
  const out: Float64Array[] = [];
  const re = new Float64Array(WIN);
  const im = new Float64Array(WIN);
  const off = (WIN - FP_FRAME) / 2;
  for (let f = firstHop; f <= lastHop; f++) {
    const s0 = f * FP_FRAME - off;
    for (let i = 0; i < WIN; i++) {
      const idx = s0 + i;
      re[i] = idx >= 0 && idx < pcm.length ? pcm[idx]! * hann[i]! : 0;
      im[i] = 0;
    }
    fft(re, im);
    const bands = new Float64Array(BANDS);
    for (let b = 0; b < BANDS; b++) {
      const { first, weights } = melFilters[b]!;
      let e = 0;
      for (let k = 0; k < weights.length; k++) e += weights[k]! * (re[first + k]! ** 2 + im[first + k]! ** 2);
      bands[b] = 10 * Math.log10(e + 1e-3);
    }
    out.push(bands);
  }
  return out;
}

function isDigitalSilence(pcm: Int16Array, f: number): boolean {
  for (let i = f * FP_FRAME; i < (f + 1) * FP_FRAME; i++) if (pcm[i] !== 0) return false;
  return true;
}

/** Computes the fingerprint of 8 kHz mono audio (a prompt, or what was heard). */
export function fingerprint(pcm: Int16Array): Fingerprint {
  const n = Math.floor(pcm.length / FP_FRAME);
  const levels = Array.from({ length: n }, (_, f) => levelDbfs(pcm.subarray(f * FP_FRAME, (f + 1) * FP_FRAME)));
  const loudest = levels.reduce((m, v) => Math.max(m, v), -200);
  // Trim below the loudest frame minus TRIM_DB, but also above the background: with comfort noise
  // 27 dB under a quiet prompt, noise frames would otherwise pass for speech. The background is the
  // 5th percentile of the frame levels (the silence around a prompt), plus 8 dB.
  const sorted = levels.slice().sort((x, y) => x - y);
  const background = sorted[Math.floor(0.05 * sorted.length)] ?? -200;
  const speechLevel = Math.max(loudest - TRIM_DB, background + 8);
  let first = levels.findIndex((l) => l >= speechLevel);
  if (first < 0) return { features: new Float32Array(0), frames: 0, startMs: 0, endMs: 0 };
  let last = n - 1;
  while (levels[last]! < speechLevel) last--;
  // Keep one frame of context on each side: onsets and decays are part of the prompt.
  first = Math.max(0, first - 1);
  last = Math.min(n - 1, last + 1);

  const mels = logMel(pcm, first, last);
  const m = mels.length;
  // Floor each frame's bands FLOOR_DB below the loudest band of the utterance.
  let top = -Infinity;
  for (const v of mels) for (const x of v) top = Math.max(top, x);
  const missing = Array.from({ length: m }, (_, i) => isDigitalSilence(pcm, first + i));
  const ceps = new Float32Array(m * CEPS);
  for (let i = 0; i < m; i++) {
    const v = mels[i]!;
    for (let b = 0; b < BANDS; b++) v[b] = Math.max(v[b]!, top - FLOOR_DB);
    for (let c = 0; c < CEPS; c++) {
      let s = 0;
      for (let b = 0; b < BANDS; b++) s += dct[c * BANDS + b]! * v[b]!;
      ceps[i * CEPS + c] = s;
    }
  }
  concealMissing(ceps, missing, m);
  smoothInTime(ceps, m);
  // Cepstral mean normalization.
  for (let c = 0; c < CEPS; c++) {
    let s = 0;
    for (let i = 0; i < m; i++) s += ceps[i * CEPS + c]!;
    s /= m;
    for (let i = 0; i < m; i++) ceps[i * CEPS + c]! -= s;
  }
  return { features: ceps, frames: m, startMs: (first * FP_FRAME) / 8, endMs: ((last + 1) * FP_FRAME) / 8 };
}

/**
 * Triangular smoothing over ±2 hops (weights 1 2 3 2 1): a heard prompt is rarely on the reference's
 * 10 ms grid, and a 5 ms offset changes each frame's spectrum at transitions; smoothing makes the
 * features vary slowly enough that the offset stops mattering. ±2 separated prompts best of the
 * widths tried (docs/measurements/speech-and-prompts.md).
 */
function smoothInTime(ceps: Float32Array, m: number): void {
  const src = ceps.slice();
  for (let i = 0; i < m; i++) {
    for (let c = 0; c < CEPS; c++) {
      let s = 0;
      let w = 0;
      for (let k = -2; k <= 2; k++) {
        const ii = i + k;
        if (ii < 0 || ii >= m) continue;
        const wt = 3 - Math.abs(k);
        s += wt * src[ii * CEPS + c]!;
        w += wt;
      }
      ceps[i * CEPS + c] = s / w;
    }
  }
}

/** Lost frames (and the windows they spoil) get features interpolated between good neighbours. */
function concealMissing(ceps: Float32Array, missing: boolean[], m: number): void {
  // Only the hops that are entirely zero: the windows that merely overlap a lost packet still carry
  // most of their spectrum, and interpolating them too was measured to cost more than it saves
  // (docs/measurements/speech-and-prompts.md).
  const bad = missing;
  const lostShare = missing.filter(Boolean).length / Math.max(1, m);
  if (lostShare === 0 || lostShare > 0.2) return; // mostly silence is not "loss": compare it as is
  for (let i = 0; i < m; i++) {
    if (!bad[i]) continue;
    let a = i - 1;
    while (a >= 0 && bad[a]) a--;
    let b = i + 1;
    while (b < m && bad[b]) b++;
    for (let c = 0; c < CEPS; c++) {
      const va = a >= 0 ? ceps[a * CEPS + c]! : undefined;
      const vb = b < m ? ceps[b * CEPS + c]! : undefined;
      ceps[i * CEPS + c] = va === undefined ? (vb ?? 0) : vb === undefined ? va : va + ((vb - va) * (i - a)) / (b - a);
    }
  }
}

export function frameDistance(x: Float32Array, i: number, y: Float32Array, j: number): number {
  let s = 0;
  // c0 (level contour) counts half: a different loudness shape within the prompt matters less.
  const d0 = x[i * CEPS]! - y[j * CEPS]!;
  s += 0.25 * d0 * d0;
  for (let c = 1; c < CEPS; c++) {
    const d = x[i * CEPS + c]! - y[j * CEPS + c]!;
    s += d * d;
  }
  return Math.sqrt(s);
}

/**
 * DTW distance: mean local distance along the best path, and the worst `windowFrames` stretch.
 * Only a band around the diagonal is computed and stored (Sakoe-Chiba), row by row.
 */
export function dtwDistance(a: Fingerprint, b: Fingerprint, windowFrames = 20): { mean: number; worst: number } {
  const n = a.frames;
  const m = b.frames;
  const none = { mean: Infinity, worst: Infinity };
  if (n === 0 || m === 0) return none;
  // Utterances of very different length are different prompts; do not spend time aligning them.
  if (Math.max(n, m) > 1.6 * Math.min(n, m) + 10) return none;
  const band = Math.max(10, Math.ceil(0.25 * Math.max(n, m)), Math.abs(n - m) + 5);
  const width = 2 * band + 1;
  const lo = new Int32Array(n);
  for (let i = 0; i < n; i++) lo[i] = Math.round((i * (m - 1)) / Math.max(1, n - 1)) - band;
  // Cell (i, j) lives at i * width + (j - lo[i]) when 0 <= j - lo[i] < width.
  const cost = new Float64Array(n * width).fill(Infinity);
  const local = new Float32Array(n * width);
  const at = (i: number, j: number): number => {
    if (i < 0 || j < 0) return -1;
    const k = j - lo[i]!;
    return k < 0 || k >= width ? -1 : i * width + k;
  };
  const get = (i: number, j: number): number => {
    const c = at(i, j);
    return c < 0 ? Infinity : cost[c]!;
  };
  for (let i = 0; i < n; i++) {
    const l = lo[i]!;
    const pl = i > 0 ? lo[i - 1]! : 0;
    for (let j = Math.max(0, l); j < Math.min(m, l + width); j++) {
      const d = frameDistance(a.features, i, b.features, j);
      const c = i * width + (j - l);
      local[c] = d;
      if (i === 0 && j === 0) {
        cost[c] = d;
        continue;
      }
      // Symmetric step pattern: a diagonal step weighs 2 local distances, a horizontal/vertical one
      // 1, so every path from (0,0) to (n-1,m-1) has the same total weight n + m.
      let best = j > l ? cost[c - 1]! + d : Infinity; // (i, j-1)
      if (i > 0) {
        const kUp = j - pl; // (i-1, j)
        if (kUp >= 0 && kUp < width) best = Math.min(best, cost[(i - 1) * width + kUp]! + d);
        if (j > 0 && kUp - 1 >= 0 && kUp - 1 < width) best = Math.min(best, cost[(i - 1) * width + kUp - 1]! + 2 * d);
      }
      cost[c] = best;
    }
  }
  const total = get(n - 1, m - 1);
  if (!Number.isFinite(total)) return none;
  // Backtrack the path to find the worst stretch.
  const path: number[] = [];
  let i = n - 1;
  let j = m - 1;
  path.push(local[at(i, j)]!);
  while (i > 0 || j > 0) {
    const diag = get(i - 1, j - 1);
    const up = get(i - 1, j);
    const left = get(i, j - 1);
    if (diag <= up && diag <= left) [i, j] = [i - 1, j - 1];
    else if (up <= left) i--;
    else j--;
    path.push(local[at(i, j)]!);
  }
  const mean = total / (n + m);
  let worst = 0;
  if (path.length <= windowFrames) worst = path.reduce((s, v) => s + v, 0) / path.length;
  else {
    let s = 0;
    for (let k = 0; k < path.length; k++) {
      s += path[k]!;
      if (k >= windowFrames) s -= path[k - windowFrames]!;
      if (k >= windowFrames - 1) worst = Math.max(worst, s / windowFrames);
    }
  }
  return { mean, worst };
}

/** The worst-stretch distance that maps to a score of 1/e; calibrated with scripts/prompt-accuracy.ts. */
export const FINGERPRINT_SCALE = 17;
export const DEFAULT_MATCH_THRESHOLD = 0.5;

export function compareFingerprints(heard: Fingerprint, reference: Fingerprint, options: CompareOptions = {}): CompareResult {
  const threshold = options.threshold ?? DEFAULT_MATCH_THRESHOLD;
  const { mean, worst } = dtwDistance(heard, reference);
  const score = Number.isFinite(worst) ? Math.exp(-worst / FINGERPRINT_SCALE) : 0;
  return { score, distance: mean, worstDistance: worst, matches: score >= threshold, threshold };
}

/** One call: does this audio sound like that reference prompt? */
export function comparePrompt(heard: Int16Array, reference: Int16Array, options?: CompareOptions): CompareResult {
  return compareFingerprints(fingerprint(heard), fingerprint(reference), options);
}
