/**
 * RFC 4733 sender: one telephone-event at a time, driven once per packet time by the RTP pacer.
 *
 * Contract with the RTP layer (the sender knows no sockets, no clock, no sequence numbers):
 *   every ptime the RTP stream calls `poll(slotTimestamp)`, where `slotTimestamp` is the RTP timestamp
 *   an audio packet of this slot would carry. The answer is either
 *     - `{ kind: 'audio' }`: send the audio frame as usual, or
 *     - `{ kind: 'events', packets }`: send these packets, in order, INSTEAD of the audio frame, each with
 *       the telephone-event payload type, `marker`, and `timestampOverride` as the RTP timestamp; the
 *       sequence number goes on incrementing by one per packet sent, as for audio.
 *   The slot timestamp advances by one ptime of samples per slot whatever was sent, so audio after an
 *   event continues the same timestamp line (RFC 4733 §2.5.1.1: the event's timestamp is the instant it
 *   began, on the audio's clock) and sequence numbers stay consecutive across audio and events.
 *
 * What goes out for one event (RFC 4733 §2.5.1):
 *   - §2.5.1.2: first packet with the marker bit; every packet of the event carries the same RTP
 *     timestamp, the start of the event; the duration field grows by one ptime per packet and covers the
 *     event from its start to the end of the current slot.
 *   - §2.5.1.4: the last packet has the E bit and is sent three times in all, "at the interval used by
 *     the source for updates" (one per slot here; `endSpacing: 'burst'` sends the three back to back),
 *     same duration and timestamp, so with audio suppressed they take consecutive sequence numbers.
 *   - §2.5.1.3 long-duration events: the duration field is 16 bits. When an event outgrows it, the
 *     current segment ends at the largest whole number of ptimes <= 0xFFFF, its last report is sent three
 *     times (the two repeats in a burst at the next slot, ahead of the new segment: the event goes on), and a new segment starts with
 *     RTP timestamp = segment start + that duration, no marker (it is not a new event), durations again
 *     counted from the segment's own timestamp. Only the final segment's last packet has the E bit.
 *   - Volume (§2.3.4): 10 (-10 dBm0) unless configured.
 * Audio is suppressed from the event's first packet to its last end retransmission.
 */
import { DtmfConfigError, DtmfStateError } from './errors.js';
import { keyToEvent, type DtmfKey } from './keys.js';
import { encodeTelephoneEvent, MAX_EVENT_DURATION } from './rfc4733.js';

export interface TelephoneEventPacket {
  /** The 4-octet event report. */
  payload: Uint8Array;
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
  /** 'ptime' (default, RFC 4733 §2.5.1.4) or 'burst': how the three end packets are spaced. */
  endSpacing?: 'ptime' | 'burst';
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
  private readonly endSpacing: 'ptime' | 'burst';

  private st: Rfc4733SenderState = 'idle';
  private event = 0;
  /** Total length in timestamp units, or undefined while a key is held (ended by release()). */
  private total: number | undefined;
  private releaseRequested = false;
  private startTs = 0;
  /** Units of the event covered by the packets sent so far. */
  private elapsed = 0;
  /** Offset of the current segment from the event start (units). */
  private segOffset = 0;
  private endPacket: TelephoneEventPacket | undefined;
  private endCopiesLeft = 0;

  constructor(options: Rfc4733SenderOptions = {}) {
    this.ptimeMs = options.ptimeMs ?? 20;
    this.clockRate = options.clockRate ?? 8000;
    this.volume = options.volume ?? 10;
    this.endSpacing = options.endSpacing ?? 'ptime';
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
    this.releaseRequested = false;
    this.elapsed = 0;
    this.segOffset = 0;
    this.st = 'starting';
  }

  /** Ends a held key: the next poll() sends the end packet (duration up to the end of that slot). */
  release(): void {
    if (this.st !== 'starting' && this.st !== 'playing') {
      throw new DtmfStateError('No telephone-event is playing; there is nothing to release.');
    }
    this.releaseRequested = true;
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
    let final = false;
    if (this.total !== undefined && covered >= this.total) {
      covered = this.total;
      final = true;
    } else if (this.releaseRequested) {
      final = true;
    }
    const packets: TelephoneEventPacket[] = [];
    let marker = first;
    // §2.5.1.3: a segment that would exceed 16 bits is closed and a new one begins. The previous slot
    // already sent the closing report (duration = maxSegment, a whole number of slots): two more copies
    // make the three of §2.5.1.4, then the new segment's first report follows in the same slot.
    if (covered - this.segOffset > this.maxSegment) {
      const repeat = this.packet(this.maxSegment, false, false);
      packets.push(repeat, repeat);
      this.segOffset += this.maxSegment;
      marker = false;
    }
    this.elapsed = covered;
    const p = this.packet(covered - this.segOffset, final, marker);
    packets.push(p);
    if (final) {
      const again: TelephoneEventPacket = { ...p, marker: false };
      if (this.endSpacing === 'burst') {
        for (let i = 1; i < END_COPIES; i++) packets.push(again);
        this.finish();
      } else {
        this.endPacket = again;
        this.endCopiesLeft = END_COPIES - 1;
        this.st = 'ending';
      }
    }
    return { kind: 'events', packets };
  }

  private packet(duration: number, end: boolean, marker: boolean): TelephoneEventPacket {
    return {
      payload: encodeTelephoneEvent({ event: this.event, end, volume: this.volume, duration }),
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
