/**
 * Send phases for new RTP streams. A phone chooses when within each ptime it sends; if every call of a
 * 1000-call run sent at the same instant, the 1000 sendmsg calls of one burst would take milliseconds
 * and the last packet of the burst would leave late every time, whatever the scheduler
 * (docs/measurements/rtp-pacing.md). So the pacer spreads streams over the ptime.
 *
 * The ptime is cut into `slots` equal slots (a power of two). A new stream takes the least occupied
 * slot; among equally occupied slots it takes the first in bit-reversed order (0, 1/2, 1/4, 3/4, 1/8...),
 * so N streams started one after the other land evenly spread for any N, and a slot freed by a hung-up
 * call is reused first. Occupancy is kept per ptime value: a 30 ms stream and a 20 ms stream do not
 * share a phase grid.
 */

export interface PhaseSlot {
  /** Offset of the send phase within the ptime, in ms, in [0, ptimeMs). */
  readonly offsetMs: number;
  readonly slot: number;
  readonly ptimeMs: number;
}

export class PhasePlanner {
  private readonly order: number[];
  private readonly occupancy = new Map<number, Uint32Array>();

  constructor(readonly slots = 256) {
    if (!Number.isInteger(Math.log2(slots)) || slots < 1) {
      throw new RangeError(`PhasePlanner needs a power of two slots, got ${slots}.`);
    }
    const bits = Math.log2(slots);
    this.order = Array.from({ length: slots }, (_, i) => reverseBits(i, bits));
  }

  /** Chooses the send phase of a new stream and marks its slot as taken. */
  allocate(ptimeMs: number): PhaseSlot {
    let occ = this.occupancy.get(ptimeMs);
    if (!occ) {
      occ = new Uint32Array(this.slots);
      this.occupancy.set(ptimeMs, occ);
    }
    let best = this.order[0]!;
    for (const s of this.order) {
      if (occ[s]! < occ[best]!) best = s;
      if (occ[best] === 0) break;
    }
    occ[best]!++;
    return { offsetMs: (best * ptimeMs) / this.slots, slot: best, ptimeMs };
  }

  /** Gives a slot back when its stream stops. */
  release(phase: PhaseSlot): void {
    const occ = this.occupancy.get(phase.ptimeMs);
    if (occ && occ[phase.slot]! > 0) occ[phase.slot]!--;
  }

  /** Streams currently in each slot for this ptime (a copy, for tests and stats). */
  load(ptimeMs: number): number[] {
    return Array.from(this.occupancy.get(ptimeMs) ?? new Uint32Array(this.slots));
  }
}

function reverseBits(x: number, bits: number): number {
  let r = 0;
  for (let i = 0; i < bits; i++) {
    r = (r << 1) | (x & 1);
    x >>= 1;
  }
  return r;
}
