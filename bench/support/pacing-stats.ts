/**
 * Pacing figures from a capture: streams are told apart by (source port, destination port, SSRC); for each
 * stream the gap between consecutive packets is compared with the ptime, and |gap − ptime| is pooled over
 * all streams (the figure of docs/measurements/rtp-pacing.md). A sequence number jump of k counts k − 1
 * packets lost, and that gap is left out of the pool (it is not a pacing error but a loss).
 */
import type { UdpRecord } from './pcap.js';

export interface PacingFigures {
  streams: number;
  packets: number;
  gaps: number;
  /** |gap − ptime| percentiles and max, in ms. */
  p50: number;
  p99: number;
  max: number;
  /** Mean gap (ms): 20.000 when the clock does not drift. */
  meanGap: number;
  /** Packets missing by sequence number. */
  lost: number;
}

interface StreamState {
  firstUs: number;
  lastUs: number;
  lastSeq: number;
  packets: number;
}

export class PacingAnalyzer {
  private readonly streams = new Map<string, StreamState>();
  private devs = new Float64Array(1 << 16);
  private nDevs = 0;
  private gapSum = 0;
  private lost = 0;
  private packets = 0;

  /**
   * @param accept which UDP packets belong to the streams measured (ports of the run)
   * @param warmupMs gaps in the first warmupMs of each stream are not pooled (JIT warm-up, call set-up)
   */
  constructor(
    private readonly accept: (r: UdpRecord) => boolean,
    private readonly warmupMs = 1000,
    private readonly ptimeMs = 20,
  ) {}

  add(r: UdpRecord): void {
    if (!this.accept(r) || r.payload.length < 12 || r.payload[0]! >> 6 !== 2) return;
    const seq = r.payload.readUInt16BE(2);
    const key = `${r.srcPort}>${r.dstPort}#${r.payload.readUInt32BE(8)}`;
    const s = this.streams.get(key);
    this.packets++;
    if (!s) {
      this.streams.set(key, { firstUs: r.timeUs, lastUs: r.timeUs, lastSeq: seq, packets: 1 });
      return;
    }
    s.packets++;
    const d = (seq - s.lastSeq) & 0xffff;
    if (d === 0 || d > 0x8000) return; // duplicate or reordered: not a gap
    const gapMs = (r.timeUs - s.lastUs) / 1000;
    s.lastUs = r.timeUs;
    s.lastSeq = seq;
    if (d > 1) {
      this.lost += d - 1;
      return;
    }
    if (r.timeUs - s.firstUs < this.warmupMs * 1000) return;
    if (this.nDevs === this.devs.length) {
      const bigger = new Float64Array(this.devs.length * 2);
      bigger.set(this.devs);
      this.devs = bigger;
    }
    this.devs[this.nDevs++] = Math.abs(gapMs - this.ptimeMs);
    this.gapSum += gapMs;
  }

  /** Number of packets of each stream, by key. */
  streamPackets(): Map<string, number> {
    return new Map([...this.streams].map(([k, s]) => [k, s.packets]));
  }

  figures(): PacingFigures {
    const d = this.devs.subarray(0, this.nDevs).sort();
    const q = (p: number): number => (d.length ? d[Math.min(d.length - 1, Math.floor(p * d.length))]! : NaN);
    return {
      streams: this.streams.size,
      packets: this.packets,
      gaps: d.length,
      p50: q(0.5),
      p99: q(0.99),
      max: d.length ? d[d.length - 1]! : NaN,
      meanGap: d.length ? this.gapSum / d.length : NaN,
      lost: this.lost,
    };
  }
}
