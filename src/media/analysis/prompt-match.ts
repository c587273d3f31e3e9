/**
 * Finding and naming prompts in what was heard, on top of the fingerprints of fingerprint.ts.
 *
 * `findPrompt` looks for a reference prompt anywhere inside a longer recording (the prompt followed
 * by a beep, or preceded by another prompt): subsequence DTW, where the whole reference must be
 * matched but the match may start and end anywhere in the heard audio. Mean normalization of the
 * heard features is spoiled by the extra audio, so it is a two-pass search: the subsequence pass
 * locates the candidate stretch, then that stretch (with 100 ms of margin) is cut from the heard
 * audio, fingerprinted on its own and compared whole, which gives the same score as a prompt heard
 * alone.
 *
 * `identifyPrompt` names what was heard among a set of references: best score, and the runner-up
 * so a script can see how clear the decision was.
 */
import {
  compareFingerprints,
  DEFAULT_MATCH_THRESHOLD,
  FP_FRAME,
  fingerprint,
  frameDistance,
  type CompareResult,
  type Fingerprint,
} from './fingerprint.js';

export interface FoundPrompt extends CompareResult {
  /** Where the prompt was found in the heard audio (ms); -1 when there was nothing to align. */
  startMs: number;
  endMs: number;
}

/**
 * Subsequence DTW: the best-aligned stretch [start, end] (frames of `heard`) for the whole `ref`.
 * Asymmetric steps (Sakoe & Chiba): every step advances the reference by one frame and the heard
 * audio by 0, 1 or 2 frames, so every path has exactly one cell per reference frame and the costs
 * of alignments of different lengths compare directly (mean = cost / m).
 */
export function locate(heard: Fingerprint, ref: Fingerprint): { start: number; end: number; mean: number } | undefined {
  const n = heard.frames;
  const m = ref.frames;
  if (n === 0 || m === 0) return undefined;
  let cost = new Float64Array(n);
  let from = new Int32Array(n);
  let prevCost = new Float64Array(n);
  let prevFrom = new Int32Array(n);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) {
      const d = frameDistance(heard.features, i, ref.features, j);
      if (j === 0) {
        // Free start anywhere in the heard audio.
        cost[i] = d;
        from[i] = i;
        continue;
      }
      let best = prevCost[i]!;
      let bf = prevFrom[i]!;
      if (i >= 1 && prevCost[i - 1]! < best) [best, bf] = [prevCost[i - 1]!, prevFrom[i - 1]!];
      if (i >= 2 && prevCost[i - 2]! < best) [best, bf] = [prevCost[i - 2]!, prevFrom[i - 2]!];
      cost[i] = best + d;
      from[i] = bf;
    }
    [prevCost, cost] = [cost, prevCost];
    [prevFrom, from] = [from, prevFrom];
  }
  // After the last swap the final row is in prevCost / prevFrom.
  let bestEnd = -1;
  let bestMean = Infinity;
  for (let i = 0; i < n; i++) {
    const span = i - prevFrom[i]! + 1;
    // Reject alignments that squeeze or stretch the prompt beyond what speech rate varies.
    if (span < m / 1.6 || span > m * 1.6) continue;
    const mean = prevCost[i]! / m;
    if (mean < bestMean) [bestMean, bestEnd] = [mean, i];
  }
  return bestEnd < 0 ? undefined : { start: prevFrom[bestEnd]!, end: bestEnd, mean: bestMean };
}

/** Looks for `reference` anywhere in `heard` (both 8 kHz mono). */
export function findPrompt(heard: Int16Array, reference: Int16Array | Fingerprint, options: { threshold?: number } = {}): FoundPrompt {
  const threshold = options.threshold ?? DEFAULT_MATCH_THRESHOLD;
  const ref = reference instanceof Int16Array ? fingerprint(reference) : reference;
  const fp = fingerprint(heard);
  const where = locate(fp, ref);
  if (where === undefined) {
    return { score: 0, distance: Infinity, worstDistance: Infinity, matches: false, threshold, startMs: -1, endMs: -1 };
  }
  const hopMs = FP_FRAME / 8;
  const startMs = Math.max(0, fp.startMs + where.start * hopMs - 100);
  const endMs = Math.min((heard.length * 1000) / 8000, fp.startMs + (where.end + 1) * hopMs + 100);
  const piece = heard.subarray(Math.round(startMs * 8), Math.round(endMs * 8));
  const cut = fingerprint(piece);
  const r = compareFingerprints(cut, ref, { threshold });
  return { ...r, startMs: startMs + cut.startMs, endMs: startMs + cut.endMs };
}

export interface Identification {
  /** The best-scoring reference, or undefined when none reaches the threshold. */
  name: string | undefined;
  score: number;
  /** The best reference whatever its score, and the runner-up. */
  best: { name: string; score: number } | undefined;
  runnerUp: { name: string; score: number } | undefined;
}

/** Names what was heard among references (name -> fingerprint). */
export function identifyPrompt(heard: Int16Array | Fingerprint, references: ReadonlyMap<string, Fingerprint>, options: { threshold?: number } = {}): Identification {
  const threshold = options.threshold ?? DEFAULT_MATCH_THRESHOLD;
  const fp = heard instanceof Int16Array ? fingerprint(heard) : heard;
  const ranked = [...references].map(([name, ref]) => ({ name, score: compareFingerprints(fp, ref, { threshold }).score })).sort((a, b) => b.score - a.score);
  const best = ranked[0];
  return { name: best !== undefined && best.score >= threshold ? best.name : undefined, score: best?.score ?? 0, best, runnerUp: ranked[1] };
}
