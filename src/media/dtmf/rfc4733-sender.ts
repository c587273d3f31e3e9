/**
 * RFC 4733 sender: one telephone-event at a time, driven once per packet time by the RTP pacer.
 *
 * Contract with the RTP layer (the sender knows no sockets, no clock, no sequence numbers): every ptime
 * the RTP stream's source calls `poll(slotTimestamp)`, where `slotTimestamp` is the RTP timestamp an
 * audio packet of this slot would carry (rtp/sender.ts: `RtpTick.timestamp`, the media clock). The
 * answer is either
 *   - `{ kind: 'audio' }`: send the audio frame as usual, or
 *   - `{ kind: 'events', packets }`: send this packet (always exactly one per slot, so it fits the RTP
 *     sender's one-frame-per-tick source contract) INSTEAD of the audio frame, with the telephone-event
 *     payload type, `marker`, and `timestampOverride` as the RTP timestamp (`RtpFrame.timestamp`); the
 *     sequence number goes on incrementing by one per packet sent, as for audio.
 * The media clock advances by one ptime per slot whatever was sent, so audio after an event resumes on
 * the same timestamp line (RFC 4733 §2.5.1.1: the event's timestamp is the instant it began, on the
 * audio's clock) and sequence numbers stay consecutive across audio and events.
 *
 * What goes out for one event (RFC 4733 §2.5.1):
 *   - §2.5.1.2: first packet with the marker bit; every packet of the event carries the same RTP
 *     timestamp, the start of the event; the duration field grows by one ptime per packet and covers the
 *     event from its start to the end of the current slot.
 *   - §2.5.1.4: the last packet has the E bit and is sent three times in all, "at the interval used by
 *     the source for updates" (one per slot), same duration and timestamp, so with audio suppressed the
 *     three take consecutive sequence numbers.
 *   - §2.5.1.3 long-duration events: the duration field is 16 bits. When an event outgrows it, the
 *     current segment ends at the largest whole number of ptimes <= 0xFFFF (65440 units at 160 per
 *     slot), its last report is sent twice more in the next two slots (three in all, §2.5.1.4), and a
 *     new segment follows with RTP timestamp = segment start + that duration, no marker (it is not a new
 *     event), its duration counted from its own timestamp (so its first report, two slots later, already
 *     covers three slots). Only the final segment's last packet has the E bit.
 *   - Volume (§2.3.4): 10 (-10 dBm0) unless configured.
 * Audio is suppressed from the event's first packet to its last end repeat.
 */
import { DtmfConfigError, DtmfStateError } from './errors.js';
import { keyToEvent, type DtmfKey } from './keys.js';
import { encodeTelephoneEvent, MAX_EVENT_DURATION } from './rfc4733.js';

export interface TelephoneEventPacket {
  /** The 4-octet event report (a Buffer, as rtp/sender.ts's RtpFrame wants). */
  payload: Buffer;
  marker: boolean;
  /** The RTP timestamp of this packet: the start of the event (or of its current segment). */
  timestampOverride: number;
}

export type Rfc4733Slot = { kind: 'audio' } | { kind: 'events'; packets: TelephoneEventPacket[] };

export interface Rfc4733SenderOptions {
  /** Packet time (ms) the pacer polls at. Default 20. */
  ptimeMs?: number;
  /** RTP clock rate of the telephone-event payload type (RFC 4733 §7.1.1: 8000 for DTMF). Default 8000. */
  clockRate?: number;
  /** Volume field as -dBm0, 0..63. Default 10. */
  volume?: number;
}

export type Rfc4733SenderState = 'idle' | 'starting' | 'playing' | 'ending';

const AUDIO: Rfc4733Slot = Object.freeze({ kind: 'audio' }) as Rfc4733Slot;
/** §2.5.1.4: the final report is sent three times in all. */
const END_COPIES = 3;

export class Rfc4733Sender {
  readonly ptimeMs: number;
  readonly clockRate: number;
  readonly volume: number;
  /** Timestamp units per slot (160 at 8000 Hz, 20 ms). */
  readonly unitsPerSlot: number;
  /** Longest segment: whole slots that fit in the 16-bit duration field (65440 at 160 per slot). */
  readonly maxSegment: number;

  private st: Rfc4733SenderState = 'idle';
  private event = 0;
  /** Total length in timestamp units, or undefined while a key is held (until release()). */
  private total: number | undefined;
  private startTs = 0;
  /** Units of the event covered by the packets sent so far. */
  private elapsed = 0;
  /** Offset of the current segment from the event start (units). */
  private segOffset = 0;
  private endPacket: TelephoneEventPacket | undefined;
  private endCopiesLeft = 0;
  /** Copies of a closed segment's last report still to send (§2.5.1.3 with §2.5.1.4). */
  private segmentCopiesLeft = 0;

  constructor(options: Rfc4733SenderOptions = {}) {
    this.ptimeMs = options.ptimeMs ?? 20;
    this.clockRate = options.clockRate ?? 8000;
    this.volume = options.volume ?? 10;
    if (!Number.isInteger(this.volume) || this.volume < 0 || this.volume > 63) {
      throw new DtmfConfigError(`Telephone-event volume ${this.volume} is outside 0..63 (-dBm0).`);
    }
    this.unitsPerSlot = Math.round((this.ptimeMs * this.clockRate) / 1000);
    if (this.unitsPerSlot < 1 || this.unitsPerSlot > MAX_EVENT_DURATION) {
      throw new DtmfConfigError(`Packet time ${this.ptimeMs} ms is not usable for telephone-events.`);
    }
    this.maxSegment = Math.floor(MAX_EVENT_DURATION / this.unitsPerSlot) * this.unitsPerSlot;
  }

  get state(): Rfc4733SenderState {
    return this.st;
  }

  /** True from begin() until the last end packet has been handed out. */
  get busy(): boolean {
    return this.st !== 'idle';
  }

  /**
   * Starts an event at the next poll(). `durationMs` undefined holds the key until release() (a long
   * press of unknown length); otherwise the event lasts that long (rounded to timestamp units).
   */
  begin(key: DtmfKey | number, durationMs?: number): void {
    if (this.st !== 'idle') {
      throw new DtmfStateError('A telephone-event is already playing; wait until the sender is idle.');
    }
    const event = typeof key === 'number' ? key : keyToEvent(key);
    if (!Number.isInteger(event) || event < 0 || event > 255) {
      throw new DtmfConfigError(`Telephone-event code ${String(key)} is outside 0..255.`);
    }
    if (durationMs !== undefined && !(durationMs > 0 && Number.isFinite(durationMs))) {
      throw new DtmfConfigError(`DTMF duration ${durationMs} ms must be a positive number.`);
    }
    this.event = event;
    this.total = durationMs === undefined ? undefined : Math.max(1, Math.round((durationMs * this.clockRate) / 1000));
    this.elapsed = 0;
    this.segOffset = 0;
    this.segmentCopiesLeft = 0;
    this.st = 'starting';
  }

  /** Ends a held key: the event lasts until the end of the next slot; that slot sends the E packet. */
  release(): void {
    if (this.st !== 'starting' && this.st !== 'playing') {
      throw new DtmfStateError('No telephone-event is playing; there is nothing to release.');
    }
    if (this.total === undefined) this.total = this.elapsed + this.unitsPerSlot;
  }

  /**
   * Slots the RTP stream could not serve (a stalled process, `RtpSource.missed`): the event's duration
   * moves on with the media clock, as if those updates had been sent and lost.
   */
  missed(count: number): void {
    if (this.st !== 'playing' || count <= 0) return;
    const grown = this.elapsed + count * this.unitsPerSlot;
    // Stay one slot short of the end so the E packet still goes out at the next poll.
    const cap = this.total === undefined ? grown : this.total - 1;
    this.elapsed = Math.max(this.elapsed, Math.min(grown, cap));
  }

  /** Called by the RTP stream once per ptime; see the contract at the top of this file. */
  poll(slotTimestamp: number): Rfc4733Slot {
    switch (this.st) {
      case 'idle':
        return AUDIO;
      case 'ending': {
        // §2.5.1.4: the end report again, same timestamp and duration, no marker.
        const p = this.endPacket!;
        if (--this.endCopiesLeft === 0) this.finish();
        return { kind: 'events', packets: [p] };
      }
      case 'starting':
        // §2.5.1.1: the event's timestamp is the start of the slot in which it begins.
        this.startTs = slotTimestamp >>> 0;
        this.st = 'playing';
        return this.update(true);
      case 'playing':
        return this.update(false);
    }
  }

  private update(first: boolean): Rfc4733Slot {
    let covered = this.elapsed + this.unitsPerSlot;
    if (this.total !== undefined && covered >= this.total) covered = this.total;
    this.elapsed = covered;
    // §2.5.1.3: the segment cannot grow past 16 bits: close it. The previous slot already sent its last
    // report (a whole number of slots, exactly maxSegment); two more copies follow, one per slot.
    if (this.segmentCopiesLeft === 0 && covered - this.segOffset > this.maxSegment) this.segmentCopiesLeft = 2;
    if (this.segmentCopiesLeft > 0) {
      const copy = this.packet(this.maxSegment, false, false);
      if (--this.segmentCopiesLeft === 0) this.segOffset += this.maxSegment;
      return { kind: 'events', packets: [copy] };
    }
    const final = this.total !== undefined && covered >= this.total;
    const p = this.packet(covered - this.segOffset, final, first);
    if (final) {
      this.endPacket = { ...p, marker: false };
      this.endCopiesLeft = END_COPIES - 1;
      this.st = 'ending';
    }
    return { kind: 'events', packets: [p] };
  }

  private packet(duration: number, end: boolean, marker: boolean): TelephoneEventPacket {
    return {
      payload: encodeTelephoneEvent({ event: this.event, end, volume: this.volume, duration }, Buffer.alloc(4)) as Buffer,
      marker,
      timestampOverride: (this.startTs + this.segOffset) >>> 0,
    };
  }

  private finish(): void {
    this.st = 'idle';
    this.endPacket = undefined;
    this.endCopiesLeft = 0;
  }
}
