/**
 * The SRTP replay list (RFC 3711 §3.3.2) as a sliding window over packet indices: an index newer than
 * the highest seen is accepted, one within the window is accepted once, one that fell off the back
 * of the window is rejected. §3.3.2 asks for at least 64 entries; libsrtp uses 128, as this does by
 * default. The bitmap is a ring of 32-bit words, so sliding the window allocates nothing.
 */

export const DEFAULT_REPLAY_WINDOW = 128;
export const MIN_REPLAY_WINDOW = 64;

export type ReplayVerdict = 'ok' | 'replay' | 'too-old';

export class ReplayWindow {
  readonly size: number;
  private readonly bits: Uint32Array;
  /** Highest index accepted so far; -1 before the first. */
  private top = -1;

  constructor(size = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < MIN_REPLAY_WINDOW || size > 32768) {
      throw new RangeError(`SRTP replay window must be an integer in ${MIN_REPLAY_WINDOW}..32768, got ${size}`);
    }
    this.size = Math.ceil(size / 32) * 32;
    this.bits = new Uint32Array(this.size / 32);
  }

  get highest(): number {
    return this.top;
  }

  /** Whether `index` may be accepted; changes nothing (the caller authenticates first, §3.3). */
  check(index: number): ReplayVerdict {
    if (index > this.top) return 'ok';
    if (index < 0 || this.top - index >= this.size) return 'too-old';
    return this.has(index) ? 'replay' : 'ok';
  }

  /** Records an authenticated index (§3.3.2: update only after the packet authenticated). */
  accept(index: number): void {
    if (index > this.top) {
      const advance = index - this.top;
      if (this.top < 0 || advance >= this.size) this.bits.fill(0);
      else for (let i = this.top + 1; i < index; i++) this.clear(i);
      this.top = index;
    }
    const slot = index % this.size;
    this.bits[slot >>> 5]! |= 1 << (slot & 31);
  }

  /** Forgets every index (a new stream or a reset context). */
  reset(): void {
    this.bits.fill(0);
    this.top = -1;
  }

  private has(index: number): boolean {
    const slot = index % this.size;
    return (this.bits[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }

  private clear(index: number): void {
    const slot = index % this.size;
    this.bits[slot >>> 5]! &= ~(1 << (slot & 31));
  }
}
