/**
 * The evidence of one call, collected while it runs, for the HTML report (and `--json`): every SIP
 * message of the call sent or received (time, direction, transport, both addresses, the full text),
 * the redirect legs included since they share the Call-ID, and a timeline of what happened (targets
 * tried, provisional and final answers, DTMF both ways with the method, warnings, speech and tones
 * heard, the end). The script runner adds its steps to the same timeline.
 *
 * Bounded, so an hour-long call cannot grow it without limit: at most MAX_SIP messages (a call has a
 * few dozen; session-timer refreshes add two per interval) each cut at MAX_TEXT characters, and at most
 * MAX_EVENTS timeline entries; what is dropped is counted and the page says so.
 *
 * Times are milliseconds since the evidence began (the dial, or the INVITE's arrival) on the call's
 * monotonic clock; SIP messages carry wall-clock times from the trace and are put on the same base.
 */
import type { Clock } from '../util/clock.js';
import type { TraceEvent } from '../sip/transport/transport.js';
import type { DtmfDigitEvent } from '../media/dtmf/index.js';
import type { CallEvent } from './call-types.js';
import { traceCallId } from './call-capture.js';

export const MAX_SIP = 2000;
export const MAX_TEXT = 65_536;
export const MAX_EVENTS = 5000;

export interface SipRecord {
  /** ms since the evidence began. */
  atMs: number;
  /** Wall-clock time (ms since the epoch). */
  wallMs: number;
  direction: 'in' | 'out';
  transport: string;
  /** Our address and the peer's, "host:port" ("[v6]:port"). */
  local: string;
  remote: string;
  /** The message as UTF-8 text, cut at MAX_TEXT characters (`truncated` then). */
  text: string;
  bytes: number;
  truncated?: boolean;
}

export type EvidenceKind =
  | 'attempt' | 'provisional' | 'redirect' | 'answered' | 'dtmf-sent' | 'dtmf-received'
  | 'speech' | 'tone' | 'prompt' | 'step' | 'warning' | 'hold' | 'transfer' | 'ended';

export interface EvidenceEvent {
  atMs: number;
  kind: EvidenceKind;
  /** One line a person reads: "302 Moved Temporarily", "DTMF 1 (rfc4733)", "wait_for speech". */
  text: string;
  /** For spans (speech, tones, steps): their end. */
  endMs?: number;
  /** Steps: passed, failed or skipped. */
  status?: 'passed' | 'failed' | 'skipped';
  /** Prompts: the match score and its threshold. */
  score?: number;
  threshold?: number;
  /** DTMF: the key and the method. */
  digit?: string;
  method?: string;
}

/** What the page needs of a call besides its summary: the `evidence` field of `--json`. */
export interface CallEvidenceData {
  /** Wall-clock time of atMs 0 (ms since the epoch). */
  startedAtWallMs: number;
  sip: SipRecord[];
  events: EvidenceEvent[];
  /** Messages and events not kept (beyond the bounds). */
  droppedSip: number;
  droppedEvents: number;
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

export class CallEvidence {
  private readonly startMs: number;
  private readonly startWallMs: number;
  private readonly sipRecords: SipRecord[] = [];
  private readonly events: EvidenceEvent[] = [];
  private droppedSip = 0;
  private droppedEvents = 0;

  constructor(private readonly clock: Clock, private readonly callId: () => string) {
    this.startMs = clock.now();
    this.startWallMs = clock.wallNow();
  }

  /** ms since the evidence began. */
  now(): number {
    return this.clock.now() - this.startMs;
  }

  /** One SIP message from the trace: kept when its Call-ID is the call's (keep-alives are not). */
  sip(e: TraceEvent): void {
    const id = this.callId();
    if (id === '' || e.bytes.length <= 4 || traceCallId(e.bytes) !== id) return;
    if (this.sipRecords.length >= MAX_SIP) {
      this.droppedSip++;
      return;
    }
    const full = e.bytes.toString('utf8');
    const r: SipRecord = {
      atMs: round(e.timestamp - this.startWallMs),
      wallMs: e.timestamp,
      direction: e.direction,
      transport: e.protocol.toUpperCase(),
      local: hostPort(e.local.address, e.local.port),
      remote: hostPort(e.remote.address, e.remote.port),
      text: full.length > MAX_TEXT ? full.slice(0, MAX_TEXT) : full,
      bytes: e.bytes.length,
    };
    if (full.length > MAX_TEXT) r.truncated = true;
    this.sipRecords.push(r);
  }

  /** A timeline entry at `atMs` (default now). */
  add(e: Omit<EvidenceEvent, 'atMs'> & { atMs?: number }): void {
    if (this.events.length >= MAX_EVENTS) {
      this.droppedEvents++;
      return;
    }
    this.events.push({ ...e, atMs: round(e.atMs ?? this.now()), ...(e.endMs !== undefined ? { endMs: round(e.endMs) } : {}) });
  }

  /** A call event as a timeline entry (call-core.ts feeds every one). */
  callEvent(e: CallEvent): void {
    switch (e.type) {
      case 'attempt': return this.add({ kind: 'attempt', text: `INVITE ${e.uri}${e.depth > 0 ? ` (redirect depth ${e.depth})` : ''}` });
      case 'provisional': return this.add({ kind: 'provisional', text: `${e.status} ${e.reason}` });
      case 'redirect': return this.add({ kind: 'redirect', text: `${e.status} ${e.reason} → ${e.targets.join(', ')}` });
      case 'answered': return this.add({ kind: 'answered', text: `answered ${e.status}, ${e.codec}, RTP to ${e.remote}` });
      case 'digit': return this.dtmf('received', e.digit);
      case 'warning': return this.add({ kind: 'warning', text: e.message });
      case 'hold': return this.add({ kind: 'hold', text: e.onHold ? 'put on hold' : 'resumed' });
      case 'transfer': return this.add({ kind: 'transfer', text: `REFER to ${e.transfer.target}` });
      case 'voicemail': return;
      case 'ended': return this.add({ kind: 'ended', text: 'ended' });
    }
  }

  /** A DTMF key sent or received, with the method that carried it. */
  dtmf(direction: 'sent' | 'received', d: DtmfDigitEvent): void {
    this.add({
      kind: direction === 'sent' ? 'dtmf-sent' : 'dtmf-received',
      text: `DTMF ${d.digit} ${direction} (${d.method})`,
      digit: d.digit,
      method: d.method,
    });
  }

  /**
   * Speech and tones the call's listener heard (listener time, from the media's start), put on the
   * evidence's base by `offsetMs` (when the media started).
   */
  heard(
    offsetMs: number,
    segments: ReadonlyArray<{ startMs: number; endMs: number | undefined }>,
    tones: ReadonlyArray<{ frequency: number; startMs: number; endMs: number | undefined }>,
  ): void {
    const end = this.now();
    for (const s of segments) this.add({ kind: 'speech', text: 'speech', atMs: offsetMs + s.startMs, endMs: s.endMs !== undefined ? offsetMs + s.endMs : end });
    for (const t of tones) this.add({ kind: 'tone', text: `${t.frequency} Hz tone`, atMs: offsetMs + t.startMs, endMs: t.endMs !== undefined ? offsetMs + t.endMs : end });
  }

  /** A copy of what was collected, events in time order (what `--json` writes as `evidence`). */
  toJSON(): CallEvidenceData {
    return {
      startedAtWallMs: this.startWallMs,
      sip: [...this.sipRecords],
      events: [...this.events].sort((a, b) => a.atMs - b.atMs),
      droppedSip: this.droppedSip,
      droppedEvents: this.droppedEvents,
    };
  }
}

/** Times to a tenth of a millisecond: finer says nothing and bloats the JSON. */
function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
