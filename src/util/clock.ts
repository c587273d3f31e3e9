/**
 * Time is injected everywhere: the only file that touches setTimeout / Date.now / performance.now.
 * Cores take a Clock; tests use ManualClock (test/support or below) and drive time by hand.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (may be fractional). */
  now(): number;
  /** Wall-clock milliseconds since the epoch (for reports and NTP timestamps). */
  wallNow(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export class RealClock implements Clock {
  private readonly origin = performance.timeOrigin;
  now(): number {
    return performance.now();
  }
  wallNow(): number {
    return this.origin + performance.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(t) };
  }
}

interface Pending {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock for tests: time stands still until advance() is called; due timers fire in order of their
 * deadline (ties in order of creation), and timers set by a firing timer fire too if they fall due
 * within the same advance().
 */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private pending: Pending[] = [];
  constructor(start = 0, private readonly wallOrigin = 1_700_000_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  wallNow(): number {
    return this.wallOrigin + this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const p: Pending = { due: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.pending.push(p);
    return { cancel: () => { p.cancelled = true; } };
  }
  /** Number of timers not yet fired nor cancelled. */
  get pendingCount(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }
  /** Deadline of the next live timer, or undefined. */
  nextDue(): number | undefined {
    const live = this.pending.filter((p) => !p.cancelled);
    if (live.length === 0) return undefined;
    return Math.min(...live.map((p) => p.due));
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.pending = this.pending.filter((p) => !p.cancelled);
      let next: Pending | undefined;
      for (const p of this.pending) {
        if (p.due <= end && (!next || p.due < next.due || (p.due === next.due && p.seq < next.seq))) next = p;
      }
      if (!next) break;
      this.pending.splice(this.pending.indexOf(next), 1);
      this.t = Math.max(this.t, next.due);
      next.fn();
    }
    this.t = end;
  }
  /** Advance to the next due timer and fire it (and any due at the same instant). */
  runNext(): boolean {
    const due = this.nextDue();
    if (due === undefined) return false;
    this.advance(due - this.t);
    return true;
  }
}
