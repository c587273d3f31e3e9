/**
 * Media benchmark: G.711 (our table codec vs alawmulaw's array functions, same run), resampling
 * (ours vs sox's `rate` on the same audio), VAD, tone detection and prompt fingerprinting as
 * multiples of real time, and the cost of one fingerprint comparison.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import alawmulaw from 'alawmulaw';
import { compareFingerprints, fingerprint } from '../src/media/analysis/fingerprint.js';
import { findPrompt } from '../src/media/analysis/prompt-match.js';
import { ToneDetector } from '../src/media/analysis/tone.js';
import { VoiceActivityDetector } from '../src/media/analysis/vad.js';
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../src/media/g711.js';
import { Resampler } from '../src/media/resample.js';
import { loadWavForPlaybackSync } from '../src/media/wav/reader.js';
import { wavHeader } from '../src/media/wav/writer.js';
import { RealClock } from '../src/util/clock.js';

const clock = new RealClock();

/** Runs fn repeatedly for about `ms` and returns calls per second (after a short warm-up). */
function rate(fn: () => void, ms = 700): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const t0 = clock.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    t = clock.now();
  }
  return (n * 1000) / (t - t0);
}

function speech(seconds: number): Int16Array {
  const s = loadWavForPlaybackSync('audio/speech-sample.wav').samples;
  const out = new Int16Array(seconds * 8000);
  for (let i = 0; i < out.length; i++) out[i] = s[i % s.length]!;
  return out;
}

const fmt = (v: number): string => (v >= 100 ? v.toFixed(0) : v.toFixed(1)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

export async function run(): Promise<void> {
  console.log('== media: G.711, resampling, analysis');
  const pcm = speech(60);
  const frame = pcm.subarray(8000, 8160);
  const uFrame = encodeUlaw(frame);
  const aFrame = encodeAlaw(frame);

  console.log('\nG.711, 160-sample frames per second (one core):');
  console.log(`  ${'operation'.padEnd(16)} ${'umphone'.padStart(12)} ${'alawmulaw'.padStart(12)} ${'ratio'.padStart(6)}`);
  const rows: Array<[string, () => void, () => void]> = [
    ['μ-law encode', () => encodeUlaw(frame), () => alawmulaw.mulaw.encode(frame)],
    ['μ-law decode', () => decodeUlaw(uFrame), () => alawmulaw.mulaw.decode(uFrame)],
    ['A-law encode', () => encodeAlaw(frame), () => alawmulaw.alaw.encode(frame)],
    ['A-law decode', () => decodeAlaw(aFrame), () => alawmulaw.alaw.decode(aFrame)],
  ];
  for (const [name, ours, theirs] of rows) {
    const a = rate(ours);
    const b = rate(theirs);
    console.log(`  ${name.padEnd(16)} ${fmt(a).padStart(12)} ${fmt(b).padStart(12)} ${(a / b).toFixed(2).padStart(5)}×`);
  }

  console.log('\nResampling 60 s of speech, × real time (streaming in 20 ms frames vs sox `rate` default quality, whole file incl. process start):');
  const dir = mkdtempSync(join(tmpdir(), 'umphone-bench-media-'));
  try {
    for (const [from, to] of [
      [8000, 48000],
      [48000, 8000],
      [8000, 44100],
      [44100, 8000],
    ] as const) {
      const input = from === 8000 ? pcm : new Resampler(8000, from).push(pcm);
      const r = new Resampler(from, to);
      const step = from / 50;
      const t0 = clock.now();
      for (let i = 0; i < input.length; i += step) r.push(input.subarray(i, i + step));
      r.flush();
      const ours = 60_000 / (clock.now() - t0);
      const inPath = join(dir, `in-${from}.wav`);
      const data = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      writeFileSync(inPath, Buffer.concat([wavHeader(data.length, from, 1), data]));
      const s0 = clock.now();
      execFileSync('sox', ['-D', inPath, '-r', String(to), join(dir, 'out.wav')]);
      const sox = 60_000 / (clock.now() - s0);
      console.log(`  ${`${from} -> ${to}`.padEnd(16)} umphone ${fmt(ours).padStart(6)}×   sox ${fmt(sox).padStart(6)}×   ratio ${(ours / sox).toFixed(2)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  console.log('\nAnalysis of 60 s of speech in 20 ms frames, × real time:');
  const vadT0 = clock.now();
  const vad = new VoiceActivityDetector();
  for (let i = 0; i < pcm.length; i += 160) vad.push(pcm.subarray(i, i + 160));
  console.log(`  VAD                       ${fmt(60_000 / (clock.now() - vadT0)).padStart(9)}×`);
  const toneT0 = clock.now();
  const tone = new ToneDetector({ frequencies: [1000] });
  for (let i = 0; i < pcm.length; i += 160) tone.push(pcm.subarray(i, i + 160));
  console.log(`  tone (1 frequency)        ${fmt(60_000 / (clock.now() - toneT0)).padStart(9)}×`);
  const tone4T0 = clock.now();
  const tone4 = new ToneDetector({ frequencies: [400, 800, 1000, 1400] });
  for (let i = 0; i < pcm.length; i += 160) tone4.push(pcm.subarray(i, i + 160));
  console.log(`  tone (4 frequencies)      ${fmt(60_000 / (clock.now() - tone4T0)).padStart(9)}×`);
  const fpT0 = clock.now();
  fingerprint(pcm);
  console.log(`  fingerprint features      ${fmt(60_000 / (clock.now() - fpT0)).padStart(9)}×`);

  const a = loadWavForPlaybackSync('audio/prompts/auto-attendant.wav').samples;
  const b = loadWavForPlaybackSync('audio/prompts/main-menu.wav').samples;
  const fa = fingerprint(a);
  const fb = fingerprint(b);
  const perSec = rate(() => compareFingerprints(fa, fb), 1500);
  console.log(`\nFingerprint compare (DTW), ${(a.length / 8000).toFixed(1)} s vs ${(b.length / 8000).toFixed(1)} s prompts: ${(1000 / perSec).toFixed(2)} ms per comparison`);
  const g0 = clock.now();
  const g1 = loadWavForPlaybackSync('audio/prompts/goodbye.wav').samples;
  for (let i = 0; i < 20; i++) compareFingerprints(fingerprint(g1), fingerprint(g1));
  console.log(`  full comparePrompt of a 1.4 s prompt incl. both fingerprints: ${((clock.now() - g0) / 20).toFixed(2)} ms`);
  const long = speech(12);
  const fr = fingerprint(b);
  const s0 = clock.now();
  for (let i = 0; i < 5; i++) findPrompt(long, fr);
  console.log(`  findPrompt: a ${(b.length / 8000).toFixed(1)} s prompt searched in 12 s of audio: ${((clock.now() - s0) / 5).toFixed(1)} ms`);
}

if (process.argv[1]?.endsWith('media.bench.ts')) await run();
