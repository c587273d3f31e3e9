/**
 * One outgoing RTP stream (RFC 3550 §5.1): SSRC, sequence number, RTP timestamp and marker bit, paced by
 * the shared Pacer. The payloads come from a pull source: the pacer calls `tick()` once per ptime, the
 * sender calls `source.poll()` and sends what it returns, so a media source (G.711 frames of a WAV, a
 * microphone, silence) or the RFC 4733 event sender plugs in without knowing anything about timing.
 *
 * The media clock. The RTP timestamp follows the sampling clock, whether or not a packet is sent
 * (§5.1: "the timestamp ... increments monotonically and linearly in time"): each tick moves it on by
 * `clockRate × ptime` (160 at 8 kHz, 20 ms) unless the frame says otherwise (`timestampAdvance`).
 * A 'skip' (silence suppression, a paused source) moves the media clock on but uses no sequence
 * number (§5.1: the sequence number increments by one for each RTP data packet *sent*), and the next
 * packet after a skip carries the marker bit (RFC 3551 §4.1: first packet of a talkspurt).
 *
 * RFC 4733 events. An event's packets all carry the timestamp of the event's start (§2.5.1.2) while the
 * media clock runs on; the DTMF sender returns frames with an explicit `timestamp` (taken from
 * `tick.timestamp` when its event began) and its own `marker` (§2.5.1.3: set on the first packet of an
 * event). The sequence numbers stay continuous with the audio, and once the event ends the audio resumes
 * at the media clock's current timestamp, exactly where it would have been.
 *
 * Symmetric RTP (RFC 4961): the sender does not own a socket; it is given the `send` of the socket that
 * also receives the stream, so the peer sees our packets come from the port it sends to.
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../util/clock.js';
import { UmphoneError } from '../util/errors.js';
import { RTP_HEADER_SIZE, writeRtpHeader } from './packet.js';
import type { PacedHandle, PacedStream, Pacer, PacedStreamOptions } from './pacer.js';

/** One packet's worth of media, as a source returns it. */
export interface RtpFrame {
  payload: Buffer;
  payloadType: number;
  /** Marker bit. Default: set on the first packet of the stream and on the first after a skip. */
  marker?: boolean;
  /**
   * Explicit RTP timestamp for this packet, e.g. the start timestamp of an RFC 4733 event (§2.5.1.2).
   * Default: the media clock for this tick (`RtpTick.timestamp`). The media clock is not changed by it.
   */
  timestamp?: number;
  /** How far the media clock moves on after this tick. Default: `RtpTick.samplesPerTick`. */
  timestampAdvance?: number;
}

/** A source's answer for one tick: a frame to send, or nothing this time. */
export type RtpPollResult = RtpFrame | 'skip';

/** What a source is told at each tick. */
export interface RtpTick {
  /** Index of the tick since the stream started (0, 1, 2...). */
  readonly index: number;
  /** The media clock: the RTP timestamp this tick's packet carries unless overridden. */
  readonly timestamp: number;
  /** The sequence number the packet will carry if one is sent. */
  readonly sequence: number;
  readonly clockRate: number;
  /** Media clock units per tick: clockRate × ptime / 1000. */
  readonly samplesPerTick: number;
}

export interface RtpSource {
  poll(tick: RtpTick): RtpPollResult;
  /** Ticks the pacer could not serve (a stalled process): a source that plays a file may skip ahead. */
  missed?(count: number): void;
}

/** The socket the stream leaves from: the one that also receives it (symmetric RTP). */
export interface RtpSendSocket {
  send(packet: Buffer, port: number, address: string): void;
  /**
   * A socket served by an I/O engine that paces itself (io-engine.ts, the native I/O thread) takes the
   * packet ahead of time with its deadline `due` (pacer clock, ms) and sends it at that instant.
   * The sender then asks the pacer to tick `leadMs` before each deadline.
   */
  sendAt?(packet: Buffer, port: number, address: string, due: number): void;
  /** How far ahead of its deadline a packet must reach `sendAt` (ms). Default 0. */
  readonly leadMs?: number;
}

export interface RtpRemote {
  address: string;
  port: number;
}

export interface RtpSenderOptions {
  clock: Clock;
  socket: RtpSendSocket;
  remote: RtpRemote;
  source: RtpSource;
  /** RTP clock rate (Hz). Default 8000 (PCMU/PCMA, RFC 3551 §4.5.14). */
  clockRate?: number;
  /** Packet interval (ms). Default 20. */
  ptimeMs?: number;
  /** Default: random (RFC 3550 §8.1). */
  ssrc?: number;
  /** Default: random (RFC 3550 §5.1, to make known-plaintext attacks on encryption harder). */
  initialSequence?: number;
  /** Default: random (RFC 3550 §5.1). */
  initialTimestamp?: number;
  /** Uniform random uint32 source, for tests. Default: node:crypto. */
  randomUint32?: () => number;
}

/** What an RTCP sender report needs (RFC 3550 §6.4.1). */
export interface RtpSenderReportInfo {
  ssrc: number;
  /** Wall clock (ms since the epoch) of the instant described: convert to NTP format for the SR. */
  wallMs: number;
  /** RTP timestamp of that same instant, on the media clock (not the last packet's timestamp). */
  rtpTimestamp: number;
  /** Packets sent since the stream started. */
  packetCount: number;
  /** Payload octets sent since the stream started (no headers, no padding). */
  octetCount: number;
}

export class RtpSenderError extends UmphoneError {
  constructor(message: string) {
    super(message, 'RTP_SENDER');
  }
}

const randomUint32 = (): number => randomInt(0, 0x1_0000_0000);

export class RtpSender implements PacedStream {
  readonly ssrc: number;
  readonly clockRate: number;
  readonly ptimeMs: number;
  readonly samplesPerTick: number;
  private readonly clock: Clock;
  private readonly socket: RtpSendSocket;
  private remote: RtpRemote;
  private source: RtpSource;
  private handle: PacedHandle | undefined;

  private sequence: number;
  /** Media clock at the next tick. */
  private mediaTimestamp: number;
  /** Deadline (pacer clock) matching `mediaTimestamp`, once the stream runs. */
  private mediaDue: number | undefined;
  private needMarker = true;

  packetsSent = 0;
  /** Payload octets (RFC 3550 §6.4.1 "sender's octet count"). */
  payloadOctetsSent = 0;
  /** Octets of whole RTP packets (header included), for bandwidth figures. */
  bytesSent = 0;
  /** Ticks the source answered 'skip'. */
  ticksSkipped = 0;
  /** Ticks never sent because the process was too late for them (the pacer's overload rule). */
  ticksMissed = 0;
  /** RTP timestamp of the last packet sent, and when it was sent (pacer clock and wall clock, ms). */
  lastTimestamp: number | undefined;
  lastSendTime: number | undefined;
  lastSendWallMs: number | undefined;

  constructor(options: RtpSenderOptions) {
    this.clock = options.clock;
    this.socket = options.socket;
    this.remote = { ...options.remote };
    this.source = options.source;
    this.clockRate = options.clockRate ?? 8000;
    this.ptimeMs = options.ptimeMs ?? 20;
    this.samplesPerTick = (this.clockRate * this.ptimeMs) / 1000;
    if (!Number.isInteger(this.samplesPerTick) || this.samplesPerTick <= 0) {
      throw new RtpSenderError(
        `A ptime of ${this.ptimeMs} ms at ${this.clockRate} Hz is not a whole number of samples.`,
      );
    }
    const rnd = options.randomUint32 ?? randomUint32;
    this.ssrc = (options.ssrc ?? rnd()) >>> 0;
    this.sequence = (options.initialSequence ?? rnd()) & 0xffff;
    this.mediaTimestamp = (options.initialTimestamp ?? rnd()) >>> 0;
  }

  /** Starts sending through `pacer` (at a staggered phase unless `options.start` is given). */
  start(pacer: Pacer, options: Omit<PacedStreamOptions, 'ptimeMs'> = {}): PacedHandle {
    if (this.handle?.running) throw new RtpSenderError(`RTP stream ${this.ssrc} is already running.`);
    this.needMarker = true;
    // With a self-pacing engine the payloads are produced a lookahead ahead: DTMF, playback and mute
    // changes reach the wire that much later (io-engine.ts says why 40 ms by default).
    const leadMs = this.socket.sendAt ? (this.socket.leadMs ?? 0) : 0;
    this.handle = pacer.add(this, { leadMs, ...options, ptimeMs: this.ptimeMs });
    return this.handle;
  }

  stop(): void {
    this.handle?.stop();
  }

  get running(): boolean {
    return this.handle?.running ?? false;
  }

  /** Where packets go; changes on a re-INVITE or when the peer's address is learned (latching). */
  setRemote(remote: RtpRemote): void {
    this.remote = { ...remote };
  }

  getRemote(): RtpRemote {
    return { ...this.remote };
  }

  /** Swaps the payload source (e.g. prompt → microphone); sequence and media clock run on. */
  setSource(source: RtpSource): void {
    this.source = source;
  }

  /** The sequence number of the next packet. */
  get nextSequence(): number {
    return this.sequence;
  }

  /** The media clock at the next tick. */
  get nextTimestamp(): number {
    return this.mediaTimestamp;
  }

  /** PacedStream: the pacer says tick n is due. */
  tick(n: number, due: number): void {
    const tick: RtpTick = {
      index: n,
      timestamp: this.mediaTimestamp,
      sequence: this.sequence,
      clockRate: this.clockRate,
      samplesPerTick: this.samplesPerTick,
    };
    const frame = this.source.poll(tick);
    if (frame === 'skip') {
      this.ticksSkipped++;
      this.needMarker = true;
      this.advanceMedia(this.samplesPerTick, due);
      return;
    }
    const payload = frame.payload;
    const packet = Buffer.allocUnsafe(RTP_HEADER_SIZE + payload.length);
    const timestamp = frame.timestamp === undefined ? this.mediaTimestamp : frame.timestamp >>> 0;
    writeRtpHeader(packet, {
      payloadType: frame.payloadType,
      marker: frame.marker ?? this.needMarker,
      sequence: this.sequence,
      timestamp,
      ssrc: this.ssrc,
    });
    payload.copy(packet, RTP_HEADER_SIZE);
    const now = this.clock.now();
    if (this.socket.sendAt) this.socket.sendAt(packet, this.remote.port, this.remote.address, due);
    else this.socket.send(packet, this.remote.port, this.remote.address);
    this.needMarker = false;
    this.sequence = (this.sequence + 1) & 0xffff;
    this.packetsSent++;
    this.payloadOctetsSent += payload.length;
    this.bytesSent += packet.length;
    this.lastTimestamp = timestamp;
    // When the packet leaves: now, or its deadline when an engine holds it until then.
    const leaves = this.socket.sendAt ? Math.max(now, due) : now;
    this.lastSendTime = leaves;
    this.lastSendWallMs = this.clock.wallNow() + (leaves - now);
    this.advanceMedia(frame.timestampAdvance ?? this.samplesPerTick, due);
  }

  /** PacedStream: ticks lost to a stalled process; the media clock moves on, the next packet is marked. */
  missed(_first: number, count: number): void {
    this.ticksMissed += count;
    this.needMarker = true;
    this.mediaTimestamp = (this.mediaTimestamp + count * this.samplesPerTick) >>> 0;
    if (this.mediaDue !== undefined) this.mediaDue += count * this.ptimeMs;
    this.source.missed?.(count);
  }

  /**
   * The media clock read at `at` (pacer clock ms), extrapolated from the next tick's timestamp and
   * deadline: the value an RTCP SR pairs with the wall clock of the same instant (RFC 3550 §6.4.1).
   */
  timestampAt(at: number): number {
    if (this.mediaDue === undefined) return this.mediaTimestamp;
    const delta = Math.round(((at - this.mediaDue) * this.clockRate) / 1000);
    return (this.mediaTimestamp + delta) >>> 0;
  }

  /** Everything an RTCP SR needs, for the current instant. */
  senderReport(): RtpSenderReportInfo {
    return {
      ssrc: this.ssrc,
      wallMs: this.clock.wallNow(),
      rtpTimestamp: this.timestampAt(this.clock.now()),
      packetCount: this.packetsSent,
      octetCount: this.payloadOctetsSent,
    };
  }

  private advanceMedia(samples: number, due: number): void {
    this.mediaTimestamp = (this.mediaTimestamp + samples) >>> 0;
    this.mediaDue = due + this.ptimeMs;
  }
}
