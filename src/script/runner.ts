/**
 * Runs a checked script: for each iteration one call (placed, or awaited with `listen:`), its steps in
 * order with a line on the timeline for each, then the hangup and the call's summary. A failing step
 * skips the rest of its iteration (the call is hung up) and the next iteration goes on.
 *
 * A call that cannot be set up fails its iteration as "setup failed" (exit code 3) unless the script
 * expects it: `expect: { sip: 486 }` is then judged against the final status, and the steps that need
 * a call are skipped.
 */
import { resolve } from 'node:path';
import type { Clock } from '../util/clock.js';
import type { Call, CallOptions } from '../phone/call.js';
import type { IncomingCall } from '../phone/incoming-call.js';
import { callInternals } from '../phone/call-core.js';
import { CallFailedError, type CallSummary } from '../phone/call-types.js';
import type { CallListener } from '../phone/waits.js';
import { PromptMismatchError, type PromptOptions, type RecordOptions } from '../phone/wait-types.js';
import type { CallHeader, Iteration, Script, Step } from './types.js';
import { exitCodeOf, type CallOutcome, type DigitRecord, type IterationResult, type RunResult, type StepResult } from './results.js';
import { timelineLine, type Mark } from './timeline.js';
import { checkCallQuality, type QualityThreshold } from './quality-thresholds.js';
import type { CallQuality } from '../phone/call-quality.js';

/** The call a script drives: placed, or taken with `listen:`. */
export type ScriptCall = Call | IncomingCall;

export interface RunOptions {
  /** Places calls (Phone fits). */
  phone: { dial(target: string, options: CallOptions): Call };
  clock: Clock;
  /** Each timeline line as it happens. */
  log?: (line: string) => void;
  /** Recordings are written relative to this folder. Default: the working directory. */
  outDir?: string;
  /** For `listen:` scripts: the next incoming call (rejects after timeoutMs). */
  nextCall?: (timeoutMs: number) => Promise<IncomingCall>;
  /**
   * Analyse the received audio from the answer on (the default: a wait sees a prompt that began before
   * it). False: only from the first step that needs it, which saves the analysis and its history on
   * calls whose steps never listen (a load test's many callers).
   */
  earFromStart?: boolean;
}

class StepFailure extends Error {}

export async function runScript(script: Script, opts: RunOptions): Promise<RunResult> {
  const t0 = opts.clock.now();
  const startedAt = new Date(opts.clock.wallNow()).toISOString();
  const iterations: IterationResult[] = [];
  for (const it of script.iterations) {
    if (script.iterations.length > 1) opts.log?.(`── ${script.name} ${it.index}/${script.iterations.length}${it.label ? ` (${it.label})` : ''}`);
    iterations.push(await runIteration(script, it, opts));
  }
  const exitCode = exitCodeOf(iterations);
  return { script: script.file, name: script.name, startedAt, durationMs: opts.clock.now() - t0, passed: exitCode === 0, exitCode, iterations };
}

/**
 * One iteration of a script (one call and its steps) on the given phone; what `umphone load` runs once
 * per virtual caller. Never throws for a failing call or step: the result says what failed.
 */
export function runIteration(script: Script, it: Iteration, opts: RunOptions): Promise<IterationResult> {
  return new IterationRun(script, it, opts).run();
}

/**
 * One iteration of a script, which is one call and its steps: run() does all of it; begin(), runStep()
 * and end() let a caller interleave steps with its own (the Artillery engine's think, loop, function),
 * so both go through this one interpreter.
 */
export class IterationRun {
  private readonly t0: number;
  private startedAt = '';
  private setup: { answered: boolean; outcome: CallOutcome } | undefined;
  private readonly steps: StepResult[] = [];
  private stepFailed = false;
  /** The call's summary once end() has run. */
  summary: CallSummary | undefined;
  private readonly lines: string[] = [];
  private call: ScriptCall | undefined;
  private listener: CallListener | undefined;
  /** Iteration time (ms) at which the listener started: its times are offset by this. */
  private listenerAt = 0;
  private readonly sent: DigitRecord[] = [];
  private readonly recordings = new Map<string, number>();

  constructor(private readonly script: Pick<Script, 'name' | 'vad' | 'iterations'>, private readonly it: Iteration, private readonly opts: RunOptions) {
    this.t0 = opts.clock.now();
  }

  private rel(): number {
    return this.opts.clock.now() - this.t0;
  }

  private log(mark: Mark, text: string, at = this.rel()): void {
    const l = timelineLine(at, mark, text);
    this.lines.push(l);
    this.opts.log?.(l);
  }

  async run(): Promise<IterationResult> {
    await this.begin();
    for (const step of this.it.steps) await this.runStep(step);
    return this.end();
  }

  /** Places the call (or awaits it with `listen:`); the steps then go one by one through runStep. */
  async begin(): Promise<{ answered: boolean; outcome: CallOutcome }> {
    this.startedAt = new Date(this.opts.clock.wallNow()).toISOString();
    this.setup = this.it.call ? await this.placeCall(this.it.call) : await this.awaitCall();
    return this.setup;
  }

  /** Whether a step has failed (the rest are then skipped). */
  get failed(): boolean {
    return this.stepFailed;
  }

  /** One step: skipped after a failure or without a call, else run; its result is kept for end(). */
  async runStep(step: Step): Promise<StepResult> {
    const setup = this.setup!;
    const base = { index: this.steps.length + 1, line: step.line, label: step.label, kind: step.kind, startMs: this.rel() };
    let res: StepResult;
    if (this.stepFailed || (!setup.answered && step.kind !== 'expect_sip')) {
      const why = this.stepFailed ? 'skipped: an earlier step failed' : 'skipped: no call';
      res = { ...base, status: 'skipped', durationMs: 0, detail: why };
      this.log('skip', `${step.label} (${why.replace('skipped: ', '')})`);
    } else {
      try {
        const r = keep(await this.step(step, setup.outcome));
        res = { ...base, status: 'passed', durationMs: this.rel() - base.startMs, ...r };
        this.log('pass', `${step.label}${r.detail ? ` (${r.detail})` : ''}`);
      } catch (e) {
        const err = e as Error;
        res = { ...base, status: 'failed', durationMs: this.rel() - base.startMs, error: err.message, errorType: err.constructor.name };
        if (e instanceof PromptMismatchError) Object.assign(res, { score: e.score, threshold: e.threshold });
        this.log('fail', `${step.label}: ${err.message}`);
        this.stepFailed = true;
      }
    }
    this.steps.push(res);
    return res;
  }

  /**
   * Hangs the call up if it is still on and gathers the iteration's result. `expectsSip`: a failed
   * setup was expected (an `expect: { sip }` step judges it), so it is not "setup failed".
   */
  async end(expectsSip = this.it.steps.some((s) => s.kind === 'expect_sip')): Promise<IterationResult> {
    const setup = this.setup!;
    const steps = this.steps;
    const call = this.call;
    let summary: CallSummary | undefined;
    if (call) {
      if (call.state !== 'ended') {
        summary = await call.hangup().catch(() => call.ended);
        this.log('end', `hangup (${summary.endedBy ?? 'ended'})`);
      } else {
        summary = await call.ended;
        if (!setup.outcome.setupError) this.log('end', `call ended (${summary.endedBy ?? 'ended'})`);
      }
      this.listener?.detach();
    }
    this.summary = summary;
    const outcome = summary ? { ...setup.outcome, ...outcomeOf(summary, setup.outcome) } : setup.outcome;
    const setupFailed = !setup.answered && !expectsSip;
    const l = this.listener;
    const off = this.listenerAt;
    return {
      index: this.it.index,
      name: `${this.script.name}${this.script.iterations.length > 1 ? ` #${this.it.index}${this.it.label ? ` (${this.it.label})` : ''}` : ''}`,
      vars: this.it.vars,
      startedAt: this.startedAt,
      durationMs: this.rel(),
      passed: !setupFailed && steps.every((s) => s.status !== 'failed'),
      setupFailed,
      call: outcome,
      steps,
      dtmf: {
        sent: this.sent,
        received: (l?.digits ?? []).map((d) => ({ digit: d.digit, method: d.method, atMs: Math.round(off + d.atMs), durationMs: d.durationMs })),
      },
      speech: (l?.segments ?? []).map((s) => ({ startMs: Math.round(off + s.startMs), endMs: s.endMs === undefined ? null : Math.round(off + s.endMs) })),
      tones: (l?.heardTones ?? []).map((t) => ({ frequency: t.frequency, startMs: Math.round(off + t.startMs), endMs: t.endMs === undefined ? null : Math.round(off + t.endMs) })),
      recordings: (summary?.recordings ?? []).map((p) => {
        const d = this.recordings.get(p);
        return d === undefined ? { path: p } : { path: p, durationMs: d };
      }),
      timeline: this.lines,
    };
  }

  // ---- setting the call up ----------------------------------------------------------------------

  /** The call's listener (started with its media): its times are offset by when we first saw it. */
  private attach(): void {
    if (this.listener || !this.call || !callInternals(this.call).media) return;
    this.listener = callInternals(this.call).ear();
    this.listenerAt = this.rel();
  }

  private watch(call: ScriptCall): void {
    this.call = call;
    if (this.script.vad) callInternals(call).configureEar({ vad: this.script.vad });
    const fromStart = this.opts.earFromStart ?? true;
    if (!fromStart) callInternals(call).configureEar({ fromStart: false });
    call.onEvent((e) => {
      if (e.type === 'answered' && fromStart) this.attach();
      // Early media (183 with SDP): the media session starts right after the event.
      if (e.type === 'provisional' && fromStart) queueMicrotask(() => this.attach());
      if (e.type === 'warning') this.log('info', e.message);
    });
  }

  private async placeCall(h: CallHeader): Promise<{ answered: boolean; outcome: CallOutcome }> {
    const call = this.opts.phone.dial(h.target, callOptions(h, this.opts.outDir));
    this.watch(call);
    const at = this.rel();
    let timer: { cancel(): void } | undefined;
    const timedOut = new Promise<'timeout'>((r) => { timer = this.opts.clock.setTimeout(() => r('timeout'), h.setupTimeoutMs); });
    const r = await Promise.race([call.answered.then(() => 'answered' as const, (e: unknown) => e as Error), timedOut]);
    timer?.cancel();
    if (r === 'timeout') await call.hangup().catch(() => undefined);
    const s = call.summary();
    const outcome: CallOutcome = { direction: 'outgoing', target: h.target, ...outcomeOf(s) };
    const chain = s.redirects.map((x) => x.status ?? '…').join(' → ');
    if (r === 'answered') {
      if (this.opts.earFromStart ?? true) this.attach();
      this.log('call', `call ${h.target} (${chain || s.status})`, at);
      return { answered: true, outcome };
    }
    outcome.setupError = r === 'timeout' ? `no answer within ${h.setupTimeoutMs / 1000} s` : r.message;
    if (r instanceof CallFailedError) outcome.failureKind = r.end.kind;
    else if (r === 'timeout') outcome.failureKind = 'timeout';
    this.log('fail', `call ${h.target}: ${outcome.setupError}${chain ? ` (${chain})` : ''}`, at);
    return { answered: false, outcome };
  }

  private async awaitCall(): Promise<{ answered: boolean; outcome: CallOutcome }> {
    const h = this.it.listen!;
    const outcome: CallOutcome = { direction: 'incoming', target: '', callId: '', answered: false, redirects: [], durationMs: 0 };
    if (!this.opts.nextCall) {
      outcome.setupError = 'listen: is not available here (no listener)';
      this.log('fail', outcome.setupError);
      return { answered: false, outcome };
    }
    try {
      const call = await this.opts.nextCall(h.timeoutMs);
      this.watch(call);
      outcome.target = call.requestUri;
      this.log('call', `incoming call from ${call.from} to ${call.requestUri}`);
      if (h.answerAfterMs > 0) await sleep(this.opts.clock, h.answerAfterMs);
      await call.answer();
      if (this.opts.earFromStart ?? true) this.attach();
      Object.assign(outcome, outcomeOf(call.summary()), { answered: true });
      this.log('info', 'answered');
      return { answered: true, outcome };
    } catch (e) {
      outcome.setupError = (e as Error).message;
      this.log('fail', `listen: ${outcome.setupError}`);
      return { answered: false, outcome };
    }
  }

  // ---- the steps --------------------------------------------------------------------------------

  /** The call for a step that needs its media (its listener started, for the report). */
  private need(): ScriptCall {
    const call = this.call!;
    if (call.state === 'ended') throw new StepFailure(`the call has ended (${call.summary().endedBy ?? 'ended'})`);
    this.attach();
    if (!this.listener) throw new StepFailure('the call has no media');
    return call;
  }

  private async step(step: Step, outcome: CallOutcome): Promise<Partial<StepResult>> {
    switch (step.kind) {
      case 'expect_sip': return expectSip(step.statuses, step.chain, outcome, this.call?.summary());
      case 'expect_quality': return expectQuality(step.thresholds, this.call?.summary().quality);
      case 'wait_speech': return this.need().waitForSpeech({ timeout: step.timeoutMs });
      case 'wait_silence': return this.need().waitForSilence({ duration: step.minMs, timeout: step.timeoutMs });
      case 'wait_tone': return this.need().waitForTone({ frequencies: step.frequencies, duration: step.minDurationMs, timeout: step.timeoutMs });
      case 'wait_dtmf': return this.need().waitForDigits({ ...(step.digits ? { digits: step.digits } : {}), timeout: step.timeoutMs });
      case 'expect_dtmf': return this.need().waitForDigits({ digits: step.digits, exact: true, timeout: step.timeoutMs });
      case 'wait_hangup':
      case 'expect_hangup': {
        if (this.call!.state === 'ended') return { detail: `call ended (${this.call!.summary().endedBy ?? 'ended'})` };
        return this.need().waitForEnd({ timeout: step.timeoutMs });
      }
      case 'wait_prompt':
      case 'expect_prompt': {
        const o: PromptOptions = { name: step.file.replace(/^.*\//, ''), timeout: step.timeoutMs };
        if (step.threshold !== undefined) o.threshold = step.threshold;
        if (step.kind === 'expect_prompt' && step.marginMs !== undefined) o.margin = step.marginMs;
        const call = this.need();
        const r = step.kind === 'wait_prompt' ? await call.waitForPrompt(step.audio, o) : await call.expectPrompt(step.audio, o);
        return { detail: r.detail, score: round2(r.score), threshold: r.threshold };
      }
      case 'record': {
        const path = resolve(this.opts.outDir ?? '.', step.file);
        const o: RecordOptions = { until: step.until, maxDuration: step.maxMs, silence: step.silenceMs, frequencies: step.frequencies, stereo: step.stereo };
        if (step.digits) o.digits = step.digits;
        const r = await this.need().record(path, o);
        this.recordings.set(path, r.durationMs);
        return { detail: r.detail, recording: { path, durationMs: r.durationMs, endedBy: r.stoppedBy } };
      }
      case 'play': {
        const call = this.need();
        const p = call.play(step.playback, { loop: step.loop });
        if (!step.wait) return { detail: 'started' };
        await p;
        if (call.state === 'ended') throw new StepFailure(`the call ended (${call.summary().endedBy ?? 'ended'}) while playing`);
        return { detail: `${(step.playback.durationMs / 1000).toFixed(1)} s sent` };
      }
      case 'dtmf': {
        const call = this.need();
        const media = callInternals(call).media!;
        const before = media.digitsSent.length;
        const at = this.rel();
        await call.sendDtmf(step.digits, step.mode ? { mode: step.mode } : {});
        const evs = media.digitsSent.slice(before);
        const first = evs[0]?.startMs ?? 0;
        for (const e of evs) this.sent.push({ digit: e.digit, method: e.method, atMs: Math.round(at + e.startMs - first), durationMs: e.durationMs });
        if (call.state === 'ended') throw new StepFailure(`the call ended (${call.summary().endedBy ?? 'ended'}) while sending DTMF`);
        return { detail: `sent by ${methodName(media.dtmfMode(step.mode))}` };
      }
      case 'pause': {
        // The far end (or Ctrl-C in a load test) may end the call meanwhile: the pause ends with it.
        let timer: { cancel(): void } | undefined;
        const slept = new Promise<void>((r) => { timer = this.opts.clock.setTimeout(r, step.ms); });
        const call = this.call && this.call.state !== 'ended' ? this.call : undefined;
        await (call ? Promise.race([slept, call.ended]) : slept);
        timer?.cancel();
        if (call && call.state === 'ended') throw new StepFailure(`the call ended (${call.summary().endedBy ?? 'ended'}) during the pause`);
        return {};
      }
      case 'hangup': {
        const s = await this.call!.hangup();
        return { detail: s.endedBy ?? 'ended' };
      }
    }
  }
}

function expectSip(statuses: number[], chain: boolean, outcome: CallOutcome, summary: CallSummary | undefined): Partial<StepResult> {
  const hops = (summary?.redirects ?? outcome.redirects).map((h) => h.status);
  const final = summary?.status ?? outcome.status;
  if (chain) {
    const got = hops.map((h) => h ?? 'none').join(' → ');
    if (hops.length !== statuses.length || hops.some((h, k) => h !== statuses[k])) throw new StepFailure(`expected the SIP chain ${statuses.join(' → ')}, got ${got || 'no response'}`);
    return { detail: got };
  }
  if (final !== statuses[0]) {
    throw new StepFailure(`expected SIP ${statuses[0]}, got ${final === undefined ? `no final response (${outcome.setupError ?? 'none'})` : `${final} ${summary?.reason ?? outcome.reason ?? ''}`.trim()}`);
  }
  return { detail: `${final} ${summary?.reason ?? outcome.reason ?? ''}`.trim() };
}

/** Every threshold against the figures so far; a breach fails the step with the figures that breached. */
function expectQuality(thresholds: QualityThreshold[], q: CallQuality | undefined): Partial<StepResult> {
  const outcomes = checkCallQuality(thresholds, q);
  const bad = outcomes.filter((o) => !o.ok);
  if (bad.length > 0) throw new StepFailure(bad.map((o) => o.message).join('; '));
  return { detail: outcomes.map((o) => o.message).join(', ') };
}

function outcomeOf(s: CallSummary, prev?: CallOutcome): Omit<CallOutcome, 'direction' | 'target'> {
  const o: Omit<CallOutcome, 'direction' | 'target'> = {
    callId: s.callId,
    answered: prev?.answered ?? s.answeredAtMs !== undefined,
    redirects: s.redirects,
    durationMs: Math.round(s.durationMs),
  };
  if (s.status !== undefined) o.status = s.status;
  if (s.reason !== undefined) o.reason = s.reason;
  if (s.end !== undefined) o.end = s.end;
  if (s.endedBy !== undefined) o.endedBy = s.endedBy;
  if (s.codec !== undefined) o.codec = s.codec;
  if (s.remoteRtp !== undefined) o.remoteRtp = s.remoteRtp;
  if (s.rtp !== undefined) o.rtp = s.rtp;
  if (s.quality !== undefined) o.quality = s.quality;
  if (s.pcap !== undefined) o.pcap = s.pcap;
  if (prev?.setupError !== undefined) o.setupError = prev.setupError;
  if (prev?.failureKind !== undefined) o.failureKind = prev.failureKind;
  return o;
}

export function callOptions(h: CallHeader, outDir = '.'): CallOptions {
  const o: CallOptions = { diversion: h.diversion, headers: h.headers };
  if (h.from !== undefined) o.from = h.from;
  if (h.name !== undefined) o.name = h.name;
  if (h.to !== undefined) o.to = h.to;
  if (h.diversionReason !== undefined) o.diversionReason = h.diversionReason;
  if (h.historyInfo) o.historyInfo = true;
  if (h.codecs) o.codecs = h.codecs;
  if (h.dtmfMode) o.dtmf = { mode: h.dtmfMode };
  if (h.record) o.record = resolve(outDir, h.record);
  if (h.maxRedirects !== undefined) o.maxRedirects = h.maxRedirects;
  if (h.rtpTimeoutMs !== undefined) o.rtpTimeout = h.rtpTimeoutMs;
  if (h.srtp !== undefined) o.srtp = h.srtp;
  if (h.srtpSuites !== undefined) o.srtpSuites = h.srtpSuites;
  return o;
}

function methodName(m: string): string {
  return m === 'rfc4733' ? 'RFC 4733' : m === 'inband' ? 'in-band tones' : m === 'info' ? 'SIP INFO' : m;
}

/** Only the fields a step result reports (a wait's result carries more). */
function keep(r: Partial<StepResult>): Partial<StepResult> {
  const o: Partial<StepResult> = {};
  if (r.detail !== undefined) o.detail = r.detail;
  if (r.score !== undefined) o.score = round2(r.score);
  if (r.threshold !== undefined) o.threshold = r.threshold;
  if (r.recording !== undefined) o.recording = r.recording;
  return o;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((r) => clock.setTimeout(r, ms));
}
