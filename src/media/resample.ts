/**
 * Band-limited sample-rate conversion by a rational factor L/M (polyphase windowed-sinc FIR).
 *
 * The output sample k sits at input time t_k = k·M/L (in input samples). It is the input convolved
 * with a Kaiser-windowed sinc whose cut-off lies below the LOWER of the two Nyquist frequencies, so
 * the same filter interpolates when going up (removes the images) and is the anti-aliasing low-pass
 * when going down. The filter is precomputed for the L possible fractional positions (phases).
 *
 * Defaults: cut-off 0.90 × the lower Nyquist (3.6 kHz for 8 kHz), Kaiser β = 8.6 (about 85 dB of
 * stop-band rejection), 32 zero crossings of the lower rate on each side (±4 ms). The transition band
 * is then about 2 × lowerRate / 32 wide, centred on the cut-off: 3.35…3.85 kHz for 8 kHz.
 *
 * Streaming: `Resampler.push(chunk)` keeps the tail of the input between calls, so a call can feed
 * 20 ms frames. It delays the output by the filter half-length (`latencySamples` input samples),
 * which makes every output depend only on input already received: a 160-sample frame at 8 kHz then
 * yields exactly 960 samples at 48 kHz each time. `resample()` is the one-shot form with that delay
 * removed (output sample 0 is input time 0).
 */

export interface ResamplerOptions {
  /** Cut-off as a fraction of the lower Nyquist frequency (default 0.90). */
  cutoff?: number;
  /** Zero crossings of the lower rate on each side of the centre tap (default 32). */
  zeroCrossings?: number;
  /** Kaiser window β (default 8.6). */
  beta?: number;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (power series), for the Kaiser window. */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 50; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  return sum;
}

export class Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  /** Output delay in input samples introduced by streaming (the filter half-length). */
  readonly latencySamples: number;
  private readonly L: number;
  private readonly M: number;
  /** Taps per phase (2 × half-length). */
  private readonly T: number;
  private readonly half: number;
  /** coeffs[phase * T + m] for input index base - half + 1 + m. */
  private readonly coeffs: Float64Array;
  /** Input history: buf[0] is absolute input index `bufStart`. */
  private buf: Float64Array;
  private bufLen = 0;
  private bufStart: number;
  /** Index of the next output sample. */
  private k = 0;
  /** Offset (in 1/L input samples) subtracted from output positions: the streaming delay. */
  private readonly delayL: number;
  /** Total input samples received. */
  private received = 0;

  constructor(fromRate: number, toRate: number, options: ResamplerOptions = {}, compensateDelay = false) {
    if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) {
      throw new RangeError(`sample rates must be positive integers, got ${fromRate} and ${toRate}`);
    }
    this.fromRate = fromRate;
    this.toRate = toRate;
    const g = gcd(fromRate, toRate);
    this.L = toRate / g;
    this.M = fromRate / g;
    const cutoff = options.cutoff ?? 0.9;
    const zc = options.zeroCrossings ?? 32;
    const beta = options.beta ?? 8.6;
    // Cut-off in cycles per input sample, and the half-length in input samples.
    const lower = Math.min(fromRate, toRate);
    const fc = (cutoff * 0.5 * lower) / fromRate;
    const halfExact = (zc * fromRate) / lower;
    this.half = Math.ceil(halfExact);
    this.T = 2 * this.half;
    this.coeffs = new Float64Array(this.L * this.T);
    const i0b = besselI0(beta);
    for (let p = 0; p < this.L; p++) {
      for (let m = 0; m < this.T; m++) {
        // Distance from the output position to input index (base - half + 1 + m).
        const t = p / this.L + this.half - 1 - m;
        if (Math.abs(t) >= halfExact) continue;
        const x = 2 * fc * t;
        const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
        const r = t / halfExact;
        const w = besselI0(beta * Math.sqrt(1 - r * r)) / i0b;
        this.coeffs[p * this.T + m] = 2 * fc * sinc * w;
      }
      // Normalize each phase to unity DC gain so a constant stays constant (no phase ripple).
      let s = 0;
      for (let m = 0; m < this.T; m++) s += this.coeffs[p * this.T + m]!;
      for (let m = 0; m < this.T; m++) this.coeffs[p * this.T + m]! /= s;
    }
    this.latencySamples = compensateDelay ? 0 : this.half;
    this.delayL = this.latencySamples * this.L;
    // History starts as silence before time 0 so the first outputs are defined.
    this.buf = new Float64Array(4 * this.T + 4096);
    this.bufStart = -this.T;
    this.bufLen = this.T;
  }

  /** Latency of the streaming output in milliseconds. */
  get latencyMs(): number {
    return (this.latencySamples * 1000) / this.fromRate;
  }

  /** Feeds input samples (Int16 scale; a Float32Array may carry fractions) and returns what is ready. */
  push(input: ArrayLike<number>): Int16Array {
    this.append(input);
    this.received += input.length;
    return this.emit(Infinity);
  }

  /**
   * Ends the stream: feeds silence past the end so every output sample up to the input's end time
   * is produced, and returns them.
   */
  flush(): Int16Array {
    // Everything up to the input's end time, shifted by the streaming delay.
    const total = Math.ceil(((this.received + this.latencySamples) * this.L) / this.M);
    this.append(new Float32Array(this.half + this.latencySamples + 2));
    return this.emit(total);
  }

  private append(input: ArrayLike<number>): void {
    // Drop history no longer needed by the next output.
    const nextBase = Math.floor((this.k * this.M - this.delayL) / this.L);
    const keepFrom = nextBase - this.half + 1;
    const drop = Math.max(0, Math.min(this.bufLen, keepFrom - this.bufStart));
    if (drop > 0) {
      this.buf.copyWithin(0, drop, this.bufLen);
      this.bufLen -= drop;
      this.bufStart += drop;
    }
    if (this.bufLen + input.length > this.buf.length) {
      const bigger = new Float64Array(Math.max(this.buf.length * 2, this.bufLen + input.length));
      bigger.set(this.buf.subarray(0, this.bufLen));
      this.buf = bigger;
    }
    for (let i = 0; i < input.length; i++) this.buf[this.bufLen + i] = input[i]!;
    this.bufLen += input.length;
  }

  private emit(limit: number): Int16Array {
    const { L, M, T, half, coeffs, buf } = this;
    const available = this.bufStart + this.bufLen; // one past the last input index held
    // Upper bound of what can be produced now: outputs whose position is before the held input.
    const bound = Math.ceil(((available + 1) * L + this.delayL) / M) - this.k + 1;
    const out = new Int16Array(Math.max(0, Math.min(bound, limit - this.k)));
    let n = 0;
    for (;;) {
      if (this.k >= limit) break;
      const pos = this.k * M - this.delayL; // in 1/L input samples
      const base = Math.floor(pos / L);
      if (base + half >= available) break;
      const phase = pos - base * L;
      const first = base - half + 1 - this.bufStart;
      const c = phase * T;
      let acc = 0;
      for (let m = 0; m < T; m++) acc += coeffs[c + m]! * buf[first + m]!;
      out[n++] = acc > 32767 ? 32767 : acc < -32768 ? -32768 : Math.round(acc);
      this.k++;
    }
    return n === out.length ? out : out.slice(0, n);
  }
}

/** One-shot conversion of a whole signal; output sample 0 is input time 0, length ⌈n·to/from⌉. */
export function resample(input: ArrayLike<number>, fromRate: number, toRate: number, options?: ResamplerOptions): Int16Array {
  if (fromRate === toRate) {
    const out = new Int16Array(input.length);
    for (let i = 0; i < input.length; i++) {
      const v = Math.round(input[i]!);
      out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
    }
    return out;
  }
  const r = new Resampler(fromRate, toRate, options, true);
  const a = r.push(input);
  const b = r.flush();
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
