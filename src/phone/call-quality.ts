/**
 * The quality model of one call (src/rtp/quality), fed by the call's layers and read as the summary's
 * `quality` field: the received stream's StreamQuality (every accepted RTP packet, the jitter buffer's
 * late discards, the peer's RTCP report blocks about our stream), post-dial delay from the INVITE's
 * requests and responses, and one-way audio from both directions' packets.
 *
 * It is on for every call, so each packet costs O(1): the RFC 3550 counters, one loss-run step, and the
 * energy of a packet only until its second is known to be heard (a talking stream measures about one
 * packet a second per side). Memory grows by one row per second (see docs/quality.md for the size).
 */
import type { Clock } from '../util/clock.js';
import type { RtpPacket } from '../rtp/packet.js';
import type { AcceptedVerdict } from '../rtp/receiver.js';
import type { ReportBlock } from '../rtp/rtcp.js';
import { G711_NO_PLC } from '../rtp/quality/e-model.js';
import { StreamQuality, type SecondRow, type StreamQualitySummary } from '../rtp/quality/stream-quality.js';
import { PostDialDelay, type PostDialDelayResult } from '../rtp/quality/post-dial-delay.js';
import { OneWayAudioDetector, type OneWayAudioResult } from '../rtp/quality/one-way-audio.js';

/** The `quality` field of CallSummary (docs/quality.md "Per call"). */
export interface CallQuality {
  /** Whole call, received stream: the E-model's R and its MOS (undefined when no packet was expected). */
  mos: number | undefined;
  r: number | undefined;
  /** The codec's E-model values (G.113 Appendix I) and whether the listener conceals losses. */
  codec: { name: string; Ie: number; Bpl: number; plc: boolean };
  received: StreamQualitySummary;
  /** What the peer's RTCP says of our stream (its last report block), when it sent RTCP. */
  sent?: { lossPercent: number; jitterMs: number; rttMs?: number };
  /** One row per second of the media; `startMs` counts from the start of the call (dial or INVITE). */
  perSecond: SecondRow[];
  postDialDelay: PostDialDelayResult;
  oneWayAudio: OneWayAudioResult;
}

/** The received side as the media session sees it; `energy` measures a packet in dBov when asked. */
export interface QualityFeed {
  received(packet: RtpPacket, verdict: AcceptedVerdict, atMs: number, energy: () => number | undefined): void;
  /** We sent one packet: audio with the frame it carries, or an RFC 4733 event (no frame). */
  sent(atMs: number, frame: Int16Array | undefined): void;
  peerReport(block: ReportBlock, atMs: number, arrivalWallMs: number): void;
  jitterBufferDelay(ms: number): void;
}

export class CallQualityTracker implements QualityFeed {
  private readonly stream: StreamQuality;
  private readonly pdd = new PostDialDelay();
  /** Replaced at media start, so its seconds count from there. */
  private owa = new OneWayAudioDetector({ sides: ['received'] });
  private codecName = 'PCMU';
  private endMs: number | undefined;
  private lastSentReport: { block: ReportBlock } | undefined;

  constructor(private readonly clock: Clock, private readonly callStartMs: number) {
    // The listener here is umphone itself, which plays a lost frame as silence (no concealment).
    this.stream = new StreamQuality({ codec: G711_NO_PLC });
  }

  /** The media started (rows and one-way audio count from here) with this codec. */
  mediaStarted(codecName: string): void {
    this.codecName = codecName;
    const now = this.clock.now();
    this.stream.advanceTo(now);
    // umphone often sends silence on purpose (listening to a prompt): only the received side can be
    // judged dead from packets; how the peer hears us is in `sent` (its RTCP).
    this.owa = new OneWayAudioDetector({ sides: ['received'], originMs: now });
  }

  inviteSent(): void {
    this.pdd.on({ kind: 'request-sent', method: 'INVITE', atMs: this.clock.now() });
  }

  inviteResponse(status: number): void {
    this.pdd.on({ kind: 'response-received', method: 'INVITE', status, atMs: this.clock.now() });
  }

  received(packet: RtpPacket, verdict: AcceptedVerdict, atMs: number, energy: () => number | undefined): void {
    this.stream.onPacket({
      atMs,
      ssrc: packet.ssrc,
      sequence: packet.sequence,
      timestamp: packet.timestamp,
      payloadLength: packet.payload.length,
      jitter: verdict !== 'telephone-event',
    });
    if (verdict === 'late') this.stream.onLate(atMs);
    if (verdict === 'duplicate') return;
    if (verdict === 'comfort-noise') return this.owa.packet('received', { atMs, comfortNoise: true });
    if (verdict !== 'audio' || this.owa.heardIn('received', atMs)) return this.owa.packet('received', { atMs });
    const e = energy();
    this.owa.packet('received', e === undefined ? { atMs } : { atMs, energyDbov: e });
  }

  sent(atMs: number, frame: Int16Array | undefined): void {
    if (!frame || this.owa.heardIn('sent', atMs)) return this.owa.packet('sent', { atMs });
    this.owa.packet('sent', { atMs, energyDbov: energyDbov(frame) });
  }

  peerReport(block: ReportBlock, atMs: number, arrivalWallMs: number): void {
    this.stream.onPeerReport({ atMs, arrivalWallMs, block });
    this.lastSentReport = { block };
  }

  jitterBufferDelay(ms: number): void {
    this.stream.setJitterBufferDelay(ms);
  }

  /** The call ended: the last part-second becomes a row, one-way audio counts up to here. */
  end(atMs: number): void {
    if (this.endMs !== undefined) return;
    this.endMs = atMs;
    this.stream.finish(atMs);
    this.owa.end(atMs);
  }

  summary(): CallQuality {
    const received = this.stream.summary();
    const q: CallQuality = {
      mos: received.mos,
      r: received.r,
      codec: { name: this.codecName, Ie: G711_NO_PLC.Ie, Bpl: G711_NO_PLC.Bpl, plc: false },
      received,
      perSecond: this.stream.series().map((row) => compactRow(row, this.callStartMs)),
      postDialDelay: this.pdd.result(),
      oneWayAudio: this.owa.result(),
    };
    if (this.lastSentReport) {
      const peer = received.peer!;
      const sent: NonNullable<CallQuality['sent']> = { lossPercent: round(peer.lossPercent, 2), jitterMs: round(peer.jitterMs, 2) };
      if (received.rttMs !== undefined) sent.rttMs = round(received.rttMs, 2);
      q.sent = sent;
    }
    if (q.oneWayAudio.deadFromMs !== undefined) q.oneWayAudio.deadFromMs -= this.callStartMs;
    return q;
  }
}

/**
 * A row as the summary carries it: times from the call's start, figures to two decimals, so a one-hour
 * call's 3600 rows stay a few hundred kilobytes of JSON.
 */
function compactRow(row: SecondRow, callStartMs: number): SecondRow {
  return {
    second: row.second,
    startMs: row.startMs - callStartMs,
    packets: row.packets,
    expected: row.expected,
    lost: row.lost,
    late: row.late,
    lossPercent: round(row.lossPercent, 2),
    jitterMs: round(row.jitterMs, 2),
    maxJitterMs: round(row.maxJitterMs, 2),
    rttMs: row.rttMs === undefined ? undefined : round(row.rttMs, 1),
    r: row.r === undefined ? undefined : round(row.r, 1),
    mos: row.mos === undefined ? undefined : round(row.mos, 2),
  };
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Mean power of 16-bit samples in dB relative to full scale (−Infinity for digital silence). */
export function energyDbov(samples: Int16Array): number {
  if (samples.length === 0) return -Infinity;
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return 10 * Math.log10(sum / samples.length / (32768 * 32768));
}
