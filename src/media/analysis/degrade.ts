/**
 * Reproducible impairments of 8 kHz Int16 audio, for calibration scripts and tests: what a prompt
 * goes through between a voice server and our ears (G.711 coding, packet loss, level changes, line
 * noise, comfort noise, extra silence). A seeded PRNG makes every run identical.
 */
import { decodeAlaw, decodeUlaw, encodeAlaw, encodeUlaw } from '../g711.js';
import { dbfsToRms } from './energy.js';

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

const clip = (v: number): number => (v > 32767 ? 32767 : v < -32768 ? -32768 : Math.round(v));

export function g711RoundTrip(pcm: Int16Array, law: 'PCMU' | 'PCMA'): Int16Array {
  return law === 'PCMU' ? decodeUlaw(encodeUlaw(pcm)) : decodeAlaw(encodeAlaw(pcm));
}

export function applyGainDb(pcm: Int16Array, db: number): Int16Array {
  const g = 10 ** (db / 20);
  return pcm.map((v) => clip(v * g));
}

/** Zeroes whole 20 ms frames at random with probability `rate` (what a receiver without PLC plays). */
export function dropFrames(pcm: Int16Array, rate: number, seed = 1): Int16Array {
  const rand = seededRandom(seed);
  const out = pcm.slice();
  for (let i = 0; i < out.length; i += 160) if (rand() < rate) out.fill(0, i, Math.min(out.length, i + 160));
  return out;
}

/** Zeroes every n-th 20 ms frame (a deterministic loss pattern), starting at frame `first`. */
export function dropEveryNthFrame(pcm: Int16Array, n: number, first = n - 1): Int16Array {
  const out = pcm.slice();
  for (let f = first; f * 160 < out.length; f += n) out.fill(0, f * 160, Math.min(out.length, (f + 1) * 160));
  return out;
}

/** Adds white Gaussian noise at an RMS level in dBFS. */
export function addWhiteNoise(pcm: Int16Array, dbfs: number, seed = 2): Int16Array {
  const rand = seededRandom(seed);
  const sigma = dbfsToRms(dbfs);
  return pcm.map((v) => clip(v + sigma * gaussian(rand)));
}

/**
 * Adds comfort-noise-like background (RFC 3389 is spectrally shaped noise at a level in -dBov):
 * white noise through a one-pole low-pass, so most energy is below 1 kHz, scaled to `dbov`.
 */
export function addComfortNoise(pcm: Int16Array, dbov: number, seed = 3): Int16Array {
  const rand = seededRandom(seed);
  const shaped = new Float64Array(pcm.length);
  let y = 0;
  let e = 0;
  for (let i = 0; i < pcm.length; i++) {
    y = 0.85 * y + gaussian(rand);
    shaped[i] = y;
    e += y * y;
  }
  const r = Math.sqrt(e / Math.max(1, pcm.length));
  const target = 32768 * 10 ** (dbov / 20);
  return pcm.map((v, i) => clip(v + (shaped[i]! * target) / (r || 1)));
}

/** Adds (positive) or removes (negative) silence at both ends, in ms. */
export function padSilence(pcm: Int16Array, leadMs: number, trailMs: number): Int16Array {
  const lead = Math.round(leadMs * 8);
  const trail = Math.round(trailMs * 8);
  const body = pcm.subarray(Math.max(0, -lead), pcm.length - Math.max(0, -trail));
  const out = new Int16Array(Math.max(0, lead) + body.length + Math.max(0, trail));
  out.set(body, Math.max(0, lead));
  return out;
}
