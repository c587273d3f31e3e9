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

/**
 * One direction's samples from the written position on, in a buffer reused across packets: `buf` holds
 * position `written + i` at `head + i`, and is zero outside [head, head + len). Placing and taking copy
 * only the packet's samples; the held part moves to the front when the room behind it runs out (about
 * once per reorder window), and the buffer doubles only when a packet lands further ahead than ever.
 * (Growing a right-sized array on every packet and slicing it on every write cost two allocations and
 * two copies of the whole 1 s window per packet: 32 KB a packet, most of the GC and the external memory
 * of a load run with hundreds of recording callers — measured with bench/load.bench.ts.)
 */
class Track {
  private buf: Int16Array = new Int16Array(0);
  private head = 0;
  private len = 0;
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
    this.room(need);
    this.buf.set(pcm, this.head + pos - written);
    if (need > this.len) this.len = need;
    return end;
  }

  /** The next `n` samples (silence where nothing was placed); the written position moves on by `n`. */
  take(n: number): Int16Array {
    const out = new Int16Array(n);
    const k = Math.min(n, this.len);
    if (k > 0) {
      out.set(this.buf.subarray(this.head, this.head + k));
      this.buf.fill(0, this.head, this.head + k);
    }
    this.len -= k;
    // Nothing held: the whole buffer is silence, so the next position can start at its front.
    this.head = this.len === 0 ? 0 : this.head + k;
    return out;
  }

  /** Makes [head, head + need) fit in `buf`, keeping the held samples and the zeros around them. */
  private room(need: number): void {
    if (this.head + need <= this.buf.length) return;
    if (need * 2 <= this.buf.length) {
      this.buf.copyWithin(0, this.head, this.head + this.len);
      this.buf.fill(0, this.len, this.head + this.len);
    } else {
      const grown = new Int16Array(Math.max(need * 2, 2 * REORDER_SAMPLES));
      grown.set(this.buf.subarray(this.head, this.head + this.len));
      this.buf = grown;
    }
    this.head = 0;
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
