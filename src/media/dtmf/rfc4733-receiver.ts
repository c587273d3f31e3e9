/**
 * RFC 4733 receiver: telephone-event packets in, one digit per event out, however the packets arrive.
 *
 * RFC 4733 §2.5.2 (receiver): an event is identified by its RTP timestamp (every report of one event
 * carries the event's start as timestamp); reports are idempotent (the duration only grows; the E bit
 * and its repeats say the same thing), so duplicates and reordering within an event are harmless as long
 * as an event is reported once. The rules, in order:
 *   1. A report for an event already reported (same SSRC and timestamp) is ignored: late updates, the
 *      three end copies, duplicates.
 *   2. A report with the current event's timestamp raises its duration (max of what was seen); with the
 *      E bit it ends the event and the digit is emitted with the E packet's duration.
 *   3. §2.5.1.3 long-duration events: a report for the same event code, without the marker, whose
 *      timestamp lies after the current segment's start by no more than the duration seen for that
 *      segment (and the segment is long, > 0x7FFF units) continues the event as a new segment.
 *   4. A report with a newer timestamp (RFC 3550 wrap-around order), or from a new SSRC, ends the current
 *      event (its E packets were lost) and begins a new one.
 *   5. A report older than the current or last event (serial order) is a straggler: ignored.
 *   6. A lost end: if no report arrives for `endTimeoutMs` after the last one, the event ends with the
 *      longest duration seen. Default 3 × ptime (60 ms): a sender updates every ptime (§2.5.1.2), so three
 *      missing updates in a row mean the end copies were lost too; a straggler arriving later is ignored
 *      by rule 1, so a short timeout can shorten a duration but never duplicate a digit.
 * Events other than DTMF 0-16 (e.g. 32 ANS) are counted and ignored.
 *
 * Timing: `startMs` is estimated as the arrival time (injected clock) of the first report seen minus the
 * duration that report already covered; `durationMs` is the reported duration (all segments) / clock rate.
 */
import type { Clock, TimerHandle } from '../../util/clock.js';
import { eventToKey, type DtmfDigitEvent, type DtmfKey } from './keys.js';
import { decodeTelephoneEvent } from './rfc4733.js';

export interface TelephoneEventRtp {
  payload: Uint8Array;
  sequence: number;
  timestamp: number;
  marker: boolean;
  ssrc: number;
  /** Arrival time on the receiver's clock (ms). Default: clock.now() at receive(). */
  arrivalMs?: number;
}

export interface Rfc4733ReceiverOptions {
  clock: Clock;
  /** Called once per event, when it ends (E bit, newer event, or timeout). */
  onDigit: (event: DtmfDigitEvent) => void;
  /** Called when an event's first report arrives (to react before the key is released). */
  onDigitStart?: (digit: DtmfKey, startMs: number) => void;
  /** Default 8000 (RFC 4733 §7.1.1). */
  clockRate?: number;
  /** The sender's update interval, for the default timeout (ms). Default 20. */
  ptimeMs?: number;
  /** Silence after the last report that ends an event whose E packets were lost (ms). Default 3 × ptime. */
  endTimeoutMs?: number;
}

export interface Rfc4733ReceiverStats {
  packets: number;
  digits: number;
  /** Reports for events already reported (duplicates, end copies, late updates). */
  ignored: number;
  /** Reports older than the current event. */
  stale: number;
  /** Events ended by the timeout rather than by an E packet or a newer event. */
  timeouts: number;
  /** Non-DTMF events (codes > 16). */
  nonDtmf: number;
}

interface Current {
  ssrc: number;
  event: number;
  digit: DtmfKey;
  /** Timestamp of the current segment. */
  segTs: number;
  /** Units of the event before the current segment. */
  segBase: number;
  /** Longest duration seen in the current segment. */
  segDur: number;
  startMs: number;
  timer: TimerHandle | undefined;
}

/** RFC 3550 serial-number order for 32-bit timestamps: >0 when a is after b. */
function tsDiff(a: number, b: number): number {
  return ((a - b) | 0);
}

const REMEMBERED = 32;

export class Rfc4733Receiver {
  private readonly clock: Clock;
  private readonly onDigit: (event: DtmfDigitEvent) => void;
  private readonly onDigitStart: ((digit: DtmfKey, startMs: number) => void) | undefined;
  private readonly clockRate: number;
  private readonly endTimeoutMs: number;
  private current: Current | undefined;
  /** Recently reported events as `ssrc:timestamp` (rule 1), oldest first. */
  private readonly done: string[] = [];
  /** Per SSRC, the timestamp of the last event begun (rule 5). */
  private readonly lastTs = new Map<number, number>();
  readonly stats: Rfc4733ReceiverStats = { packets: 0, digits: 0, ignored: 0, stale: 0, timeouts: 0, nonDtmf: 0 };

  constructor(options: Rfc4733ReceiverOptions) {
    this.clock = options.clock;
    this.onDigit = options.onDigit;
    this.onDigitStart = options.onDigitStart;
    this.clockRate = options.clockRate ?? 8000;
    this.endTimeoutMs = options.endTimeoutMs ?? 3 * (options.ptimeMs ?? 20);
  }

  receive(pkt: TelephoneEventRtp): void {
    this.stats.packets++;
    const ev = decodeTelephoneEvent(pkt.payload);
    const digit = eventToKey(ev.event);
    if (digit === undefined) {
      this.stats.nonDtmf++;
      return;
    }
    const ts = pkt.timestamp >>> 0;
    const now = pkt.arrivalMs ?? this.clock.now();
    if (this.done.includes(`${pkt.ssrc}:${ts}`)) {
      this.stats.ignored++; // rule 1
      return;
    }
    const cur = this.current;
    if (cur && cur.ssrc === pkt.ssrc) {
      if (ts === cur.segTs) {
        // Rule 2.
        if (ev.duration > cur.segDur) cur.segDur = ev.duration;
        if (ev.end) this.end(false);
        else this.arm();
        return;
      }
      const d = tsDiff(ts, cur.segTs);
      if (ev.event === cur.event && !pkt.marker && d > 0 && d <= cur.segDur && cur.segDur > 0x7fff) {
        // Rule 3: the next segment of a long event.
        this.done.push(`${cur.ssrc}:${cur.segTs}`);
        cur.segBase += d;
        cur.segTs = ts;
        cur.segDur = ev.duration;
        this.lastTs.set(cur.ssrc, ts);
        if (ev.end) this.end(false);
        else this.arm();
        return;
      }
      if (d < 0) {
        this.stats.stale++; // rule 5
        return;
      }
      this.end(false); // rule 4
    } else if (cur) {
      this.end(false); // rule 4, new SSRC
    } else {
      const last = this.lastTs.get(pkt.ssrc);
      if (last !== undefined && tsDiff(ts, last) <= 0) {
        this.stats.stale++; // rule 5
        return;
      }
    }
    const startMs = now - (ev.duration * 1000) / this.clockRate;
    this.current = {
      ssrc: pkt.ssrc, event: ev.event, digit, segTs: ts, segBase: 0, segDur: ev.duration, startMs, timer: undefined,
    };
    this.lastTs.set(pkt.ssrc, ts);
    this.onDigitStart?.(digit, startMs);
    if (ev.end) this.end(false);
    else this.arm();
  }

  /** Ends any event in progress now (e.g. the call ends) and reports it. */
  flush(): void {
    if (this.current) this.end(false);
  }

  private arm(): void {
    const cur = this.current!;
    cur.timer?.cancel();
    cur.timer = this.clock.setTimeout(() => this.end(true), this.endTimeoutMs);
  }

  private end(timedOut: boolean): void {
    const cur = this.current;
    if (!cur) return;
    this.current = undefined;
    cur.timer?.cancel();
    if (timedOut) this.stats.timeouts++;
    this.done.push(`${cur.ssrc}:${cur.segTs}`);
    while (this.done.length > REMEMBERED) this.done.shift();
    this.stats.digits++;
    this.onDigit({
      digit: cur.digit,
      method: 'rfc4733',
      startMs: cur.startMs,
      durationMs: ((cur.segBase + cur.segDur) * 1000) / this.clockRate,
    });
  }
}
