/**
 * What the HTML report draws, whatever made it: a call's summary with its evidence (`umphone call
 * --report`, or `--json` read back by `umphone report`), or a script run (`umphone run --report
 * x.html`, or its JSON report read back). Both become a list of ReportCall; page.ts draws them.
 */
import type { CallSummary, RedirectHop } from '../phone/call-types.js';
import type { CallEvidenceData, EvidenceEvent, SipRecord } from '../phone/call-evidence.js';
import type { IterationResult, RunResult, StepResult } from '../script/results.js';
import type { CallQuality } from '../phone/call-quality.js';
import type { Waveform } from './wav-peaks.js';
import type { ReportLoad } from './load-section.js';

/** The quality figures of a call: CallSummary.quality (phone/call-quality.ts, src/rtp/quality/). */
export type ReportQuality = CallQuality;

/** The recording as the page shows it. */
export interface ReportAudio {
  /** The file as the user named it. */
  path: string;
  /** What <audio> plays: a data: URI (small files) or the file's path relative to the page; none if unreadable. */
  src?: string;
  embedded: boolean;
  waveform?: Waveform;
  /** Why there is no player or no waveform ("not found", "too large to embed: linked"). */
  note?: string;
}

export interface ReportCall {
  title: string;
  target: string;
  callId: string;
  /** "answered (200 OK), ended by local (BYE)". */
  result: string;
  passed?: boolean;
  status?: number;
  reason?: string;
  redirects: RedirectHop[];
  answeredAtMs?: number;
  durationMs: number;
  endedBy?: string;
  codec?: string;
  remoteRtp?: string;
  rtp?: CallSummary['rtp'];
  dtmf: { sent: string; received: string };
  sip: SipRecord[];
  events: EvidenceEvent[];
  droppedSip: number;
  /** Wall-clock start (ms since the epoch), when known. */
  startedAtWallMs?: number;
  steps?: StepResult[];
  audio?: ReportAudio;
  quality?: ReportQuality;
  /** No evidence was collected (an old JSON): the page says where to get it. */
  noEvidence?: boolean;
}

export interface ReportPage {
  title: string;
  /** "call" for one call, "run" for a script, "load" for `umphone load` (its figures, then some callers' calls). */
  kind: 'call' | 'run' | 'load';
  generatedAt: string;
  passed?: boolean;
  /** The script's file, for a run. */
  script?: string;
  durationMs?: number;
  calls: ReportCall[];
  /** The load run's figures and callers (kind "load"). */
  load?: ReportLoad;
}

/** A call summary as `--json` writes it: the summary plus its evidence (and quality, when measured). */
export type CallSummaryWithEvidence = CallSummary & { evidence?: CallEvidenceData };

function digits(list: ReadonlyArray<{ digit: string; method: string }>): string {
  if (list.length === 0) return 'none';
  const groups: Array<{ method: string; keys: string }> = [];
  for (const d of list) {
    const last = groups[groups.length - 1];
    if (last && last.method === d.method) last.keys += d.digit;
    else groups.push({ method: d.method, keys: d.digit });
  }
  return groups.map((g) => `${g.keys} (${g.method})`).join(', ');
}

function resultLine(answered: boolean, status: number | undefined, reason: string | undefined, endedBy: string | undefined): string {
  const st = status !== undefined ? `${status}${reason ? ` ${reason}` : ''}` : undefined;
  if (answered) return `answered (${st ?? 'no status'})${endedBy ? `, ended by ${endedBy}` : ''}`;
  return `not answered: ${endedBy ?? st ?? 'no final response'}`;
}

/** One call's page section from its summary (with `evidence` when it was collected). */
export function reportCallFromSummary(s: CallSummaryWithEvidence, title = 'Call'): ReportCall {
  const ev = s.evidence;
  const c: ReportCall = {
    title,
    target: s.target,
    callId: s.callId,
    result: resultLine(s.answeredAtMs !== undefined, s.status, s.reason, s.endedBy),
    redirects: s.redirects ?? [],
    durationMs: s.durationMs,
    dtmf: { sent: digits(s.dtmf?.sent ?? []), received: digits(s.dtmf?.received ?? []) },
    sip: ev?.sip ?? [],
    events: ev?.events ?? [],
    droppedSip: ev?.droppedSip ?? 0,
  };
  if (!ev) c.noEvidence = true;
  else c.startedAtWallMs = ev.startedAtWallMs;
  if (s.status !== undefined) c.status = s.status;
  if (s.reason !== undefined) c.reason = s.reason;
  if (s.answeredAtMs !== undefined) c.answeredAtMs = s.answeredAtMs;
  if (s.endedBy !== undefined) c.endedBy = s.endedBy;
  if (s.codec !== undefined) c.codec = s.codec;
  if (s.remoteRtp !== undefined) c.remoteRtp = s.remoteRtp;
  if (s.rtp) c.rtp = s.rtp;
  if (s.quality) c.quality = s.quality;
  return c;
}

/** An iteration of a run as it appears in the JSON report, with its call's evidence when collected. */
export type IterationWithEvidence = IterationResult & { evidence?: CallEvidenceData; call: IterationResult['call'] & { quality?: ReportQuality } };

/** One section per call of a script run; its steps go to the timeline, the failed one marked. */
export function reportCallFromIteration(it: IterationWithEvidence): ReportCall {
  const call = it.call;
  const ev = it.evidence;
  const c: ReportCall = {
    title: `${it.index}. ${it.name}`,
    target: call.target,
    callId: call.callId,
    result: call.setupError ? `not set up: ${call.setupError}` : resultLine(call.answered, call.status, call.reason, call.endedBy),
    passed: it.passed,
    redirects: call.redirects ?? [],
    durationMs: call.durationMs,
    dtmf: { sent: digits(it.dtmf.sent), received: digits(it.dtmf.received) },
    sip: ev?.sip ?? [],
    events: [],
    droppedSip: ev?.droppedSip ?? 0,
    steps: it.steps,
  };
  if (!ev) c.noEvidence = true;
  if (call.status !== undefined) c.status = call.status;
  if (call.reason !== undefined) c.reason = call.reason;
  // A run's outcome has no answer time: the evidence's "answered" entry gives it (on the dial's base).
  const answered = ev?.events.find((e) => e.kind === 'answered');
  if (answered) c.answeredAtMs = answered.atMs;
  if (call.endedBy !== undefined) c.endedBy = call.endedBy;
  if (call.codec !== undefined) c.codec = call.codec;
  if (call.remoteRtp !== undefined) c.remoteRtp = call.remoteRtp;
  if (call.rtp) c.rtp = call.rtp;
  if (call.quality) c.quality = call.quality;
  // The run's own records are on the iteration's time base; the evidence's are on the dial's: shift them.
  const iterationStart = Date.parse(it.startedAt);
  const shift = ev && Number.isFinite(iterationStart) ? ev.startedAtWallMs - iterationStart : 0;
  if (ev) c.startedAtWallMs = ev.startedAtWallMs;
  const events: EvidenceEvent[] = (ev?.events ?? [])
    // The runner's own records of digits and speech are more complete (in-band included): use those.
    .filter((e) => !['dtmf-sent', 'dtmf-received', 'speech', 'tone'].includes(e.kind))
    .map((e) => ({ ...e }));
  const rel = (ms: number): number => ms - shift;
  for (const d of it.dtmf.sent) events.push({ atMs: rel(d.atMs), kind: 'dtmf-sent', text: `DTMF ${d.digit} sent (${d.method})`, digit: d.digit, method: d.method });
  for (const d of it.dtmf.received) events.push({ atMs: rel(d.atMs), kind: 'dtmf-received', text: `DTMF ${d.digit} received (${d.method})`, digit: d.digit, method: d.method });
  const end = rel(it.durationMs);
  for (const s of it.speech) events.push({ atMs: rel(s.startMs), endMs: s.endMs !== null ? rel(s.endMs) : end, kind: 'speech', text: 'speech' });
  for (const t of it.tones) events.push({ atMs: rel(t.startMs), endMs: t.endMs !== null ? rel(t.endMs) : end, kind: 'tone', text: `${t.frequency} Hz tone` });
  for (const s of it.steps) {
    if (s.status === 'skipped') continue;
    const e: EvidenceEvent = {
      atMs: rel(s.startMs), endMs: rel(s.startMs + s.durationMs), kind: s.score !== undefined ? 'prompt' : 'step',
      text: `${s.label}${s.status === 'failed' ? `: ${s.error ?? 'failed'}` : s.detail ? `: ${s.detail}` : ''}`,
      status: s.status,
    };
    if (s.score !== undefined) e.score = s.score;
    if (s.threshold !== undefined) e.threshold = s.threshold;
    events.push(e);
  }
  c.events = events.sort((a, b) => a.atMs - b.atMs);
  return c;
}

export function reportPageForCall(s: CallSummaryWithEvidence, generatedAt: string): ReportPage {
  return { title: `umphone call ${s.target}`, kind: 'call', generatedAt, calls: [reportCallFromSummary(s)] };
}

export function reportPageForRun(r: RunResult & { iterations: IterationWithEvidence[] }, generatedAt: string): ReportPage {
  return {
    title: `umphone run ${r.name}`,
    kind: 'run',
    generatedAt,
    passed: r.passed,
    script: r.script,
    durationMs: r.durationMs,
    calls: r.iterations.map((it) => reportCallFromIteration(it)),
  };
}
