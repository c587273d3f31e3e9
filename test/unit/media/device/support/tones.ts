/**
 * Tone sequences and their recognition, for the sound-card tests: make a known sequence, then find
 * the tones in a recording (energy segments) and measure each one's frequency from its zero crossings.
 */
export interface ToneSpec {
  hz: number;
  ms: number;
}

/** Tones of `toneMs` each separated by `gapMs` of silence, at 8 kHz, amplitude `amp`. */
export function toneSequence(freqs: readonly number[], toneMs: number, gapMs: number, amp = 8000, rate = 8000): Int16Array {
  const toneN = (rate * toneMs) / 1000;
  const gapN = (rate * gapMs) / 1000;
  const out = new Int16Array(freqs.length * toneN + (freqs.length - 1) * gapN);
  freqs.forEach((hz, k) => {
    const start = k * (toneN + gapN);
    for (let i = 0; i < toneN; i++) out[start + i] = Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate));
  });
  return out;
}

export interface FoundTone {
  startMs: number;
  durMs: number;
  hz: number;
}

/**
 * Tones in a signal: 5 ms blocks whose RMS exceeds `threshold` form segments (gaps shorter than 15 ms
 * are bridged); a segment of at least `minMs` is a tone, and its frequency comes from the rising zero
 * crossings of its middle 80 %, interpolated to a fraction of a sample.
 */
export function findTones(s: Int16Array, rate = 8000, threshold = 1000, minMs = 100): FoundTone[] {
  const block = rate / 200;
  const loud: boolean[] = [];
  for (let b = 0; b + block <= s.length; b += block) {
    let e = 0;
    for (let i = b; i < b + block; i++) e += s[i]! * s[i]!;
    loud.push(Math.sqrt(e / block) > threshold);
  }
  const segs: [number, number][] = [];
  for (let i = 0; i < loud.length; i++) {
    if (!loud[i]) continue;
    const last = segs.at(-1);
    if (last && i - last[1] <= 3) last[1] = i;
    else segs.push([i, i]);
  }
  const tones: FoundTone[] = [];
  for (const [a, b] of segs) {
    const from = a * block;
    const to = (b + 1) * block;
    if (((to - from) * 1000) / rate < minMs) continue;
    const margin = Math.floor((to - from) * 0.1);
    tones.push({ startMs: (from * 1000) / rate, durMs: ((to - from) * 1000) / rate, hz: zeroCrossingHz(s.subarray(from + margin, to - margin), rate) });
  }
  return tones;
}

/**
 * Frequency from the periods between rising zero crossings (interpolated to a fraction of a sample).
 * Periods more than 5 % away from the median are left out, so a short glitch inside a tone (a 10 ms
 * underrun under a loaded CPU) cannot bend the estimate; the rest are averaged.
 */
export function zeroCrossingHz(s: Int16Array, rate: number, hysteresis = 500): number {
  // A rising crossing counts only after the signal has been below -hysteresis: the low-level ringing
  // a resampling filter leaves in a hole of silence (a feeder that underran) is not a period.
  const crossings: number[] = [];
  let armed = false;
  for (let i = 1; i < s.length; i++) {
    const p = s[i - 1]!;
    const c = s[i]!;
    if (p < -hysteresis) armed = true;
    if (armed && p < 0 && c >= 0) {
      crossings.push(i - 1 + -p / (c - p));
      armed = false;
    }
  }
  if (crossings.length < 3) return 0;
  const periods = crossings.slice(1).map((t, i) => t - crossings[i]!);
  const sorted = [...periods].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  const kept = periods.filter((p) => Math.abs(p - median) <= 0.05 * median);
  const mean = kept.reduce((a, b) => a + b, 0) / kept.length;
  return rate / mean;
}

/**
 * On a loaded CPU a feeder (pacat, or PulseAudio itself) can leave a hole of silence inside a tone,
 * which splits it in two: consecutive pieces of the same frequency (within 3 %) are one tone. Callers
 * play sequences whose consecutive tones always differ in frequency.
 */
export function mergePieces(found: readonly FoundTone[]): FoundTone[] {
  const out: FoundTone[] = [];
  for (const t of found) {
    const last = out.at(-1);
    if (last && Math.abs(t.hz - last.hz) / last.hz < 0.03) {
      last.hz = (last.hz * last.durMs + t.hz * t.durMs) / (last.durMs + t.durMs);
      last.durMs = t.startMs + t.durMs - last.startMs;
    } else {
      out.push({ ...t });
    }
  }
  return out;
}
