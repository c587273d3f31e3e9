/**
 * Recording on the sender's timeline, not the playout's.
 *
 * A test phone's recording must be what the far end sent: a prompt recorded here is compared with a
 * reference, cross-correlated, fingerprinted. Recording from the live playout would bake in whatever the
 * playout did to keep real time — frames declared lost because this process stalled for 300 ms, frames
 * dropped or repeated to adapt the jitter buffer — and one such slip shifts the rest of the recording.
 * So each received packet is placed by its RTP timestamp (anchored at its arrival time, so received and
 * sent audio share one time base), held for a reorder window (1 s: late packets still land in their
 * place), then written in order, with silence where nothing arrived. Our own audio (`--record-both`) is
 * placed the same way by the timestamps we sent.
 *
 * A timestamp that jumps (a new SSRC, a sender restart, a jump of more than a minute) re-anchors the
 * stream at its arrival time. Pure: the caller passes arrival times from the injected clock.
 */
import { tsDiff } from '../rtp/seq.js';
import type { WavWriter } from '../media/wav/writer.js';

const RATE = 8000;
/** How long a position stays open for late packets. */
const REORDER_SAMPLES = RATE;
/** A timestamp jump beyond this re-anchors the stream. */
const MAX_JUMP_SAMPLES = 60 * RATE;

interface Anchor {
  ssrc: number;
  timestamp: number;
  /** Sample position (from the recording start) the anchor timestamp maps to. */
  position: number;
}

class Track {
  pending: Int16Array = new Int16Array(0);
  anchor: Anchor | undefined;

  /** Place `pcm` at its position; returns the end position written, or undefined if dropped as too late. */
  place(ssrc: number, timestamp: number, pcm: Int16Array, arrivalPos: number, written: number): number | undefined {
    let pos: number;
    const a = this.anchor;
    if (!a || a.ssrc !== ssrc) {
      this.anchor = { ssrc, timestamp, position: Math.max(arrivalPos, written) };
      pos = this.anchor.position;
    } else {
      pos = a.position + tsDiff(timestamp, a.timestamp);
      if (Math.abs(pos - arrivalPos) > MAX_JUMP_SAMPLES) {
        this.anchor = { ssrc, timestamp, position: Math.max(arrivalPos, written) };
        pos = this.anchor.position;
      }
    }
    if (pos < written) return undefined;
    const end = pos + pcm.length;
    const need = end - written;
    if (need > this.pending.length) {
      const grown = new Int16Array(need);
      grown.set(this.pending);
      this.pending = grown;
    }
    this.pending.set(pcm, pos - written);
    return end;
  }

  take(n: number): Int16Array {
    const out = new Int16Array(n);
    out.set(this.pending.subarray(0, Math.min(n, this.pending.length)));
    this.pending = this.pending.length > n ? this.pending.slice(n) : new Int16Array(0);
    return out;
  }
}

export class TimelineRecorder {
  private readonly received = new Track();
  private readonly sent = new Track();
  /** Samples written to the file so far. */
  private written = 0;
  /** Highest position any packet reached. */
  private highest = 0;
  private closed = false;

  constructor(
    private readonly writer: WavWriter,
    private readonly channels: 1 | 2,
    /** Clock time (ms) of the recording's first sample. */
    private readonly startMs: number,
  ) {}

  get durationMs(): number {
    return (this.written / RATE) * 1000;
  }

  /** A received audio packet, decoded, with its RTP fields and arrival time (clock ms). */
  pushReceived(ssrc: number, timestamp: number, pcm: Int16Array, arrivalMs: number): void {
    this.push(this.received, ssrc, timestamp, pcm, arrivalMs);
  }

  /** An audio frame we sent (for the right channel of a stereo recording). */
  pushSent(ssrc: number, timestamp: number, pcm: Int16Array, sentMs: number): void {
    if (this.channels === 2) this.push(this.sent, ssrc, timestamp, pcm, sentMs);
  }

  /** Write out what can no longer change (older than the reorder window); `nowMs` advances silence too. */
  flush(nowMs: number): void {
    if (this.closed) return;
    const nowPos = this.positionAt(nowMs);
    const safe = Math.max(this.highest, nowPos) - REORDER_SAMPLES;
    if (safe > this.written) this.write(safe - this.written);
  }

  /** Write everything held (silence up to `nowMs`, so a silent end is kept) and close the file. */
  close(nowMs: number): void {
    if (this.closed) return;
    const end = Math.max(this.highest, this.positionAt(nowMs));
    if (end > this.written) this.write(end - this.written);
    this.closed = true;
    this.writer.close();
  }

  private push(track: Track, ssrc: number, timestamp: number, pcm: Int16Array, atMs: number): void {
    if (this.closed) return;
    const end = track.place(ssrc, timestamp, pcm, this.positionAt(atMs), this.written);
    if (end !== undefined && end > this.highest) this.highest = end;
  }

  private positionAt(ms: number): number {
    return Math.max(0, Math.round(((ms - this.startMs) * RATE) / 1000));
  }

  private write(n: number): void {
    const left = this.received.take(n);
    if (this.channels === 2) this.writer.writeStereo(left, this.sent.take(n));
    else this.writer.write(left);
    this.written += n;
  }
}
