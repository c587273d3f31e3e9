/**
 * The buffering policy between two clocks, as a pure class: the far end (or the microphone) produces
 * samples on its clock, the sound card (or the RTP pacer) consumes them on another. The two never run
 * at exactly the same rate, and network jitter makes arrivals bursty, so:
 *
 * - the queue is bounded: when a push makes it longer than `maxSamples`, the OLDEST samples are dropped
 *   until `trimToSamples` remain. Dropping down to a low mark (rather than just the excess) gets the delay
 *   back to its target at once instead of holding it at the ceiling for the rest of the call.
 * - an underrun never stalls the consumer: takeOrSilence() returns what is there padded with zeros, so
 *   the sound card keeps its own pace; nothing is replayed and no delay is added beyond what the queue
 *   holds (no drift).
 * - priming (optional): at the start and after each underrun, takeOrSilence() gives silence until
 *   `primeSamples` are queued. Frames arrive whole (20 ms) but are consumed in smaller chunks on
 *   another clock; without a margin, a frame that arrives just as the queue runs dry underruns again
 *   at the next jitter. Priming to a frame and a chunk gives that margin once, where it is needed.
 *
 * Capacity is fixed at construction (maxSamples), so steady state allocates only the chunks it returns.
 */
export interface SampleQueuePolicy {
  /** Longest the queue may grow (samples) before it is trimmed. */
  maxSamples: number;
  /** Length the queue is trimmed to when it overflows (the newest samples are kept). */
  trimToSamples: number;
  /** takeOrSilence() plays silence at the start and after an underrun until this many are queued. */
  primeSamples?: number;
}

export class SampleQueue {
  private readonly ring: Int16Array;
  private head = 0;
  private len = 0;
  /** Samples dropped from the head to keep the delay bounded, since construction. */
  droppedSamples = 0;
  /** Zero samples given out by takeOrSilence() because the queue ran short, since construction. */
  silenceSamples = 0;
  /** Underruns (the queue ran dry while playing), since construction. */
  underruns = 0;
  private priming = true;

  constructor(readonly policy: SampleQueuePolicy) {
    if (!(policy.maxSamples > 0) || !Number.isInteger(policy.maxSamples)) {
      throw new RangeError(`maxSamples must be a positive integer, got ${policy.maxSamples}`);
    }
    if (!(policy.trimToSamples >= 0 && policy.trimToSamples <= policy.maxSamples)) {
      throw new RangeError(`trimToSamples must be within 0..${policy.maxSamples}, got ${policy.trimToSamples}`);
    }
    const prime = policy.primeSamples ?? 0;
    if (!(prime >= 0 && prime <= policy.trimToSamples)) {
      throw new RangeError(`primeSamples must be within 0..${policy.trimToSamples}, got ${prime}`);
    }
    this.ring = new Int16Array(policy.maxSamples);
  }

  get length(): number {
    return this.len;
  }

  /** Append samples; returns how many samples were dropped to respect the bound. */
  push(samples: Int16Array): number {
    const { maxSamples, trimToSamples } = this.policy;
    let src = samples;
    let dropped = 0;
    if (this.len + src.length > maxSamples) {
      let excess = this.len + src.length - trimToSamples;
      const fromQueue = Math.min(excess, this.len);
      this.discard(fromQueue);
      excess -= fromQueue;
      if (excess > 0) src = src.subarray(excess);
      dropped = fromQueue + excess;
      this.droppedSamples += dropped;
    }
    const cap = this.ring.length;
    let tail = (this.head + this.len) % cap;
    let i = 0;
    while (i < src.length) {
      const n = Math.min(src.length - i, cap - tail);
      this.ring.set(src.subarray(i, i + n), tail);
      i += n;
      tail = (tail + n) % cap;
    }
    this.len += src.length;
    return dropped;
  }

  /** Exactly n samples from the head, or undefined (and nothing consumed) when fewer are queued. */
  take(n: number): Int16Array | undefined {
    if (this.len < n) return undefined;
    const out = new Int16Array(n);
    this.copyOut(out, n);
    return out;
  }

  /**
   * n samples: the queued ones first, zeros for the rest (counted in silenceSamples). While priming,
   * all zeros until primeSamples are queued.
   */
  takeOrSilence(n: number): Int16Array {
    const out = new Int16Array(n);
    if (this.priming) {
      if (this.len < (this.policy.primeSamples ?? 0) || this.len === 0) {
        this.silenceSamples += n;
        return out;
      }
      this.priming = false;
    }
    const have = Math.min(n, this.len);
    this.copyOut(out, have);
    if (have < n) {
      this.silenceSamples += n - have;
      this.underruns++;
      this.priming = true;
    }
    return out;
  }

  clear(): void {
    this.head = 0;
    this.len = 0;
    this.priming = true;
  }

  private copyOut(out: Int16Array, n: number): void {
    const cap = this.ring.length;
    let o = 0;
    while (o < n) {
      const k = Math.min(n - o, cap - this.head);
      out.set(this.ring.subarray(this.head, this.head + k), o);
      o += k;
      this.head = (this.head + k) % cap;
    }
    this.len -= n;
  }

  private discard(n: number): void {
    this.head = (this.head + n) % this.ring.length;
    this.len -= n;
  }
}
