/**
 * Did a live audio path carry a signal, when a stall may have left holes in it? One correlation over
 * the whole signal (alignAndCorrelate) assumes one lag; a sound card that ran dry for 100 ms plays the
 * rest later, so half the signal sits at another lag and the figure drops although every piece came
 * through. Here the reference is cut into pieces, each piece is placed in the received signal on its
 * own (wholly inside it), and a piece counts as heard when its correlation reaches `threshold`; heard pieces must come in
 * the reference's order. Pieces that are nearly silent (speech pauses) cannot be placed and are left out.
 */
import { rms } from './audio-compare.js';

export interface PieceOptions {
  /** Length of a piece (default 500 ms). */
  pieceMs?: number;
  sampleRate?: number;
  /** Correlation a piece needs to count as heard (default 0.9). */
  threshold?: number;
  /** A piece quieter than this fraction of the reference's RMS is left out (default 0.25). */
  quietFraction?: number;
}

export interface PieceMatch {
  /** Pieces with enough sound to be placed. */
  pieces: number;
  /** Of those, the ones heard (correlation ≥ threshold). */
  matched: number;
  /** Correlation of each piece placed, in reference order. */
  correlations: number[];
  /** Where each piece placed starts in the received signal (samples). */
  positions: number[];
  /** The heard pieces appear in the reference's order. */
  inOrder: boolean;
  describe(): string;
}

export function piecewiseMatch(reference: Int16Array, received: Int16Array, opts: PieceOptions = {}): PieceMatch {
  const rate = opts.sampleRate ?? 8000;
  const len = Math.round(((opts.pieceMs ?? 500) * rate) / 1000);
  const threshold = opts.threshold ?? 0.9;
  const quiet = rms(reference) * (opts.quietFraction ?? 0.25);
  const block = Math.max(1, Math.round(rate / 200)); // 5 ms envelopes for the coarse search
  const envReceived = envelope(received, block);
  const correlations: number[] = [];
  const positions: number[] = [];
  for (let at = 0; at + len <= reference.length; at += len) {
    const piece = reference.subarray(at, at + len);
    if (rms(piece) < quiet) continue;
    const found = place(piece, received, envelope(piece, block), envReceived, block);
    correlations.push(found.correlation);
    positions.push(found.position);
  }
  const heard = positions.filter((_, i) => correlations[i]! >= threshold);
  const inOrder = heard.every((p, i) => i === 0 || p > heard[i - 1]!);
  return {
    pieces: correlations.length,
    matched: heard.length,
    correlations,
    positions,
    inOrder,
    describe: () => correlations.map((c, i) => `piece ${i}: r=${c.toFixed(3)} at ${((positions[i]! * 1000) / rate).toFixed(0)} ms`).join(', '),
  };
}

/**
 * Where `piece` sits in `received`, the piece wholly inside (a partial overlap with a silent edge can
 * look alike by accident): the best Pearson correlation of the 5 ms envelopes first, then the best
 * sample-exact normalized correlation within two blocks of it.
 */
function place(piece: Int16Array, received: Int16Array, envPiece: Float64Array, envReceived: Float64Array, block: number): { position: number; correlation: number } {
  let bestBlock = -1;
  let bestEnv = -Infinity;
  for (let k = 0; k + envPiece.length <= envReceived.length; k++) {
    const c = pearson(envPiece, envReceived, k);
    if (c > bestEnv) {
      bestEnv = c;
      bestBlock = k;
    }
  }
  if (bestBlock < 0) return { position: 0, correlation: 0 };
  let best = { position: 0, correlation: -Infinity };
  const lo = Math.max(0, (bestBlock - 2) * block);
  const hi = Math.min(received.length - piece.length, (bestBlock + 2) * block);
  for (let p = lo; p <= hi; p++) {
    let ab = 0;
    let aa = 0;
    let bb = 0;
    for (let i = 0; i < piece.length; i++) {
      const x = piece[i]!;
      const y = received[p + i]!;
      ab += x * y;
      aa += x * x;
      bb += y * y;
    }
    const c = aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
    if (c > best.correlation) best = { position: p, correlation: c };
  }
  return best;
}

function envelope(x: Int16Array, block: number): Float64Array {
  const e = new Float64Array(Math.floor(x.length / block));
  for (let k = 0; k < e.length; k++) {
    let s = 0;
    for (let i = k * block; i < (k + 1) * block; i++) s += Math.abs(x[i]!);
    e[k] = s / block;
  }
  return e;
}

/** Pearson correlation of `a` with `b[offset .. offset + a.length)`. */
function pearson(a: Float64Array, b: Float64Array, offset: number): number {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i]!;
    sb += b[offset + i]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma;
    const y = b[offset + i]! - mb;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}
