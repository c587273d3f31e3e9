/**
 * The quality of one received RTP stream, per call and per second: an accumulator fed with events
 * (packet arrived, jitter buffer discarded a late packet, the peer's RTCP report about our stream) and
 * read as a summary and a series of one-second rows, each with its E-model R and MOS.
 *
 * Loss, jitter, duplicates and reordering are RFC 3550's, computed by src/rtp/stats.ts (A.1 sequence
 * validation, A.3 expected and lost, A.8 interarrival jitter): the rows are differences of its cumulative
 * counters at second boundaries, so the per-second figures add up to the call's. Round-trip time comes
 * from the LSR and DLSR of the peer's report blocks (§6.4.1, rtcp.ts roundTripMs). Loss clustering is
 * loss-runs.ts. The E-model gets Ppl = lost plus discarded late over expected (late packets are lost
 * to the listener), BurstR from the loss runs, and Ta = T = RTT / 2 + jitter buffer delay + one packet.
 */
import { ntpFromUnixMs, ntpMiddle32, roundTripMs, type ReportBlock } from '../rtcp.js';
import { ReceptionStats, type ReceptionSnapshot } from '../stats.js';
import { eModel, G711_NO_PLC } from './e-model.js';
import { LossRuns, type LossRunsSummary } from './loss-runs.js';

export interface StreamQualityOptions {
  clockRate?: number;
  /** Codec impairment for the E-model (default G.711 without concealment, what umphone plays). */
  codec?: { Ie: number; Bpl: number };
  /** Packet duration, part of the mouth-to-ear delay (default 20 ms). */
  ptimeMs?: number;
  /** Jitter buffer delay, part of the mouth-to-ear delay (default 60 ms, the jitter buffer's initial target). */
  jitterBufferDelayMs?: number;
  /** Start of the first one-second row (default: the first event's time). */
  originMs?: number;
}

export interface ArrivedPacket {
  /** Arrival time on the injected monotonic clock (ms). */
  atMs: number;
  ssrc: number;
  sequence: number;
  timestamp: number;
  payloadLength: number;
  /** False for RFC 4733 events, whose repeated timestamps would read as jitter. */
  jitter?: boolean;
}

export interface PeerReport {
  atMs: number;
  /** Wall-clock arrival time (ms since the epoch), the "A" of the round-trip formula. */
  arrivalWallMs: number;
  /** The peer's report block about the stream we send. */
  block: ReportBlock;
}

export interface SecondRow {
  /** Index of the second since the origin, and its start time. */
  second: number;
  startMs: number;
  packets: number;
  expected: number;
  lost: number;
  late: number;
  lossPercent: number;
  /** RFC 3550 jitter at the end of the second, and the highest it reached within it. */
  jitterMs: number;
  maxJitterMs: number;
  rttMs: number | undefined;
  /** Undefined for a second in which no packet was expected. */
  r: number | undefined;
  mos: number | undefined;
}

export interface StreamQualitySummary {
  packets: number;
  expected: number;
  lost: number;
  late: number;
  duplicates: number;
  outOfOrder: number;
  lossPercent: number;
  jitterMs: number;
  maxJitterMs: number;
  rttMs: number | undefined;
  maxRttMs: number | undefined;
  oneWayDelayMs: number;
  lossRuns: LossRunsSummary;
  r: number | undefined;
  mos: number | undefined;
  /** What the peer reported about our stream in its latest report block. */
  peer: { lossPercent: number; cumulativeLost: number; jitterMs: number } | undefined;
}

export class StreamQuality {
  private readonly clockRate: number;
  private readonly codec: { Ie: number; Bpl: number };
  private readonly ptimeMs: number;
  private jitterBufferDelayMs: number;
  private readonly stats: ReceptionStats;
  private readonly runs = new LossRuns();
  private origin: number | undefined;
  private rows: SecondRow[] = [];
  private atRowStart: ReceptionSnapshot;
  private lateTotal = 0;
  private lateAtRowStart = 0;
  private rowMaxJitterMs = 0;
  private maxJitterMs = 0;
  private rtt: number | undefined;
  private maxRtt: number | undefined;
  private peer: StreamQualitySummary['peer'];
  private finished = false;

  constructor(opts: StreamQualityOptions = {}) {
    this.clockRate = opts.clockRate ?? 8000;
    this.codec = opts.codec ?? G711_NO_PLC;
    this.ptimeMs = opts.ptimeMs ?? 20;
    this.jitterBufferDelayMs = opts.jitterBufferDelayMs ?? 60;
    this.origin = opts.originMs;
    this.stats = new ReceptionStats(this.clockRate);
    this.atRowStart = this.stats.snapshot();
  }

  onPacket(p: ArrivedPacket): void {
    this.advanceTo(p.atMs);
    const verdict = this.stats.onPacket(p, p.atMs, { jitter: p.jitter !== false });
    if (verdict !== 'invalid') this.runs.received(p.sequence);
    const j = this.jitterMs();
    if (j > this.rowMaxJitterMs) this.rowMaxJitterMs = j;
    if (j > this.maxJitterMs) this.maxJitterMs = j;
  }

  /** The jitter buffer dropped a packet that came after its playout time (RFC 3611 "discarded"). */
  onLate(atMs: number): void {
    this.advanceTo(atMs);
    this.stats.noteLate();
    this.lateTotal++;
  }

  onPeerReport(r: PeerReport): void {
    this.advanceTo(r.atMs);
    const ntp = ntpFromUnixMs(r.arrivalWallMs);
    const rtt = roundTripMs(ntpMiddle32(ntp.seconds, ntp.fraction), r.block.lsr, r.block.dlsr);
    if (rtt !== undefined) {
      this.rtt = rtt;
      this.maxRtt = Math.max(this.maxRtt ?? 0, rtt);
    }
    this.peer = {
      lossPercent: (r.block.fractionLost / 256) * 100,
      cumulativeLost: r.block.cumulativeLost,
      jitterMs: (r.block.jitter * 1000) / this.clockRate,
    };
  }

  /** The jitter buffer changed its delay target. */
  setJitterBufferDelay(ms: number): void {
    this.jitterBufferDelayMs = ms;
  }

  /** Closes every whole second before `atMs` (call this at the end, or to see rows while nothing arrives). */
  advanceTo(atMs: number): void {
    if (this.finished) return;
    this.origin ??= atMs;
    while (atMs >= this.origin + (this.rows.length + 1) * 1000) this.closeRow();
  }

  /**
   * The stream ended at `atMs`: the whole seconds before it are closed, and the part of a second up to it
   * becomes a last, shorter row (so the rows cover the call). Nothing is added after this.
   */
  finish(atMs: number): void {
    if (this.finished) return;
    this.advanceTo(atMs);
    if (this.origin !== undefined && atMs > this.origin + this.rows.length * 1000) this.closeRow();
    this.finished = true;
  }

  /** One row per closed second, in order (seconds with nothing received included). */
  series(): readonly SecondRow[] {
    return this.rows;
  }

  summary(): StreamQualitySummary {
    const s = this.stats.snapshot();
    const runs = this.runs.summaryAfterFinish();
    const { r, mos } = this.rate(s.expected, s.lost + this.lateTotal, runs.burstR);
    return {
      packets: s.packetsReceived,
      expected: s.expected,
      lost: s.lost,
      late: this.lateTotal,
      duplicates: s.duplicates,
      outOfOrder: s.outOfOrder,
      lossPercent: percent(s.lost + this.lateTotal, s.expected),
      jitterMs: s.jitterMs,
      maxJitterMs: this.maxJitterMs,
      rttMs: this.rtt,
      maxRttMs: this.maxRtt,
      oneWayDelayMs: this.oneWayDelayMs(),
      lossRuns: runs,
      r,
      mos,
      peer: this.peer,
    };
  }

  /** Mouth-to-ear delay estimate: half the round trip (0 before any RTCP), the jitter buffer, one packet. */
  oneWayDelayMs(): number {
    return (this.rtt ?? 0) / 2 + this.jitterBufferDelayMs + this.ptimeMs;
  }

  private closeRow(): void {
    const s = this.stats.snapshot();
    const prev = this.atRowStart;
    const expected = s.expected - prev.expected;
    const lost = s.lost - prev.lost;
    const late = this.lateTotal - this.lateAtRowStart;
    const { r, mos } = this.rate(expected, lost + late, 1);
    this.rows.push({
      second: this.rows.length,
      startMs: this.origin! + this.rows.length * 1000,
      packets: s.packetsReceived - prev.packetsReceived,
      expected,
      lost,
      late,
      lossPercent: percent(lost + late, expected),
      jitterMs: s.jitterMs,
      maxJitterMs: Math.max(this.rowMaxJitterMs, s.jitterMs),
      rttMs: this.rtt,
      r,
      mos,
    });
    this.atRowStart = s;
    this.lateAtRowStart = this.lateTotal;
    this.rowMaxJitterMs = s.jitterMs;
  }

  private rate(expected: number, missing: number, burstR: number): { r: number | undefined; mos: number | undefined } {
    if (expected <= 0) return { r: undefined, mos: undefined };
    const ta = this.oneWayDelayMs();
    const e = eModel({ ...this.codec, Ppl: percent(missing, expected), BurstR: burstR, T: ta, Ta: ta, Tr: 2 * ta });
    return { r: e.R, mos: e.mos };
  }

  private jitterMs(): number {
    return (this.stats.jitter * 1000) / this.clockRate;
  }
}

/** part / whole in percent, clamped to 0..100 (duplicates can make RFC 3550's lost negative). */
function percent(part: number, whole: number): number {
  if (whole <= 0) return 0;
  return Math.min(100, Math.max(0, (part / whole) * 100));
}
