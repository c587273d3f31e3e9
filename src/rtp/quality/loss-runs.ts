/**
 * How losses cluster, from the sequence numbers that arrived: each position of the stream ends up
 * received or lost, and from that sequence come
 *  - the two-state (Gilbert) Markov model of G.107 clause 7.5: p = P(lost | previous received),
 *    q = P(received | previous lost), BurstR = 1 / (p + q) (7-30), 1 for random loss, above 1 bursty.
 *    Estimated from runs: each loss run is one received→lost and one lost→received transition, so
 *    p = runs / received and q = runs / lost (q = 1 / mean loss run). This satisfies (7-30)'s
 *    BurstR = (Ppl/100) / p = (1 − Ppl/100) / q exactly, and a run cut by the end of the stream still counts;
 *  - loss run lengths (mean, longest, histogram);
 *  - the burst and gap metrics of RFC 3611 §4.7.2: a burst is the longest run that starts and ends with a
 *    loss and holds no Gmin (16) or more consecutive received packets; a loss with Gmin received packets
 *    on both sides (or the stream's start or end) is an isolated loss and belongs to the gap.
 *
 * Packets may arrive out of order: a position is decided only once the stream is `reorderWindow` packets
 * past it, so a packet reordered by less than that counts as received. Our choice: 32 positions (640 ms at
 * 20 ms), longer than any jitter buffer would wait, so what counts here is loss in the network.
 */
import { extendSeq } from '../seq.js';

/**
 * RFC 3550 A.1 MAX_DROPOUT and MAX_MISORDER: a jump further than these is a stray packet, or, when the
 * next packet follows it in sequence, a restarted sender, never thousands of losses.
 */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

export interface LossRunsOptions {
  reorderWindow?: number;
  /** RFC 3611 §4.7.2 Gmin, default 16. */
  gmin?: number;
}

export interface LossRunsSummary {
  /** Positions decided (received or lost). */
  packets: number;
  lost: number;
  /** Markov transition probabilities and G.107's burst ratio. */
  p: number;
  q: number;
  burstR: number;
  lossRuns: number;
  meanLossRun: number;
  maxLossRun: number;
  /** lossRunHistogram[n] = number of runs of exactly n lost packets. */
  lossRunHistogram: number[];
  /** RFC 3611 §4.7.2, as fractions 0..1 and lengths in packets. */
  burstDensity: number;
  gapDensity: number;
  meanBurstPackets: number;
  meanGapPackets: number;
}

interface OpenBurst {
  first: number;
  last: number;
  losses: number;
  /** Preceded by Gmin received packets (or the start of the stream). */
  isolatedBefore: boolean;
}

export class LossRuns {
  private readonly window: number;
  private readonly gmin: number;
  private highest: number | undefined;
  /** Last position decided. */
  private decidedUpTo = 0;
  private pending = new Set<number>();
  private restartCandidate: number | undefined;
  private counts = { packets: 0, lost: 0 };
  private run = 0;
  private runs: number[] = [];
  private receivedSinceLoss = Infinity;
  private open: OpenBurst | undefined;
  private bursts = { count: 0, packets: 0, losses: 0 };

  constructor(opts: LossRunsOptions = {}) {
    this.window = opts.reorderWindow ?? 32;
    this.gmin = opts.gmin ?? 16;
  }

  /** A packet with this RTP sequence number arrived (duplicates and very late packets change nothing). */
  received(sequence: number): void {
    if (this.highest === undefined) {
      this.highest = sequence & 0xffff;
      this.decidedUpTo = this.highest - 1;
      this.pending.add(this.highest);
      return;
    }
    const seq = sequence & 0xffff;
    const ext = extendSeq(seq, this.highest);
    const jump = ext - this.highest;
    if (jump > MAX_DROPOUT || jump < -MAX_MISORDER) {
      if (seq !== this.restartCandidate) {
        this.restartCandidate = (seq + 1) & 0xffff;
        return;
      }
      // Two in a row (A.1 "resync"): close what we have and start over with both.
      this.finish();
      this.restartCandidate = undefined;
      this.highest = seq;
      this.decidedUpTo = seq - 2;
      this.pending.add(seq - 1);
      this.pending.add(seq);
      return;
    }
    this.restartCandidate = undefined;
    if (ext <= this.decidedUpTo) return;
    this.pending.add(ext);
    if (ext > this.highest) this.highest = ext;
    this.decideUpTo(this.highest - this.window);
  }

  /** Decides every position still pending (end of the stream, or a report that must be final). */
  finish(): void {
    if (this.highest === undefined) return;
    this.decideUpTo(this.highest);
    if (this.run > 0) this.runs.push(this.run);
    this.run = 0;
    // After the stream, Gmin received packets are taken to follow (RFC 3611 §4.7.2).
    this.closeBurst(true);
    this.receivedSinceLoss = Infinity;
  }

  private decideUpTo(target: number): void {
    while (this.decidedUpTo < target) {
      const pos = ++this.decidedUpTo;
      const got = this.pending.delete(pos);
      this.observe(!got, pos);
    }
  }

  private observe(lost: boolean, pos: number): void {
    const c = this.counts;
    c.packets++;
    if (lost) {
      c.lost++;
      this.run++;
      if (this.open && this.receivedSinceLoss < this.gmin) {
        this.open.last = pos;
        this.open.losses++;
      } else {
        this.closeBurst(this.receivedSinceLoss >= this.gmin);
        this.open = { first: pos, last: pos, losses: 1, isolatedBefore: this.receivedSinceLoss >= this.gmin };
      }
      this.receivedSinceLoss = 0;
    } else {
      if (this.run > 0) this.runs.push(this.run);
      this.run = 0;
      this.receivedSinceLoss++;
    }
  }

  private closeBurst(isolatedAfter: boolean): void {
    const b = this.open;
    this.open = undefined;
    if (!b) return;
    if (b.losses === 1 && b.isolatedBefore && isolatedAfter) return;
    this.bursts.count++;
    this.bursts.packets += b.last - b.first + 1;
    this.bursts.losses += b.losses;
  }

  /** The summary as if the stream ended now (pending positions decided), leaving this accumulator as is. */
  summaryAfterFinish(): LossRunsSummary {
    const copy = new LossRuns({ reorderWindow: this.window, gmin: this.gmin });
    Object.assign(copy, {
      highest: this.highest,
      decidedUpTo: this.decidedUpTo,
      pending: new Set(this.pending),
      counts: { ...this.counts },
      run: this.run,
      runs: [...this.runs],
      receivedSinceLoss: this.receivedSinceLoss,
      open: this.open && { ...this.open },
      bursts: { ...this.bursts },
    });
    copy.finish();
    return copy.summary();
  }

  summary(): LossRunsSummary {
    const c = this.counts;
    const runs = this.run > 0 ? [...this.runs, this.run] : this.runs;
    const received = c.packets - c.lost;
    const p = received > 0 ? runs.length / received : 1;
    const q = c.lost > 0 ? runs.length / c.lost : 1;
    const histogram: number[] = [];
    for (const r of runs) histogram[r] = (histogram[r] ?? 0) + 1;
    const gapPackets = c.packets - this.bursts.packets;
    return {
      packets: c.packets,
      lost: c.lost,
      p,
      q,
      // No loss at all is random loss by definition (BurstR 1), not "infinitely bursty".
      burstR: runs.length === 0 ? 1 : 1 / (p + q),
      lossRuns: runs.length,
      meanLossRun: runs.length ? c.lost / runs.length : 0,
      maxLossRun: runs.length ? Math.max(...runs) : 0,
      lossRunHistogram: Array.from(histogram, (n) => n ?? 0),
      burstDensity: this.bursts.packets ? this.bursts.losses / this.bursts.packets : 0,
      gapDensity: gapPackets > 0 ? (c.lost - this.bursts.losses) / gapPackets : 0,
      meanBurstPackets: this.bursts.count ? this.bursts.packets / this.bursts.count : 0,
      meanGapPackets: gapPackets / (this.bursts.count + 1),
    };
  }
}
