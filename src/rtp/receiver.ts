/**
 * The receive side of one RTP stream: datagrams in with their source, checked (RFC 3550 A.1 header
 * checks, expected payload types, expected source or symmetric-RTP latching), then split three ways:
 * RFC 4733 telephone-event packets go untouched to their handler, audio and comfort noise (RFC 3389)
 * into the statistics and the jitter buffer, everything else counted and dropped.
 */
import type { Clock } from '../util/clock.js';
import { JitterBuffer } from './jitter-buffer.js';
import type { JitterBufferOptions, JitterBufferStats, JitterFrame } from './jitter-buffer.js';
import { parseRtp, RtpParseError } from './packet.js';
import type { RtpPacket } from './packet.js';
import { ReceptionStats } from './stats.js';
import type { ReceptionSnapshot } from './stats.js';

export interface RemoteAddress {
  address: string;
  port: number;
}

export type ReceiveVerdict =
  | 'audio'
  | 'comfort-noise'
  | 'telephone-event'
  | 'rtcp'
  | 'duplicate'
  | 'late'
  | 'unexpected-source'
  | 'unexpected-payload-type'
  | 'malformed';

export interface RtpReceiverOptions {
  clock: Clock;
  /** Payload types of the negotiated audio codec (ours and the peer's numbering). */
  audioPayloadTypes: number[];
  /** RFC 4733 telephone-event payload types; empty when none was negotiated. */
  telephoneEventPayloadTypes?: number[];
  /** RFC 3389 comfort noise. Default [13]. */
  comfortNoisePayloadTypes?: number[];
  /** Where the peer said it sends from (its SDP c= and m= port); undefined accepts any source. */
  remote?: RemoteAddress;
  /**
   * Symmetric RTP latching (RFC 4961 practice behind NAT): the first valid packet's source becomes the
   * remote, whatever the SDP said; later packets from elsewhere are ignored.
   */
  latch?: boolean;
  clockRate?: number;
  jitterBuffer?: JitterBufferOptions;
  /** Telephone-event packets, parsed but untouched (the DTMF layer decodes RFC 4733). */
  onTelephoneEvent?: (packet: RtpPacket, from: RemoteAddress) => void;
  /** RTCP arriving on the RTP port (RFC 5761 multiplexing). */
  onRtcp?: (datagram: Buffer, from: RemoteAddress, atMs?: number) => void;
  /** Called once when latching picks the remote. */
  onLatch?: (remote: RemoteAddress) => void;
  /**
   * Every packet from the expected source that passed the checks, with what became of it (the call's
   * quality model counts arrivals, late discards, comfort noise and audio energy from here).
   */
  onAccepted?: (packet: RtpPacket, verdict: AcceptedVerdict, atMs: number) => void;
}

/** What became of an accepted packet. */
export type AcceptedVerdict = 'audio' | 'comfort-noise' | 'telephone-event' | 'duplicate' | 'late';

export interface ReceiverCounters {
  malformed: number;
  unexpectedSource: number;
  unexpectedPayloadType: number;
  telephoneEvents: number;
  comfortNoise: number;
}

export interface ReceiverSnapshot extends ReceptionSnapshot {
  jitterBuffer: JitterBufferStats;
  dropped: ReceiverCounters;
  remote: RemoteAddress | null;
  latched: boolean;
}

/** "::ffff:1.2.3.4" (an IPv4 peer seen by a dual-stack socket) is 1.2.3.4. */
function sameAddress(a: string, b: string): boolean {
  // The common case first: the regexp below costs microseconds, a per-packet price at 50k packets/s.
  if (a === b) return true;
  const norm = (x: string) => x.toLowerCase().replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
  return norm(a) === norm(b);
}

export class RtpReceiver {
  readonly reception: ReceptionStats;
  readonly jitterBuffer: JitterBuffer;
  private readonly clock: Clock;
  private audioTypes: Set<number>;
  private eventTypes: Set<number>;
  private readonly cnTypes: Set<number>;
  private remote: RemoteAddress | undefined;
  private latch: boolean;
  private latched = false;
  private readonly counters: ReceiverCounters = {
    malformed: 0,
    unexpectedSource: 0,
    unexpectedPayloadType: 0,
    telephoneEvents: 0,
    comfortNoise: 0,
  };

  constructor(private readonly opts: RtpReceiverOptions) {
    this.clock = opts.clock;
    const clockRate = opts.clockRate ?? 8000;
    this.audioTypes = new Set(opts.audioPayloadTypes);
    this.eventTypes = new Set(opts.telephoneEventPayloadTypes ?? []);
    this.cnTypes = new Set(opts.comfortNoisePayloadTypes ?? [13]);
    this.remote = opts.remote;
    this.latch = opts.latch ?? false;
    this.reception = new ReceptionStats(clockRate);
    this.jitterBuffer = new JitterBuffer({ clockRate, comfortNoisePayloadTypes: [...this.cnTypes], ...opts.jitterBuffer });
  }

  /** After a re-INVITE: new payload types and/or a new remote (latching starts over if on). */
  update(changes: { audioPayloadTypes?: number[]; telephoneEventPayloadTypes?: number[]; remote?: RemoteAddress; latch?: boolean }): void {
    if (changes.audioPayloadTypes) this.audioTypes = new Set(changes.audioPayloadTypes);
    if (changes.telephoneEventPayloadTypes) this.eventTypes = new Set(changes.telephoneEventPayloadTypes);
    if (changes.latch !== undefined) this.latch = changes.latch;
    if (changes.remote) {
      this.remote = changes.remote;
      this.latched = false;
    }
  }

  /** The current remote: from SDP, or latched from the first packet. */
  get remoteAddress(): RemoteAddress | undefined {
    return this.remote;
  }

  /**
   * `atMs`: the arrival on our clock when the transport measured it (the native engine's I/O thread);
   * the RFC 3550 jitter and the quality model use it, so a busy main thread is not counted as network jitter.
   */
  receive(datagram: Buffer, from: RemoteAddress, atMs?: number): ReceiveVerdict {
    // RFC 5761 §4: with RTCP multiplexed, payload type octets 192..223 (64..95 with M) are RTCP.
    if (datagram.length >= 2 && datagram[1]! >= 192 && datagram[1]! <= 223 && this.opts.onRtcp) {
      if (!this.fromExpected(from)) return this.unexpected();
      this.opts.onRtcp(datagram, from, atMs);
      return 'rtcp';
    }
    let packet: RtpPacket;
    try {
      packet = parseRtp(datagram);
    } catch (e) {
      if (!(e instanceof RtpParseError)) throw e;
      this.counters.malformed++;
      this.reception.noteInvalid();
      return 'malformed';
    }
    const pt = packet.payloadType;
    const isAudio = this.audioTypes.has(pt);
    const isEvent = this.eventTypes.has(pt);
    const isCn = this.cnTypes.has(pt);
    if (!isAudio && !isEvent && !isCn) {
      this.counters.unexpectedPayloadType++;
      this.reception.noteInvalid();
      return 'unexpected-payload-type';
    }
    if (!this.fromExpected(from)) return this.unexpected();
    if (this.latch && !this.latched) {
      this.latched = true;
      this.remote = { address: from.address, port: from.port };
      this.opts.onLatch?.(this.remote);
    }
    const now = atMs ?? this.clock.now();
    const info = { ssrc: packet.ssrc, sequence: packet.sequence, timestamp: packet.timestamp, payloadLength: packet.payload.length };
    if (isEvent) {
      // Events share the stream's SSRC and sequence space (RFC 4733 §2.1): count them for loss, but
      // their timestamps mark the event start, so they say nothing about jitter.
      this.reception.onPacket(info, now, { jitter: false });
      this.jitterBuffer.pushSkip(packet.ssrc, packet.sequence, packet.timestamp);
      this.counters.telephoneEvents++;
      this.opts.onTelephoneEvent?.(packet, from);
      this.opts.onAccepted?.(packet, 'telephone-event', now);
      return 'telephone-event';
    }
    const verdict = this.reception.onPacket(info, now);
    if (verdict === 'duplicate') {
      this.jitterBuffer.push(packet);
      return this.accepted(packet, 'duplicate', now);
    }
    this.jitterBuffer.setJitter(this.reception.jitter);
    const pushed = this.jitterBuffer.push(packet);
    if (pushed === 'late') {
      this.reception.noteLate();
      return this.accepted(packet, 'late', now);
    }
    if (pushed === 'duplicate') return this.accepted(packet, 'duplicate', now);
    if (isCn) {
      this.counters.comfortNoise++;
      return this.accepted(packet, 'comfort-noise', now);
    }
    return this.accepted(packet, 'audio', now);
  }

  private accepted(packet: RtpPacket, verdict: AcceptedVerdict, now: number): AcceptedVerdict {
    this.opts.onAccepted?.(packet, verdict, now);
    return verdict;
  }

  private fromExpected(from: RemoteAddress): boolean {
    if (!this.remote) return true;
    if (this.latch && !this.latched) return true;
    return from.port === this.remote.port && sameAddress(from.address, this.remote.address);
  }

  private unexpected(): ReceiveVerdict {
    this.counters.unexpectedSource++;
    return 'unexpected-source';
  }

  /** The next frame of playout (once per frame duration, from the media layer's clock). */
  pull(): JitterFrame {
    return this.jitterBuffer.pull();
  }

  snapshot(): ReceiverSnapshot {
    return {
      ...this.reception.snapshot(),
      jitterBuffer: this.jitterBuffer.stats(),
      dropped: { ...this.counters },
      remote: this.remote ? { ...this.remote } : null,
      latched: this.latched,
    };
  }
}
