/**
 * An adaptive jitter buffer. Packets go in as they arrive (any order, duplicates, losses); frames come
 * out in sequence order, one per pull(), with the gaps said out loud: `lost` where a packet should have
 * been (the media layer conceals), `silence` where the sender sent nothing (DTX between talkspurts,
 * RFC 3551 §4.1) or while the buffer fills. Every decision is made from sequence numbers and RTP
 * timestamps with wrap-around arithmetic (RFC 3550 §5.1); the caller's pull cadence is the only clock.
 *
 * The delay target follows the measured interarrival jitter (RFC 3550 A.8, fed in by the receiver)
 * within [minDelayMs, maxDelayMs], grows by a frame on each late packet, and takes effect when playout
 * (re)starts, at the start of a talkspurt (marker bit), or by one frame per adaptation window.
 */
import { extendSeq, tsAdd, tsDiff } from './seq.js';

export interface JitterPacket {
  ssrc: number;
  sequence: number;
  timestamp: number;
  payloadType: number;
  marker: boolean;
  payload: Buffer;
}

export type JitterFrame =
  | { kind: 'audio'; sequence: number; timestamp: number; payloadType: number; marker: boolean; payload: Buffer; samples: number }
  | { kind: 'comfort-noise'; sequence: number; timestamp: number; payloadType: number; payload: Buffer; samples: number }
  | { kind: 'lost'; sequence: number; timestamp: number; samples: number }
  | { kind: 'silence'; reason: 'buffering' | 'gap' | 'adjust'; samples: number };

export type PushResult = 'queued' | 'duplicate' | 'late' | 'reset' | 'invalid';

export interface JitterBufferOptions {
  clockRate?: number;
  /** Expected packet duration; learned from the stream afterwards. Default 20 ms. */
  ptimeMs?: number;
  minDelayMs?: number;
  maxDelayMs?: number;
  /** Initial delay target. Default 60 ms. */
  initialDelayMs?: number;
  /** RFC 3389 comfort noise payload type(s). Default [13]. */
  comfortNoisePayloadTypes?: number[];
}

export interface JitterBufferStats {
  delivered: number;
  /** Slots with no packet in time: handed out as `lost` frames (to conceal) or passed over. A stalled sender counts here too, not only RTP loss. */
  concealed: number;
  late: number;
  duplicates: number;
  /** Packets far outside the stream (A.1 MAX_DROPOUT / MAX_MISORDER) dropped as strays. */
  invalid: number;
  overflowDrops: number;
  adjustDrops: number;
  adjustInserts: number;
  resets: number;
  targetDelayMs: number;
  depthMs: number;
}

interface Entry {
  ext: number;
  pkt: JitterPacket;
  /** A sequence number used by a packet that is not audio (an RFC 4733 event): consumed without a frame. */
  skip: boolean;
}

type State = 'buffering' | 'playing';

/** A.1's threshold: a sequence jump this large is a restart of the sender, not loss. */
const EMPTY = Buffer.alloc(0);
const PLAYED_HISTORY = 128;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
/** Pulls per adaptation window (1 s at 20 ms). */
const WINDOW = 50;

export class JitterBuffer {
  private readonly clockRate: number;
  private frame: number;
  private readonly min: number;
  private readonly max: number;
  private readonly cnTypes: Set<number>;
  private state: State = 'buffering';
  private ssrc: number | null = null;
  private queue: Entry[] = [];
  private highestExt = 0;
  private nextExt = 0;
  private playTs = 0;
  private jitterTarget: number;
  private lateBoost = 0;
  private frameCandidate = 0;
  private badSeq = -1;
  private lastPushed: { ext: number; ts: number } | undefined;
  private emptyPulls = 0;
  private lastKind: JitterFrame['kind'] | undefined;
  /** Ring of the last PLAYED_HISTORY extended sequence numbers played, to tell a duplicate from a late packet. */
  private played = new Float64Array(PLAYED_HISTORY).fill(NaN);
  private window = { pulls: 0, minDepth: Infinity, late: 0 };
  private counters = { delivered: 0, concealed: 0, late: 0, duplicates: 0, invalid: 0, overflowDrops: 0, adjustDrops: 0, adjustInserts: 0, resets: 0 };

  constructor(opts: JitterBufferOptions = {}) {
    this.clockRate = opts.clockRate ?? 8000;
    this.frame = this.msToTs(opts.ptimeMs ?? 20);
    this.min = this.msToTs(opts.minDelayMs ?? 20);
    this.max = this.msToTs(opts.maxDelayMs ?? 200);
    this.jitterTarget = this.clamp(this.msToTs(opts.initialDelayMs ?? 60));
    this.cnTypes = new Set(opts.comfortNoisePayloadTypes ?? [13]);
  }

  private msToTs(ms: number): number {
    return Math.round((ms * this.clockRate) / 1000);
  }

  private clamp(ts: number): number {
    return Math.max(this.min, Math.min(this.max, ts));
  }

  /** Current delay target in timestamp units. */
  get target(): number {
    return this.clamp(this.jitterTarget + this.lateBoost);
  }

  /**
   * The receiver's interarrival jitter estimate (RFC 3550 A.8, timestamp units). A delay of one frame
   * plus three jitters absorbs nearly all arrivals of a normally distributed transit time.
   */
  setJitter(jitterTs: number): void {
    this.jitterTarget = this.clamp(this.frame + Math.ceil(3 * jitterTs));
  }

  push(pkt: JitterPacket): PushResult {
    return this.insert(pkt, false);
  }

  /**
   * Tells the buffer that this sequence number carried something else than audio of this stream (an
   * RFC 4733 event shares the SSRC and sequence space, RFC 4733 §2.1), so its slot is not a loss.
   */
  pushSkip(ssrc: number, sequence: number, timestamp: number): PushResult {
    return this.insert({ ssrc, sequence, timestamp, payloadType: -1, marker: false, payload: EMPTY }, true);
  }

  private insert(pkt: JitterPacket, skip: boolean): PushResult {
    let result: PushResult = 'queued';
    if (this.ssrc !== pkt.ssrc) {
      // RFC 3550 §8.2: a new SSRC is a new source; nothing of the old one's numbering carries over.
      if (this.ssrc !== null) result = 'reset';
      this.reset(pkt.ssrc, pkt.sequence);
    }
    let ext = extendSeq(pkt.sequence, this.highestExt);
    const ahead = ext - this.highestExt;
    if (ahead > MAX_DROPOUT || (this.state === 'playing' && this.nextExt - ext > MAX_MISORDER)) {
      // RFC 3550 A.1: a stray packet far from the stream is dropped; if the next one follows it, the
      // sender restarted its sequence numbers without changing SSRC: start over from there.
      if (pkt.sequence !== this.badSeq) {
        this.badSeq = (pkt.sequence + 1) & 0xffff;
        this.counters.invalid++;
        return 'invalid';
      }
      this.reset(pkt.ssrc, pkt.sequence);
      ext = extendSeq(pkt.sequence, this.highestExt);
      result = 'reset';
    }
    this.badSeq = -1;
    if (this.state === 'playing' && ext < this.nextExt) {
      if (skip) return 'late';
      if (this.played[ext & (PLAYED_HISTORY - 1)] === ext) {
        this.counters.duplicates++;
        return 'duplicate';
      }
      this.counters.late++;
      this.window.late++;
      // Too late to play: the delay is too short for this path; one more frame of delay.
      this.lateBoost = Math.min(this.max, this.lateBoost + this.frame);
      return 'late';
    }
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1]!.ext >= ext) {
      if (this.queue[i - 1]!.ext === ext) {
        // Repeated RFC 4733 end packets may reuse their sequence number: not a duplicate of audio.
        if (!skip) this.counters.duplicates++;
        return 'duplicate';
      }
      i--;
    }
    this.queue.splice(i, 0, { ext, pkt, skip });
    if (ext > this.highestExt) this.highestExt = ext;
    if (!skip) this.learnFrame(ext, pkt);
    this.trimOverflow();
    return result;
  }

  private reset(ssrc: number, seq: number): void {
    if (this.ssrc !== null) this.counters.resets++;
    this.ssrc = ssrc;
    this.queue = [];
    this.state = 'buffering';
    this.highestExt = seq;
    this.nextExt = seq;
    this.played.fill(NaN);
    this.emptyPulls = 0;
    this.lastKind = undefined;
    this.lastPushed = undefined;
  }

  /** Learn the packet duration from consecutive audio packets of one talkspurt, as they arrive. */
  private learnFrame(ext: number, pkt: JitterPacket): void {
    const prev = this.lastPushed;
    this.lastPushed = this.isCn(pkt) ? undefined : { ext, ts: pkt.timestamp };
    if (!prev || prev.ext + 1 !== ext || pkt.marker || this.isCn(pkt)) return;
    const d = tsDiff(pkt.timestamp, prev.ts);
    // Two pairs in a row must agree, or one silence gap without a marker would pass for a duration.
    if (d > 0 && d <= this.clockRate / 4 && d === this.frameCandidate) this.frame = d;
    this.frameCandidate = d;
  }

  private isCn(p: JitterPacket): boolean {
    return this.cnTypes.has(p.payloadType);
  }

  /**
   * Depth: the audio queued ahead of the playout point, counted by sequence numbers × packet duration,
   * so that a timestamp jump (new talkspurt, sender reset) does not read as a huge backlog and a missing
   * packet still counts as the time it would have filled.
   */
  private depth(): number {
    if (this.queue.length === 0) return 0;
    const last = this.queue[this.queue.length - 1]!.ext;
    const from = this.state === 'playing' ? this.nextExt : this.queue[0]!.ext;
    return Math.max(0, last - from + 1) * this.frame;
  }

  /** Never hold more than maxDelay + a frame: drop the oldest (the sender is ahead of us, e.g. after a stall). */
  private trimOverflow(): void {
    while (this.queue.length > 1 && this.depth() > this.max + this.frame) {
      const dropped = this.queue.shift()!;
      this.counters.overflowDrops++;
      if (this.state === 'playing') {
        this.nextExt = Math.max(this.nextExt, dropped.ext + 1);
        this.playTs = tsAdd(dropped.pkt.timestamp, this.frame);
      }
    }
  }

  /** The next frame of playout; call once per frame duration (`samples` of the frame returned). */
  pull(): JitterFrame {
    const f = this.state === 'buffering' ? this.pullBuffering() : this.pullPlaying();
    this.lastKind = f.kind;
    return f;
  }

  private pullBuffering(): JitterFrame {
    while (this.queue[0]?.skip) this.queue.shift();
    if (this.queue.length > 0 && this.depth() >= this.target) {
      const head = this.queue[0]!;
      this.state = 'playing';
      this.nextExt = head.ext;
      this.playTs = head.pkt.timestamp;
      this.window = { pulls: 0, minDepth: Infinity, late: 0 };
      return this.pullPlaying();
    }
    return { kind: 'silence', reason: 'buffering', samples: this.frame };
  }

  private pullPlaying(): JitterFrame {
    while (this.queue[0]?.skip && this.queue[0].ext <= this.nextExt) {
      this.nextExt = Math.max(this.nextExt, this.queue.shift()!.ext + 1);
    }
    const adjusted = this.adapt();
    if (adjusted) return adjusted;
    const head = this.queue[0];
    if (!head) return this.underrun();
    this.emptyPulls = 0;
    const ahead = tsDiff(head.pkt.timestamp, this.playTs);
    if (head.ext === this.nextExt) {
      if (ahead <= 0) return this.deliver();
      // Sequence continues but time jumped: the sender was silent (DTX) or this is a new talkspurt.
      if (head.pkt.marker) {
        // RFC 3550 §5.1 marker: the start of a talkspurt, where the playout delay may change: start it
        // once the target depth is queued.
        if (this.depth() >= this.target) {
          this.playTs = head.pkt.timestamp;
          return this.deliver();
        }
      } else if (ahead > this.max) {
        // A jump longer than any delay we keep, without a marker: the sender's clock moved; follow it.
        this.playTs = head.pkt.timestamp;
        return this.deliver();
      }
      this.playTs = tsAdd(this.playTs, this.frame);
      return { kind: 'silence', reason: 'gap', samples: this.frame };
    }
    // head.ext > nextExt: packets are missing before the head.
    if (ahead <= 0) {
      this.counters.concealed += head.ext - this.nextExt;
      this.nextExt = head.ext;
      return this.deliver();
    }
    return this.lostFrame();
  }

  private lostFrame(): JitterFrame {
    const f: JitterFrame = { kind: 'lost', sequence: this.nextExt & 0xffff, timestamp: this.playTs, samples: this.frame };
    this.counters.concealed++;
    this.nextExt++;
    this.playTs = tsAdd(this.playTs, this.frame);
    return f;
  }

  /** Nothing queued while playing: loss, or the sender stopped (DTX, hold, end of call). */
  private underrun(): JitterFrame {
    this.emptyPulls++;
    if (this.lastKind === 'comfort-noise' || this.lastKind === 'silence' || this.emptyPulls * this.frame > this.max) {
      // After comfort noise or a long gap, silence is what the sender means; restart playout on the next packet.
      if (this.emptyPulls * this.frame > this.max) this.state = 'buffering';
      else this.playTs = tsAdd(this.playTs, this.frame);
      return { kind: 'silence', reason: 'gap', samples: this.frame };
    }
    return this.lostFrame();
  }

  private deliver(): JitterFrame {
    const { ext, pkt } = this.queue.shift()!;
    // The packet's duration is the stream's learned one: a gap after it is silence, not longer audio.
    const samples = this.frame;
    this.nextExt = ext + 1;
    this.playTs = tsAdd(pkt.timestamp, samples);
    this.played[ext & (PLAYED_HISTORY - 1)] = ext;
    this.counters.delivered++;
    if (this.isCn(pkt)) {
      return { kind: 'comfort-noise', sequence: pkt.sequence, timestamp: pkt.timestamp, payloadType: pkt.payloadType, payload: pkt.payload, samples };
    }
    return { kind: 'audio', sequence: pkt.sequence, timestamp: pkt.timestamp, payloadType: pkt.payloadType, marker: pkt.marker, payload: pkt.payload, samples };
  }

  /**
   * Once per window: shrink by one frame when the buffer never went below target + a frame, grow by one
   * (a silent frame, playout point held) when it ran below target after late packets; let the late boost
   * decay when the window saw no late packet.
   */
  private adapt(): JitterFrame | undefined {
    this.window.minDepth = Math.min(this.window.minDepth, this.depth());
    if (++this.window.pulls < WINDOW) return undefined;
    const { minDepth, late } = this.window;
    this.window = { pulls: 0, minDepth: Infinity, late: 0 };
    if (late === 0 && this.lateBoost > 0) this.lateBoost = Math.max(0, this.lateBoost - this.frame);
    const target = this.target;
    if (minDepth > target + this.frame && this.queue.length > 1 && this.queue[0]!.ext === this.nextExt) {
      const { ext, pkt } = this.queue.shift()!;
      this.nextExt = ext + 1;
      this.playTs = tsAdd(pkt.timestamp, this.frame);
      this.counters.adjustDrops++;
      return undefined;
    }
    if (late > 0 && minDepth < target) {
      this.counters.adjustInserts++;
      return { kind: 'silence', reason: 'adjust', samples: this.frame };
    }
    return undefined;
  }

  stats(): JitterBufferStats {
    return {
      ...this.counters,
      targetDelayMs: (this.target * 1000) / this.clockRate,
      depthMs: (this.depth() * 1000) / this.clockRate,
    };
  }

  /** For tests and the call summary: the queue's sequence numbers in playout order. */
  queuedSequences(): number[] {
    return this.queue.map((e) => e.pkt.sequence);
  }
}
