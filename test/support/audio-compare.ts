/**
 * Audio comparison for interop tests: did the peer hear what we played (or we what it played)?
 *
 * alignAndCorrelate() finds the lag at which `received` best matches `reference` and returns the
 * normalized cross-correlation there: 1.0 for identical signals, ~0.99+ after a G.711 round trip, near 0
 * for unrelated audio. Search: a coarse pass on 5 ms energy envelopes over the whole lag window (cheap,
 * robust for speech), then a sample-exact pass within ±2 envelope blocks of the best coarse lag. For a
 * periodic signal (a pure tone) any lag that is a whole number of periods fits equally well; that is
 * inherent, not a bug.
 *
 * readWav(): a minimal RIFF/WAVE reader (16-bit PCM, 8-bit μ-law/A-law) for the recordings of baresip's
 * sndfile and our own files; it tolerates a header whose sizes were never patched (a killed writer).
 */
import { readFileSync } from 'node:fs';
import { decodeG711 } from './g711-local.js';

export interface Wav {
  sampleRate: number;
  channels: number;
  /** First channel only, 16-bit linear. */
  samples: Int16Array;
}

export function readWav(path: string): Wav {
  const b = readFileSync(path);
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`Not a RIFF/WAVE file: ${path}`);
  }
  let off = 12;
  let format = 0;
  let channels = 1;
  let sampleRate = 0;
  let bits = 16;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    let size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      format = b.readUInt16LE(body);
      channels = b.readUInt16LE(body + 2);
      sampleRate = b.readUInt32LE(body + 4);
      bits = b.readUInt16LE(body + 14);
      if (format === 0xfffe && size >= 40) format = b.readUInt16LE(body + 24); // WAVE_FORMAT_EXTENSIBLE
    } else if (id === 'data') {
      if (size === 0 || size === 0xffffffff || body + size > b.length) size = b.length - body; // unpatched header
      const data = b.subarray(body, body + size);
      return { sampleRate, channels, samples: decodeData(data, format, bits, channels, path) };
    }
    off = body + size + (size & 1);
  }
  throw new Error(`No data chunk in WAV file: ${path}`);
}

function decodeData(data: Buffer, format: number, bits: number, channels: number, path: string): Int16Array {
  if (format === 1 && bits === 16) {
    const frames = Math.floor(data.length / (2 * channels));
    const out = new Int16Array(frames);
    for (let i = 0; i < frames; i++) out[i] = data.readInt16LE(i * 2 * channels);
    return out;
  }
  if ((format === 6 || format === 7) && bits === 8) {
    const frames = Math.floor(data.length / channels);
    const mono = Buffer.alloc(frames);
    for (let i = 0; i < frames; i++) mono[i] = data[i * channels] ?? 0;
    return decodeG711(mono, format === 7 ? 'PCMU' : 'PCMA');
  }
  throw new Error(`Unsupported WAV encoding (format ${format}, ${bits} bits): ${path}`);
}

export interface Alignment {
  /** received[i + lag] ≈ reference[i] (positive: the received copy starts later). */
  lag: number;
  lagMs: number;
  /** Normalized cross-correlation over the overlap at that lag, -1..1. */
  correlation: number;
  /** Samples in the overlap. */
  overlap: number;
}

export interface AlignOptions {
  /** Largest |lag| searched, in ms (default 3000). */
  maxLagMs?: number;
  sampleRate?: number;
}

/** Normalized cross-correlation of `a` and `b` shifted by `lag` samples, and the overlap it used. */
function correlationAt(a: ArrayLike<number>, b: ArrayLike<number>, lag: number): { c: number; n: number } {
  const start = Math.max(0, -lag);
  const end = Math.min(a.length, b.length - lag);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = start; i < end; i++) {
    const x = a[i] ?? 0;
    const y = b[i + lag] ?? 0;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  const n = Math.max(0, end - start);
  return { c: aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0, n };
}

function envelope(x: Int16Array, block: number): Float64Array {
  const n = Math.floor(x.length / block);
  const e = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let s = 0;
    for (let i = k * block; i < (k + 1) * block; i++) s += Math.abs(x[i] ?? 0);
    e[k] = s / block;
  }
  let mean = 0;
  for (const v of e) mean += v;
  mean /= n || 1;
  for (let k = 0; k < n; k++) e[k] = (e[k] ?? 0) - mean;
  return e;
}

/** Best alignment of `received` against `reference` (both mono, same rate, default 8 kHz). */
export function alignAndCorrelate(reference: Int16Array, received: Int16Array, opts: AlignOptions = {}): Alignment {
  const rate = opts.sampleRate ?? 8000;
  const maxLag = Math.round(((opts.maxLagMs ?? 3000) * rate) / 1000);
  const block = Math.max(1, Math.round(rate / 200)); // 5 ms
  const ea = envelope(reference, block);
  const eb = envelope(received, block);
  const maxBlocks = Math.ceil(maxLag / block);
  let bestBlock = 0;
  let bestEnv = -Infinity;
  // A lag with little overlap can correlate by accident: require half of the shorter signal to overlap.
  const minOverlap = Math.floor(Math.min(ea.length, eb.length) / 2);
  for (let L = -maxBlocks; L <= maxBlocks; L++) {
    if (Math.min(ea.length, eb.length - L) - Math.max(0, -L) < minOverlap) continue;
    const { c } = correlationAt(ea, eb, L);
    if (c > bestEnv) {
      bestEnv = c;
      bestBlock = L;
    }
  }
  let best = { lag: 0, c: -Infinity, n: 0 };
  const lo = Math.max(-maxLag, (bestBlock - 2) * block);
  const hi = Math.min(maxLag, (bestBlock + 2) * block);
  for (let lag = lo; lag <= hi; lag++) {
    const { c, n } = correlationAt(reference, received, lag);
    if (c > best.c) best = { lag, c, n };
  }
  return { lag: best.lag, lagMs: (best.lag * 1000) / rate, correlation: best.c, overlap: best.n };
}

/** Root mean square of a signal (0 for silence). */
export function rms(x: Int16Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return x.length > 0 ? Math.sqrt(s / x.length) : 0;
}

/** A sine tone, 16-bit, for feeding devices in tests. */
export function sineTone(freqHz: number, ms: number, amplitude = 8000, rate = 8000): Int16Array {
  const n = Math.round((ms * rate) / 1000);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freqHz * i) / rate));
  return out;
}

/** The pieces one after the other, as one signal. */
export function concatSamples(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
