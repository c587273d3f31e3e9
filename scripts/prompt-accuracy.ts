/**
 * Measures the prompt fingerprint (src/media/analysis/fingerprint.ts): every prompt in
 * audio/prompts/ is degraded the way a call degrades it (G.711 μ-law or A-law, 1 % of 20 ms packets
 * lost and played as zeros, ±10 dB, more or less leading/trailing silence off the 20 ms grid,
 * comfort noise) and compared with every reference. Same prompt -> should accept; a different
 * prompt -> should reject. Prints false accepts/rejects, how many prompts are told apart, and the
 * score margins. Exit status 1 if anything was misjudged.
 *
 * With --within, also searches every prompt inside a longer recording (previous prompt + prompt +
 * next prompt + beep, μ-law, -6 dB, 1 % loss) with findPrompt, for every reference.
 *
 *   npx tsx scripts/prompt-accuracy.ts [--threshold 0.5] [--within]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { addComfortNoise, applyGainDb, dropFrames, g711RoundTrip, padSilence } from '../src/media/analysis/degrade.js';
import { compareFingerprints, DEFAULT_MATCH_THRESHOLD, fingerprint, FINGERPRINT_SCALE } from '../src/media/analysis/fingerprint.js';
import { findPrompt } from '../src/media/analysis/prompt-match.js';
import { loadWavForPlaybackSync } from '../src/media/wav/reader.js';
import { RealClock } from '../src/util/clock.js';

const clock = new RealClock();

interface Condition {
  name: string;
  apply(x: Int16Array, seed: number): Int16Array;
}

export const CONDITIONS: Condition[] = [
  { name: 'μ-law, +10 dB, 1% loss, +137 ms lead, -200 ms trail', apply: (x, s) => g711RoundTrip(dropFrames(padSilence(applyGainDb(x, 10), 137, -200), 0.01, s), 'PCMU') },
  { name: 'A-law, -10 dB, 1% loss, -250 ms lead, +400 ms trail', apply: (x, s) => g711RoundTrip(dropFrames(padSilence(applyGainDb(x, -10), -250, 400), 0.01, s), 'PCMA') },
  { name: 'μ-law, 0 dB, 1% loss, +1013 ms lead', apply: (x, s) => g711RoundTrip(dropFrames(padSilence(x, 1013, 0), 0.01, s), 'PCMU') },
  { name: 'A-law, +10 dB, 1% loss, +53 ms lead', apply: (x, s) => g711RoundTrip(dropFrames(padSilence(applyGainDb(x, 10), 53, 0), 0.01, s), 'PCMA') },
  { name: 'μ-law, -10 dB, CN -60 dBov, 1% loss, +71 ms lead', apply: (x, s) => g711RoundTrip(dropFrames(addComfortNoise(padSilence(applyGainDb(x, -10), 71, 0), -60, s), 0.01, s), 'PCMU') },
  { name: 'A-law, 0 dB, every 100th packet lost, +9 ms lead', apply: (x, s) => g711RoundTrip(dropFrames(padSilence(x, 9, 0), 0.01, s + 1000), 'PCMA') },
];

export function measure(threshold = DEFAULT_MATCH_THRESHOLD) {
  const dir = 'audio/prompts';
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { prompts: Array<{ file: string }> };
  const prompts = index.prompts.map((p) => ({ file: p.file, pcm: loadWavForPlaybackSync(join(dir, p.file)).samples }));
  const refs = prompts.map((p) => fingerprint(p.pcm));
  let falseAccepts = 0;
  let falseRejects = 0;
  let comparisons = 0;
  let compareMs = 0;
  const rows = prompts.map((p, i) => {
    let minSame = 1;
    let maxOther = 0;
    let closest = '';
    let identified = true;
    for (const [c, cond] of CONDITIONS.entries()) {
      const heard = fingerprint(cond.apply(p.pcm, 1 + i * 31 + c));
      let best = -1;
      let bestIdx = -1;
      for (const [j, ref] of refs.entries()) {
        const t0 = clock.now();
        const r = compareFingerprints(heard, ref, { threshold });
        compareMs += clock.now() - t0;
        comparisons++;
        if (r.score > best) [best, bestIdx] = [r.score, j];
        if (i === j) {
          minSame = Math.min(minSame, r.score);
          if (!r.matches) falseRejects++;
        } else {
          if (r.score > maxOther) [maxOther, closest] = [r.score, prompts[j]!.file];
          if (r.matches) falseAccepts++;
        }
      }
      if (bestIdx !== i) identified = false;
    }
    const toldApart = identified && minSame >= threshold && maxOther < threshold;
    return { file: p.file, minSame, maxOther, closest, toldApart };
  });
  return { rows, falseAccepts, falseRejects, comparisons, compareMsEach: compareMs / comparisons, threshold, conditions: CONDITIONS.length };
}

/** Each prompt between its neighbours in the index, plus the beep; searched for with every reference. */
export function measureWithin(threshold = DEFAULT_MATCH_THRESHOLD) {
  const dir = 'audio/prompts';
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { prompts: Array<{ file: string; text: string }> };
  // "For sales, press 1." really is inside the auto-attendant prompt: finding it there is right.
  const words = (t: string): string => t.toLowerCase().replace(/[^a-z0-9 ]/g, '');
  const contains = (outer: number, inner: number): boolean => words(index.prompts[outer]!.text).includes(words(index.prompts[inner]!.text));
  const pcm = index.prompts.map((p) => loadWavForPlaybackSync(join(dir, p.file)).samples);
  const refs = pcm.map((x) => fingerprint(x));
  const beep = loadWavForPlaybackSync('audio/beep-1000hz.wav').samples;
  let fa = 0;
  let fr = 0;
  let minSame = 1;
  let maxOther = 0;
  let worstPlace = 0;
  const t0 = clock.now();
  for (let i = 0; i < pcm.length; i++) {
    const before = pcm[(i + pcm.length - 1) % pcm.length]!;
    const after = pcm[(i + 1) % pcm.length]!;
    const parts = [before, pcm[i]!, after, beep];
    const joined = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    const heard = g711RoundTrip(dropFrames(applyGainDb(joined, -6), 0.01, 100 + i), 'PCMU');
    for (let j = 0; j < pcm.length; j++) {
      const r = findPrompt(heard, refs[j]!, { threshold });
      const played = [(i + pcm.length - 1) % pcm.length, i, (i + 1) % pcm.length];
      const present = played.some((k) => contains(k, j));
      if (j === i) {
        minSame = Math.min(minSame, r.score);
        worstPlace = Math.max(worstPlace, Math.abs(r.startMs - (before.length / 8 + 300)));
      } else if (!present) maxOther = Math.max(maxOther, r.score);
      if (present && !r.matches) fr++;
      if (!present && r.matches) {
        fa++;
        console.log(`  false accept: ${index.prompts[j]!.file} found in ${index.prompts[(i + pcm.length - 1) % pcm.length]!.file} + ${index.prompts[i]!.file} + ${index.prompts[(i + 1) % pcm.length]!.file} (score ${r.score.toFixed(3)})`);
      }
    }
  }
  return { searches: pcm.length * pcm.length, fa, fr, minSame, maxOther, worstPlace, msEach: (clock.now() - t0) / (pcm.length * pcm.length) };
}

if (process.argv[1]?.endsWith('prompt-accuracy.ts')) {
  const ti = process.argv.indexOf('--threshold');
  const r = measure(ti > 0 ? Number(process.argv[ti + 1]) : undefined);
  console.log(`prompt fingerprint accuracy: ${r.rows.length} prompts × ${r.conditions} degradations, threshold ${r.threshold}, scale ${FINGERPRINT_SCALE}`);
  for (const c of CONDITIONS) console.log(`  - ${c.name}`);
  console.log(`\n${'prompt'.padEnd(22)} ${'min same'.padStart(8)} ${'max other'.padStart(9)} ${'margin'.padStart(7)}  closest other`);
  for (const row of r.rows) {
    console.log(`${row.file.padEnd(22)} ${row.minSame.toFixed(3).padStart(8)} ${row.maxOther.toFixed(3).padStart(9)} ${(row.minSame - row.maxOther).toFixed(3).padStart(7)}  ${row.closest}${row.toldApart ? '' : '  <- NOT told apart'}`);
  }
  const minSame = Math.min(...r.rows.map((x) => x.minSame));
  const maxOther = Math.max(...r.rows.map((x) => x.maxOther));
  const accepts = r.rows.length * r.conditions;
  console.log(`\ntold apart: ${r.rows.filter((x) => x.toldApart).length}/${r.rows.length} prompts`);
  console.log(`false rejects: ${r.falseRejects}/${accepts}   false accepts: ${r.falseAccepts}/${r.comparisons - accepts}`);
  console.log(`lowest same-prompt score ${minSame.toFixed(3)}, highest other-prompt score ${maxOther.toFixed(3)}, gap ${(minSame - maxOther).toFixed(3)}`);
  console.log(`compare time: ${r.compareMsEach.toFixed(2)} ms per pair (DTW only; fingerprinting excluded)`);
  let bad = r.falseAccepts + r.falseRejects;
  if (process.argv.includes('--within')) {
    const w = measureWithin(r.threshold);
    console.log(`\nwithin a longer recording (prev + prompt + next + beep, μ-law, -6 dB, 1% loss): ${w.searches} searches`);
    console.log(`false rejects: ${w.fr}   false accepts: ${w.fa}   lowest score of the prompt itself ${w.minSame.toFixed(3)}, highest absent prompt ${w.maxOther.toFixed(3)}`);
    console.log(`worst start position error ${w.worstPlace.toFixed(0)} ms; ${w.msEach.toFixed(1)} ms per search`);
    bad += w.fa + w.fr;
  }
  process.exitCode = bad > 0 ? 1 : 0;
}
