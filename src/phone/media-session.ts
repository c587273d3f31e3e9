/**
 * The media of one call: where RTP, G.711, DTMF, the sound card, recording and analysis meet.
 *
 * Two paced streams on the process's one Pacer:
 * - the sender: once per ptime it takes the next 20 ms of outgoing audio (a WAV being played, else the
 *   microphone, else silence), lets the DTMF schedulers mix in-band tones into it or replace it by
 *   RFC 4733 event packets, G.711-encodes it and sends it from the RTP socket that also receives
 *   (symmetric RTP);
 * - the playout: once per 20 ms it takes 160 samples of received audio out of the jitter buffer
 *   (whatever the peer's packetization), decodes them and hands them to the recording, the sound card,
 *   the in-band DTMF detector and every listener (speech/silence and tone detection, prompt capture).
 * Received audio is timed by playout ticks ("media time", ms since the session started), so analysis
 * never reads the wall clock.
 */
import type { Clock } from '../util/clock.js';
import type { NegotiatedAudio } from '../sdp/index.js';
import type { Pacer, PacedHandle } from '../rtp/pacer.js';
import { RtpReceiver, type ReceiverSnapshot } from '../rtp/receiver.js';
import { RtpSender, type RtpPollResult, type RtpTick } from '../rtp/sender.js';
import { parseRtp } from '../rtp/packet.js';
import { RtcpSession, type RtcpSessionSnapshot } from '../rtp/rtcp-session.js';
import { codecFor, type G711Codec } from '../media/g711.js';
import {
  DtmfDetector, Rfc4733Receiver,
  type DtmfDigitEvent, type DtmfInfoBody, type DtmfMode, type DtmfModeRequest,
} from '../media/dtmf/index.js';
import { WavWriter } from '../media/wav/writer.js';
import { TimelineRecorder } from './timeline-recorder.js';
import type { PlaybackAudio } from '../media/wav/reader.js';
import type { AudioInput, AudioOutput } from '../media/device/device.js';

export { MediaError, type DtmfSettings, type FrameListener, type MediaSocket, type Recording } from './media-types.js';
import type { DtmfSettings, FrameListener, MediaSocket, Recording } from './media-types.js';
import { DtmfOut } from './media-dtmf.js';
import { g711EnergyDbov, type QualityFeed } from './call-quality.js';

export const FRAME = 160;
const FRAME_MS = 20;

export interface MediaSessionOptions {
  clock: Clock;
  pacer: Pacer;
  socket: MediaSocket;
  negotiated: NegotiatedAudio;
  dtmf?: DtmfSettings;
  /** Symmetric RTP latching: accept the first source as the peer (--latch). */
  latch?: boolean;
  output?: AudioOutput;
  input?: AudioInput;
  /** Report a non-fatal problem (one line). */
  warn?: (line: string) => void;
  /** The call's quality model (call-quality.ts), fed with every packet both ways and the peer's RTCP. */
  quality?: QualityFeed;
}

interface Playback {
  audio: PlaybackAudio;
  pos: number;
  loop: boolean;
  done: () => void;
}

/** A recording and the timeline it is written from. */
interface ActiveRecording extends Recording {
  readonly timeline: TimelineRecorder;
}

export class MediaSession {
  readonly receiver: RtpReceiver;
  readonly sender: RtpSender;
  readonly rtcp: RtcpSession;
  private negotiated: NegotiatedAudio;
  private codec: G711Codec;
  private readonly decoders = new Map<number, G711Codec>();
  private readonly rfc4733: Rfc4733Receiver;
  private readonly detector: DtmfDetector;
  private readonly frameListeners = new Set<FrameListener>();
  private readonly digitListeners = new Set<(d: DtmfDigitEvent) => void>();
  private readonly infoListeners = new Set<(info: DtmfInfoBody) => void>();
  private readonly recordings = new Set<ActiveRecording>();
  private playback: Playback | undefined;
  private playoutHandle: PacedHandle | undefined;
  private playoutFifo: Int16Array = new Int16Array(0);
  private mediaMs = 0;
  private muted = false;
  private stopped = false;
  private onHold = false;
  readonly digitsReceived: DtmfDigitEvent[] = [];
  private readonly dtmfOut: DtmfOut;

  private readonly clock: Clock;

  constructor(private readonly opts: MediaSessionOptions) {
    this.clock = opts.clock;
    this.negotiated = opts.negotiated;
    this.codec = codecFor(opts.negotiated.codec.name);
    this.dtmfOut = new DtmfOut(opts.dtmf ?? { mode: 'auto' }, (info) => {
      for (const l of this.infoListeners) l(info);
    });
    this.mapDecoders(opts.negotiated);
    const te = opts.negotiated.telephoneEvent;
    this.rfc4733 = new Rfc4733Receiver({
      clock: opts.clock,
      clockRate: te?.clockRate ?? 8000,
      onDigit: (d) => this.emitDigit(d),
    });
    this.detector = new DtmfDetector({ onDigit: (d) => this.emitDigit(d) });
    const rp = opts.negotiated.receivePayloadTypes;
    this.receiver = new RtpReceiver({
      clock: opts.clock,
      audioPayloadTypes: rp.audio,
      telephoneEventPayloadTypes: rp.telephoneEvent,
      comfortNoisePayloadTypes: rp.comfortNoise,
      remote: opts.negotiated.remoteRtp,
      latch: opts.latch ?? false,
      // A little more depth than the adaptive minimum: a recording or a prompt match loses more to a late
      // packet than a conversation loses to 40 ms of delay.
      jitterBuffer: { minDelayMs: 40, initialDelayMs: 60 },
      onTelephoneEvent: (p) =>
        this.rfc4733.receive({ payload: p.payload, sequence: p.sequence, timestamp: p.timestamp, marker: p.marker, ssrc: p.ssrc }),
      ...(opts.quality ? { onAccepted: this.qualityReceiver(opts.quality) } : {}),
    });
    opts.socket.onRtp((datagram, from, atMs) => {
      if (this.stopped) return;
      const verdict = this.receiver.receive(datagram, from, atMs);
      if (verdict === 'audio' && this.recordings.size > 0) this.recordPacket(datagram);
    });
    this.sender = new RtpSender({
      clock: opts.clock,
      socket: opts.socket.rtpSendSocket,
      remote: opts.negotiated.remoteRtp,
      ptimeMs: opts.negotiated.ptime,
      source: { poll: (tick) => this.produce(tick) },
    });
    this.onHold = opts.negotiated.onHold;
    // RFC 3550 §6: SR/RR with SDES CNAME every ~5 s to the peer's RTCP address (a=rtcp, else port + 1).
    this.rtcp = new RtcpSession({
      clock: opts.clock,
      ssrc: this.sender.ssrc,
      cname: `umphone@${opts.socket.address}`,
      reception: this.receiver.reception,
      sender: () => (this.sender.packetsSent > 0 ? this.sender.senderReport() : undefined),
      send: (datagram) => {
        const to = this.negotiated.remoteRtcp;
        opts.socket.sendRtcp?.(datagram, to.address, to.port);
      },
      onReport: (packets) => {
        const q = this.opts.quality;
        if (!q) return;
        for (const p of packets) {
          if (p.type !== 'sr' && p.type !== 'rr') continue;
          const about = p.reports.find((r) => r.ssrc === this.sender.ssrc);
          if (about) q.peerReport(about, this.clock.now(), this.clock.wallNow());
        }
      },
    });
    opts.socket.onRtcp((datagram, _from, atMs) => {
      if (!this.stopped) this.rtcp.receive(datagram, atMs);
    });
    opts.output?.onError((e) => this.warn(`sound card output failed: ${e.message}; the call goes on without sound`));
    opts.input?.onError((e) => this.warn(`microphone failed: ${e.message}; sending silence`));
  }

  /** Start both paced streams. */
  start(): void {
    this.sender.start(this.opts.pacer);
    this.rtcp.start();
    // A stalled process (GC, a loaded machine) makes the pacer skip ticks: play them out late rather
    // than lose received audio from the recording and the analysis.
    this.playoutHandle = this.opts.pacer.add({
      tick: () => this.playout(),
      missed: (_first, count) => {
        for (let i = 0; i < Math.min(count, 100); i++) this.playout();
      },
    }, { ptimeMs: FRAME_MS });
  }

  get negotiatedAudio(): NegotiatedAudio {
    return this.negotiated;
  }

  /** Media time: ms of received audio played out since start. */
  get nowMs(): number {
    return this.mediaMs;
  }

  /** A re-INVITE changed the session (hold, new address, new codec). */
  update(n: NegotiatedAudio): void {
    this.negotiated = n;
    this.codec = codecFor(n.codec.name);
    this.mapDecoders(n);
    this.onHold = n.onHold;
    this.sender.setRemote(n.remoteRtp);
    this.receiver.update({
      audioPayloadTypes: n.receivePayloadTypes.audio,
      telephoneEventPayloadTypes: n.receivePayloadTypes.telephoneEvent,
      remote: n.remoteRtp,
    });
  }

  onFrame(listener: FrameListener): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  onDigit(listener: (d: DtmfDigitEvent) => void): () => void {
    this.digitListeners.add(listener);
    return () => this.digitListeners.delete(listener);
  }

  /** SIP INFO bodies the DTMF scheduler wants sent (the call sends the INFO request). */
  onInfo(listener: (info: DtmfInfoBody) => void): () => void {
    this.infoListeners.add(listener);
    return () => this.infoListeners.delete(listener);
  }

  /** A digit that arrived by SIP INFO (the call parsed it). */
  receivedInfoDigit(d: DtmfDigitEvent): void {
    this.emitDigit(d);
  }

  /** The DTMF method `requested` resolves to for this session (auto: RFC 4733 when negotiated). */
  dtmfMode(requested?: DtmfModeRequest): DtmfMode {
    return this.dtmfOut.mode(this.negotiated, requested);
  }

  /** The keys sent so far. */
  get digitsSent(): DtmfDigitEvent[] {
    return this.dtmfOut.sent;
  }

  /** Told of each key as it goes out (one listener: the call's evidence). */
  onDigitSent(listener: (d: DtmfDigitEvent) => void): void {
    this.dtmfOut.onSent = listener;
  }

  /**
   * Queue DTMF ("1234#", "," = pause) and resolve when the last key has been sent. Keys queued faster
   * than they can be sent go out in order, none lost, none merged.
   */
  sendDtmf(sequence: string, mode?: DtmfModeRequest): Promise<void> {
    return this.dtmfOut.send(this.negotiated, sequence, mode);
  }

  /** Play a WAV (8 kHz mono, as reader.ts prepares it); resolves when it has been sent. */
  play(audio: PlaybackAudio, opts: { loop?: boolean } = {}): Promise<void> {
    this.playback?.done();
    return new Promise((resolve) => {
      this.playback = { audio, pos: 0, loop: opts.loop ?? false, done: resolve };
    });
  }

  stopPlayback(): void {
    this.playback?.done();
    this.playback = undefined;
  }

  get playing(): boolean {
    return this.playback !== undefined;
  }

  /** Mute the microphone (silence is sent instead). */
  setMuted(muted: boolean): void {
    this.muted = muted;
  }

  get isMuted(): boolean {
    return this.muted;
  }

  /**
   * Record what the far end says to `path` (16-bit PCM, 8 kHz): mono, or stereo with left = received and
   * right = sent. Streamed to disk with the header patched as it grows: valid whatever ends the call.
   */
  record(path: string, opts: { stereo?: boolean } = {}): Recording {
    const channels: 1 | 2 = opts.stereo ? 2 : 1;
    const writer = WavWriter.open(path, {
      channels,
      onError: (e: Error) => this.warn(`recording ${path}: ${e.message}`),
    });
    const timeline = new TimelineRecorder(writer, channels, this.clock.now());
    let stopped = false;
    const rec: ActiveRecording = {
      path, channels, startedAtMs: this.mediaMs, timeline,
      get durationMs() { return timeline.durationMs; },
      stop: () => {
        if (stopped) return;
        stopped = true;
        timeline.close(this.clock.now());
        this.recordings.delete(rec);
      },
    };
    this.recordings.add(rec);
    return rec;
  }

  stats(): { sent: { packets: number; bytes: number; ssrc: number }; received: ReceiverSnapshot; rtcp: RtcpSessionSnapshot; dtmf: { sent: number; received: number } } {
    return {
      rtcp: this.rtcp.snapshot(),
      sent: { packets: this.sender.packetsSent, bytes: this.sender.bytesSent, ssrc: this.sender.ssrc },
      received: this.receiver.snapshot(),
      dtmf: { sent: this.dtmfOut.sent.length, received: this.digitsReceived.length },
    };
  }

  /** Stop the streams and finalize recordings. The socket is closed by its owner. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.sender.stop();
    this.rtcp.stop();
    this.playoutHandle?.stop();
    this.rfc4733.flush();
    for (const d of this.detector.flush()) void d;
    for (const r of [...this.recordings]) r.stop();
    this.playback?.done();
    this.playback = undefined;
    this.dtmfOut.stop();
  }

  // ---- the sender's source ------------------------------------------------------------------------

  private produce(tick: RtpTick): RtpPollResult {
    const frame = this.nextOutgoingFrame();
    const suppress = this.dtmfOut.poll(tick.timestamp, frame, this.negotiated);
    if (this.recordings.size > 0) {
      const sent = suppress || this.dtmfOut.hasEvents ? new Int16Array(FRAME) : frame;
      const now = this.clock.now();
      for (const r of this.recordings) r.timeline.pushSent(this.sender.ssrc, tick.timestamp, sent, now);
    }
    const event = this.dtmfOut.nextEvent();
    if (event) {
      this.opts.quality?.sent(this.clock.now(), undefined);
      return event;
    }
    if (this.onHold || this.negotiated.direction === 'recvonly' || this.negotiated.direction === 'inactive') return 'skip';
    if (suppress) return 'skip';
    this.opts.quality?.sent(this.clock.now(), frame);
    return { payload: this.codec.encode(frame), payloadType: this.negotiated.codec.payloadType };
  }

  /** The receiver's hook into the quality model: the jitter buffer's current delay, a packet's energy on demand. */
  private qualityReceiver(q: QualityFeed): NonNullable<ConstructorParameters<typeof RtpReceiver>[0]['onAccepted']> {
    return (packet, verdict, atMs) => {
      q.jitterBufferDelay((this.receiver.jitterBuffer.target * 1000) / 8000);
      q.received(packet, verdict, atMs, () => {
        const codec = this.decoders.get(packet.payloadType) ?? this.codec;
        return g711EnergyDbov(packet.payload, (b) => codec.decode(b), codec.name);
      });
    };
  }

  private nextOutgoingFrame(): Int16Array {
    const frame = new Int16Array(FRAME);
    const pb = this.playback;
    if (pb) {
      let filled = 0;
      while (filled < FRAME) {
        const n = Math.min(FRAME - filled, pb.audio.samples.length - pb.pos);
        frame.set(pb.audio.samples.subarray(pb.pos, pb.pos + n), filled);
        filled += n;
        pb.pos += n;
        if (pb.pos >= pb.audio.samples.length) {
          if (pb.loop && pb.audio.samples.length > 0) pb.pos = 0;
          else {
            this.playback = undefined;
            pb.done();
            break;
          }
        }
      }
      return frame;
    }
    if (this.opts.input && !this.muted) {
      const mic = this.opts.input.read();
      if (mic) frame.set(mic.subarray(0, FRAME));
    }
    return frame;
  }

  // ---- the playout ----------------------------------------------------------------------------------

  private playout(): void {
    while (this.playoutFifo.length < FRAME) {
      const f = this.receiver.pull();
      let pcm: Int16Array;
      if (f.kind === 'audio') {
        const dec = this.decoders.get(f.payloadType) ?? this.codec;
        pcm = dec.decode(f.payload);
      } else {
        pcm = new Int16Array(Math.max(1, f.samples));
      }
      const merged = new Int16Array(this.playoutFifo.length + pcm.length);
      merged.set(this.playoutFifo);
      merged.set(pcm, this.playoutFifo.length);
      this.playoutFifo = merged;
    }
    const frame = this.playoutFifo.slice(0, FRAME);
    this.playoutFifo = this.playoutFifo.slice(FRAME);
    const at = this.mediaMs;
    this.mediaMs += FRAME_MS;
    const now = this.clock.now();
    for (const r of this.recordings) r.timeline.flush(now);
    this.opts.output?.write(frame);
    this.detector.process(frame);
    for (const l of this.frameListeners) l(frame, at);
  }

  /** A received audio packet, for the recordings (placed by RTP timestamp: see timeline-recorder.ts). */
  private recordPacket(datagram: Buffer): void {
    let p;
    try {
      p = parseRtp(datagram);
    } catch {
      return;
    }
    const pcm = (this.decoders.get(p.payloadType) ?? this.codec).decode(p.payload);
    const now = this.clock.now();
    for (const r of this.recordings) r.timeline.pushReceived(p.ssrc, p.timestamp, pcm, now);
  }

  private emitDigit(d: DtmfDigitEvent): void {
    this.digitsReceived.push(d);
    for (const l of this.digitListeners) l(d);
  }

  private mapDecoders(n: NegotiatedAudio): void {
    this.decoders.clear();
    for (const pt of n.receivePayloadTypes.audio) {
      if (pt === 0) this.decoders.set(pt, codecFor('PCMU'));
      else if (pt === 8) this.decoders.set(pt, codecFor('PCMA'));
    }
    this.decoders.set(n.codec.payloadType, codecFor(n.codec.name));
  }

  private warn(line: string): void {
    this.opts.warn?.(line);
  }
}
