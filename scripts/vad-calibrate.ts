/**
 * Calibrates the VAD defaults: runs VoiceActivityDetector over every prompt in audio/prompts/
 * (known speech boundaries from make-audio.sh: index.json) under several impairments and prints the
 * onset and offset errors (detected - true, ms) per condition, for a few candidate settings.
 *
 *   npx tsx scripts/vad-calibrate.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadWavForPlaybackSync } from '../src/media/wav/reader.js';
import { addComfortNoise, addWhiteNoise, g711RoundTrip, padSilence } from '../src/media/analysis/degrade.js';
import { speechSegments, VAD_DEFAULTS, type VadOptions } from '../src/media/analysis/vad.js';

interface Entry {
  file: string;
  speechStartMs: number;
  speechEndMs: number;
}
const dir = 'audio/prompts';
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { prompts: Entry[] };
const prompts = index.prompts.map((p) => ({ ...p, pcm: loadWavForPlaybackSync(join(dir, p.file)).samples }));

const conditions: Array<[string, (x: Int16Array) => Int16Array]> = [
  ['clean', (x) => x],
  ['G.711 μ-law', (x) => g711RoundTrip(x, 'PCMU')],
  ['G.711 A-law', (x) => g711RoundTrip(x, 'PCMA')],
  ['CN -70 dBov + μ-law', (x) => g711RoundTrip(addComfortNoise(x, -70), 'PCMU')],
  ['CN -60 dBov + μ-law', (x) => g711RoundTrip(addComfortNoise(x, -60), 'PCMU')],
  ['CN -50 dBov + A-law', (x) => g711RoundTrip(addComfortNoise(x, -50), 'PCMA')],
  ['white -60 dBFS', (x) => addWhiteNoise(x, -60)],
  ['white -50 dBFS', (x) => addWhiteNoise(x, -50)],
  ['white -45 dBFS', (x) => addWhiteNoise(x, -45)],
  ['white -40 dBFS', (x) => addWhiteNoise(x, -40)],
  ['-10 dB quieter + CN -60', (x) => addComfortNoise(x.map((v) => Math.round(v / 3.162)), -60)],
];

const candidates: Array<[string, VadOptions]> = [
  ['defaults', {}],
  ['margin 4', { marginDb: 4 }],
  ['margin 9', { marginDb: 9 }],
  ['min -45', { minSpeechDbfs: -45 }],
  ['min -50', { minSpeechDbfs: -50 }],
  ['window 1 s', { floorWindowMs: 1000 }],
  ['window 4 s', { floorWindowMs: 4000 }],
  ['onset 40, hangover 200', { onsetMs: 40, hangoverMs: 200 }],
];

const pad = (s: string | number, n: number): string => String(s).padStart(n);
/** Every prompt is also shifted by 7 ms so boundaries do not fall on the 20 ms frame grid. */
const SHIFT_MS = 7;
export function evaluate(opts: VadOptions, degrade: (x: Int16Array) => Int16Array) {
  const on: number[] = [];
  const off: number[] = [];
  let misses = 0;
  let extra = 0;
  for (const p of prompts) {
    const segs = speechSegments(degrade(padSilence(p.pcm, SHIFT_MS, 0)), opts).map((s) => ({ startMs: s.startMs - SHIFT_MS, endMs: s.endMs - SHIFT_MS }));
    if (segs.length === 0) {
      misses++;
      continue;
    }
    // A segment that starts in the leading silence or ends in the trailing one is a false alarm.
    if (segs.some((s) => s.endMs <= p.speechStartMs || s.startMs >= p.speechEndMs)) extra++;
    const inside = segs.filter((s) => s.endMs > p.speechStartMs && s.startMs < p.speechEndMs);
    on.push(inside[0]!.startMs - p.speechStartMs);
    off.push(inside[inside.length - 1]!.endMs - p.speechEndMs);
  }
  const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);
  const maxAbs = (a: number[]): number => a.reduce((m, v) => (Math.abs(v) > Math.abs(m) ? v : m), 0);
  return { onMean: mean(on), onWorst: maxAbs(on), offMean: mean(off), offWorst: maxAbs(off), misses, extra };
}

if (process.argv[1]?.endsWith('vad-calibrate.ts')) {
  console.log(`VAD calibration over ${prompts.length} prompts (defaults: ${JSON.stringify(VAD_DEFAULTS)})`);
  console.log('errors are detected - true boundary, ms; "worst" is the largest magnitude');
  for (const [cname, copts] of candidates) {
    console.log(`\n== ${cname} ${JSON.stringify(copts)}`);
    console.log(`${'condition'.padEnd(26)} ${pad('onset mean', 10)} ${pad('worst', 6)} ${pad('offset mean', 11)} ${pad('worst', 6)} ${pad('missed', 6)} ${pad('false', 6)}`);
    for (const [name, fn] of conditions) {
      const r = evaluate(copts, fn);
      console.log(`${name.padEnd(26)} ${pad(r.onMean.toFixed(0), 10)} ${pad(r.onWorst, 6)} ${pad(r.offMean.toFixed(0), 11)} ${pad(r.offWorst, 6)} ${pad(r.misses, 6)} ${pad(r.extra, 6)}`);
    }
  }
}
