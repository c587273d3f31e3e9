/**
 * Reception statistics of RFC 3550 Appendix A: sequence validation with probation and SSRC change
 * (A.1), expected / lost / fraction lost per report interval (A.3), interarrival jitter (A.8), and the
 * report block of §6.4.1 built from them. Also duplicates, out-of-order and late counters, and the
 * sender's counters for SR. Arrival times come from the injected clock (milliseconds), never read here.
 */
import type { ReportBlock } from './rtcp.js';

const RTP_SEQ_MOD = 1 << 16;
/** A.1 defaults: MAX_DROPOUT 3000, MAX_MISORDER 100, MIN_SEQUENTIAL 2. */
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;
/** How many recent sequence numbers are remembered to tell a duplicate from a late packet. */
const HISTORY = 1024;

/** Ring index of an extended sequence number (which may be negative just after a wrap at start). */
function slot(ext: number): number {
  return ((ext % HISTORY) + HISTORY) % HISTORY;
}

export type PacketVerdict = 'valid' | 'duplicate' | 'probation' | 'invalid';

export interface ReceptionSnapshot {
  ssrc: number | null;
  packetsReceived: number;
  bytesReceived: number;
  expected: number;
  /** Cumulative lost (A.3), may be negative with duplicates. */
  lost: number;
  /** Fraction lost in the last report interval, 0..1. */
  fractionLost: number;
  /** Extended highest sequence number (cycles × 65536 + max seq). */
  extendedHighestSeq: number;
  cycles: number;
  /** Interarrival jitter in RTP timestamp units and in milliseconds. */
  jitter: number;
  jitterMs: number;
  duplicates: number;
  outOfOrder: number;
  late: number;
  invalid: number;
  ssrcChanges: number;
}

export interface PacketInfo {
  ssrc: number;
  sequence: number;
  timestamp: number;
  /** Payload octets (without header and padding), for bytesReceived. */
  payloadLength: number;
}

export class ReceptionStats {
  private ssrc: number | null = null;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  private probation = 0;
  private probationBytes = 0;
  private received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private lastFraction = 0;
  private transit: number | undefined;
  private jitterTs = 0;
  /** Ring of recent extended sequence numbers: slot ext % HISTORY holds ext once seen (O(1) duplicate test). */
  private seen = new Float64Array(HISTORY).fill(NaN);
  /** Totals of sources that went away (SSRC changed), so the call summary covers the whole call. */
  private prev = { received: 0, expected: 0, lost: 0 };
  private counters = { bytes: 0, duplicates: 0, outOfOrder: 0, late: 0, invalid: 0, ssrcChanges: 0 };
  private lastSr: { middle32: number; arrivalMs: number } | undefined;

  constructor(readonly clockRate = 8000) {}

  /** Feed one RTP packet that passed the header checks; returns what A.1 makes of it. */
  onPacket(p: PacketInfo, arrivalMs: number, opts: { jitter?: boolean } = {}): PacketVerdict {
    if (this.ssrc !== p.ssrc) this.newSource(p);
    const verdict = this.updateSeq(p.sequence & 0xffff);
    // With MIN_SEQUENTIAL 2, a packet on probation is always the first of a candidate run.
    if (verdict === 'probation') this.probationBytes = p.payloadLength;
    if (verdict === 'valid') {
      this.counters.bytes += p.payloadLength;
      // RFC 4733 event packets repeat the event's start timestamp: they would read as jitter.
      if (opts.jitter !== false) this.updateJitter(p.timestamp, arrivalMs);
    } else if (verdict === 'duplicate') {
      this.counters.duplicates++;
    } else if (verdict === 'invalid') {
      this.counters.invalid++;
    }
    return verdict;
  }

  /** The jitter buffer tells us a packet arrived after its playout time. */
  noteLate(): void {
    this.counters.late++;
  }

  /** A datagram that failed the header checks (bad version, length, unexpected payload type). */
  noteInvalid(): void {
    this.counters.invalid++;
  }

  /** Remember the peer's last SR for LSR/DLSR (§6.4.1). */
  onSenderReport(ntpMiddle32: number, arrivalMs: number): void {
    this.lastSr = { middle32: ntpMiddle32 >>> 0, arrivalMs };
  }

  private newSource(p: PacketInfo): void {
    if (this.ssrc !== null) {
      this.counters.ssrcChanges++;
      const expected = this.expectedCount();
      this.prev.received += this.received;
      this.prev.expected += expected;
      this.prev.lost += expected - this.received;
    }
    this.ssrc = p.ssrc;
    // A.1: a new source is on probation until MIN_SEQUENTIAL packets arrive in sequence.
    this.initSeq(p.sequence);
    this.maxSeq = (p.sequence - 1) & 0xffff;
    this.probation = MIN_SEQUENTIAL;
    this.probationBytes = 0;
    this.transit = undefined;
    this.jitterTs = 0;
    this.lastSr = undefined;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
    this.seen.fill(NaN);
  }

  private remember(ext: number): void {
    this.seen[slot(ext)] = ext;
  }

  private wasSeen(ext: number): boolean {
    return this.seen[slot(ext)] === ext;
  }

  /** RFC 3550 A.1 update_seq, plus duplicate and reorder detection. */
  private updateSeq(seq: number): PacketVerdict {
    const udelta = (seq - this.maxSeq) & 0xffff;
    if (this.probation > 0) {
      if (seq === ((this.maxSeq + 1) & 0xffff)) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          // A.1 discards the probation packets; they were in sequence after all, so count them (the
          // call summary then agrees with what the peer sent): the source starts at the first of them.
          this.initSeq(seq);
          this.baseSeq = seq - (MIN_SEQUENTIAL - 1);
          this.received = MIN_SEQUENTIAL;
          for (let k = MIN_SEQUENTIAL - 1; k >= 0; k--) this.remember(seq - k);
          this.counters.bytes += this.probationBytes;
          return 'valid';
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return 'probation';
    }
    let ext: number;
    if (udelta === 0) {
      // A.1 counts duplicates as received; the cumulative lost may then go negative (§6.4.1).
      this.received++;
      return 'duplicate';
    } else if (udelta < MAX_DROPOUT) {
      // In order, with a permissible gap.
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
      ext = this.cycles + seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: two in a row mean the sender restarted (A.1: "resync").
      if (seq === this.badSeq) {
        this.initSeq(seq);
        ext = seq;
      } else {
        this.badSeq = (seq + 1) & 0xffff;
        return 'invalid';
      }
    } else {
      // Duplicate or reordered packet, older than the highest seen.
      const back = RTP_SEQ_MOD - udelta;
      ext = this.cycles + this.maxSeq - back;
      if (this.wasSeen(ext)) {
        this.received++;
        return 'duplicate';
      }
      this.counters.outOfOrder++;
    }
    this.received++;
    this.remember(ext);
    return 'valid';
  }

  /** A.8: J += (|D(i−1, i)| − J) / 16 with D from transit times in timestamp units. */
  private updateJitter(timestamp: number, arrivalMs: number): void {
    const arrivalTs = (arrivalMs * this.clockRate) / 1000;
    const transit = arrivalTs - (timestamp >>> 0);
    if (this.transit !== undefined) {
      let d = transit - this.transit;
      // Timestamps are uint32: fold a wrap between two packets back into a small difference.
      if (d > 2 ** 31) d -= 2 ** 32;
      else if (d < -(2 ** 31)) d += 2 ** 32;
      this.jitterTs += (Math.abs(d) - this.jitterTs) / 16;
    }
    this.transit = transit;
  }

  private extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  private expectedCount(): number {
    if (this.ssrc === null || (this.probation > 0 && this.received === 0)) return 0;
    return this.extendedMax() - this.baseSeq + 1;
  }

  /**
   * The report block for this source (§6.4.1, A.3), closing the current report interval: the next
   * call reports the fraction lost since this one. `nowMs` is when the report is sent (for DLSR).
   */
  reportBlock(nowMs: number): ReportBlock | undefined {
    if (this.ssrc === null || this.received === 0) return undefined;
    const expected = this.expectedCount();
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    this.lastFraction = Math.min(255, fraction);
    return {
      ssrc: this.ssrc,
      fractionLost: this.lastFraction,
      cumulativeLost: expected - this.received,
      highestSeq: this.extendedMax() >>> 0,
      jitter: Math.floor(this.jitterTs) >>> 0,
      lsr: this.lastSr?.middle32 ?? 0,
      dlsr: this.lastSr ? Math.max(0, Math.round(((nowMs - this.lastSr.arrivalMs) / 1000) * 65536)) >>> 0 : 0,
    };
  }

  /** Current interarrival jitter (A.8) in timestamp units. */
  get jitter(): number {
    return this.jitterTs;
  }

  snapshot(): ReceptionSnapshot {
    const expected = this.expectedCount();
    return {
      ssrc: this.ssrc,
      packetsReceived: this.prev.received + this.received,
      bytesReceived: this.counters.bytes,
      expected: this.prev.expected + expected,
      lost: this.prev.lost + (expected - this.received),
      fractionLost: this.lastFraction / 256,
      extendedHighestSeq: this.extendedMax(),
      cycles: this.cycles / RTP_SEQ_MOD,
      jitter: this.jitterTs,
      jitterMs: (this.jitterTs * 1000) / this.clockRate,
      duplicates: this.counters.duplicates,
      outOfOrder: this.counters.outOfOrder,
      late: this.counters.late,
      invalid: this.counters.invalid,
      ssrcChanges: this.counters.ssrcChanges,
    };
  }
}

export interface SendSnapshot {
  packetsSent: number;
  bytesSent: number;
}

/** The sender's counters for SR sender info (§6.4.1: packet count, octet count of payload). */
export class SendStats {
  packets = 0;
  octets = 0;
  lastRtpTimestamp = 0;
  lastSentMs: number | undefined;

  constructor(readonly clockRate = 8000) {}

  onSent(payloadLength: number, rtpTimestamp: number, nowMs: number): void {
    this.packets = (this.packets + 1) >>> 0;
    this.octets = (this.octets + payloadLength) >>> 0;
    this.lastRtpTimestamp = rtpTimestamp >>> 0;
    this.lastSentMs = nowMs;
  }

  /** The RTP timestamp that corresponds to `nowMs` (the SR's NTP time), extrapolated from the last packet. */
  rtpTimestampAt(nowMs: number): number {
    if (this.lastSentMs === undefined) return this.lastRtpTimestamp;
    return (this.lastRtpTimestamp + Math.round(((nowMs - this.lastSentMs) * this.clockRate) / 1000)) >>> 0;
  }

  snapshot(): SendSnapshot {
    return { packetsSent: this.packets, bytesSent: this.octets };
  }
}
