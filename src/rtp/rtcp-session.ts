/**
 * The RTCP side of one call (RFC 3550 §6): every ~5 s (§6.2 minimum interval, randomized over
 * [0.5, 1.5] × interval as §6.3.1 asks, the first report after half of it) a compound packet of SR
 * (when we send) or RR, with a report block about the peer, and SDES CNAME; a BYE at the end. Peer
 * reports are parsed: their SR feeds our LSR/DLSR, their report block about us gives the round trip.
 * Time comes from the injected Clock only.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import {
  cnameOf,
  ntpFromUnixMs,
  ntpMiddle32,
  parseRtcpCompound,
  RtcpParseError,
  roundTripMs,
  serializeRtcpCompound,
} from './rtcp.js';
import type { ReportBlock, RtcpPacket } from './rtcp.js';
import type { RtpSenderReportInfo } from './sender.js';
import type { ReceptionStats } from './stats.js';

export interface RtcpSessionOptions {
  clock: Clock;
  /** Sends one compound datagram to the peer's RTCP address. */
  send: (datagram: Buffer) => void;
  /** Our SSRC (the sender's when we send). */
  ssrc: number;
  /** RFC 3550 §6.5.1 canonical name, e.g. user@host. */
  cname: string;
  /** What we know of the peer's stream, for the report block. */
  reception?: ReceptionStats;
  /** Sender info for SR; undefined (or a function returning undefined) while we do not send. */
  sender?: () => RtpSenderReportInfo | undefined;
  /** Default 5000 ms (§6.2). */
  intervalMs?: number;
  /** Uniform [0, 1) for the interval randomization; injectable for tests. */
  random?: () => number;
  /** Each parsed compound packet from the peer, with the round trip if it could be computed. */
  onReport?: (packets: RtcpPacket[], rttMs: number | undefined) => void;
  /** The peer said BYE (§6.6). */
  onBye?: (reason: string | undefined) => void;
}

export interface RtcpSessionSnapshot {
  reportsSent: number;
  reportsReceived: number;
  malformed: number;
  /** Last round-trip time measured (ms), if the peer echoed one of our SRs. */
  rttMs: number | undefined;
  /** The last report block the peer sent about our stream: how it hears us. */
  remoteView: ReportBlock | undefined;
  remoteCname: string | undefined;
  byeReceived: boolean;
}

export class RtcpSession {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private readonly interval: number;
  private readonly random: () => number;
  private state: RtcpSessionSnapshot = {
    reportsSent: 0,
    reportsReceived: 0,
    malformed: 0,
    rttMs: undefined,
    remoteView: undefined,
    remoteCname: undefined,
    byeReceived: false,
  };

  constructor(private readonly opts: RtcpSessionOptions) {
    this.interval = opts.intervalMs ?? 5000;
    this.random = opts.random ?? Math.random;
  }

  /** Schedules the reports; the first after half an interval (§6.2: "initial ... half the minimum"). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule(this.interval / 2);
  }

  private schedule(base: number): void {
    const delay = base * (0.5 + this.random());
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      this.sendReport();
      this.schedule(this.interval);
    }, delay);
  }

  /** The compound packet we would send now: SR or RR, then SDES (§6.1 requires both). */
  buildReport(): RtcpPacket[] {
    const now = this.opts.clock.now();
    const block = this.opts.reception?.reportBlock(now);
    const reports = block ? [block] : [];
    const info = this.opts.sender?.();
    const first: RtcpPacket =
      info && info.packetCount > 0
        ? (() => {
            const ntp = ntpFromUnixMs(info.wallMs);
            return {
              type: 'sr' as const,
              ssrc: info.ssrc,
              sender: { ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: info.rtpTimestamp, packetCount: info.packetCount, octetCount: info.octetCount },
              reports,
            };
          })()
        : { type: 'rr', ssrc: this.opts.ssrc, reports };
    const ssrc = first.ssrc;
    return [first, { type: 'sdes', chunks: [{ ssrc, items: [{ type: 1, text: this.opts.cname }] }] }];
  }

  sendReport(): void {
    this.opts.send(serializeRtcpCompound(this.buildReport()));
    this.state.reportsSent++;
  }

  /** A datagram from the peer's RTCP port. Malformed ones are counted, never thrown. */
  /** `atMs`: the arrival on the session's clock when the transport measured it (else now): for the RTT. */
  receive(datagram: Buffer, atMs?: number): void {
    let packets: RtcpPacket[];
    try {
      packets = parseRtcpCompound(datagram);
    } catch (e) {
      if (!(e instanceof RtcpParseError)) throw e;
      this.state.malformed++;
      return;
    }
    this.state.reportsReceived++;
    const now = atMs ?? this.opts.clock.now();
    const arrival = ntpFromUnixMs(this.opts.clock.wallNow() - (this.opts.clock.now() - now));
    const a = ntpMiddle32(arrival.seconds, arrival.fraction);
    const ours = this.opts.sender?.()?.ssrc ?? this.opts.ssrc;
    let rtt: number | undefined;
    for (const p of packets) {
      if (p.type === 'sr') this.opts.reception?.onSenderReport(ntpMiddle32(p.sender.ntpSeconds, p.sender.ntpFraction), now);
      if (p.type === 'sr' || p.type === 'rr') {
        const about = p.reports.find((r) => r.ssrc === ours);
        if (about) {
          this.state.remoteView = about;
          const r = roundTripMs(a, about.lsr, about.dlsr);
          if (r !== undefined) rtt = this.state.rttMs = r;
        }
      }
      const cname = cnameOf(p);
      if (cname !== undefined) this.state.remoteCname = cname;
      if (p.type === 'bye') {
        this.state.byeReceived = true;
        this.opts.onBye?.(p.reason);
      }
    }
    this.opts.onReport?.(packets, rtt);
  }

  /** Stops the reports and sends a last compound packet ending in BYE (§6.6). */
  stop(reason?: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    const report = this.buildReport();
    const head = report[0]!;
    const ssrc = head.type === 'sr' || head.type === 'rr' ? head.ssrc : this.opts.ssrc;
    const bye: RtcpPacket = reason === undefined ? { type: 'bye', ssrcs: [ssrc] } : { type: 'bye', ssrcs: [ssrc], reason };
    this.opts.send(serializeRtcpCompound([...report, bye]));
    this.state.reportsSent++;
  }

  snapshot(): RtcpSessionSnapshot {
    return { ...this.state };
  }
}
