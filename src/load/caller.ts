/**
 * One virtual caller of a load test: the script resolved with the caller's variables, one iteration run
 * on a phone shared with every other caller, and the figures a load report aggregates (the SIP
 * outcome, post-dial delay and setup time, RTP loss and jitter, MOS when the call has it).
 *
 * `runCaller` is the unit both `umphone load` (engine.ts) and the Artillery engine drive: give it a
 * phone, a clock and a caller's script; it never throws for a failing call or step.
 */
import { readFileSync } from 'node:fs';
import type { Clock } from '../util/clock.js';
import type { Call, CallOptions } from '../phone/call.js';
import type { PlaybackAudio } from '../media/wav/reader.js';
import { parseScript } from '../script/parse.js';
import { runIteration } from '../script/runner.js';
import { ScriptError } from '../script/errors.js';
import type { IterationResult } from '../script/results.js';
import type { Iteration, Script, Step } from '../script/types.js';

export interface CallerScriptsOptions {
  env?: Readonly<Record<string, string | undefined>>;
  vars?: Record<string, string>;
  firstRow?: Record<string, string>;
}

/** A script read once and resolved per caller (its variables substituted, its WAVs shared). */
export class CallerScripts {
  private readonly audio = new Map<string, PlaybackAudio>();
  /** The script as resolved with the base variables: checked at once, so a bad script fails before any call. */
  readonly base: Script;

  private constructor(readonly file: string, private readonly text: string, private readonly env: Readonly<Record<string, string | undefined>>, private readonly vars: Record<string, string>, firstRow: Record<string, string>) {
    this.base = this.parse({ ...firstRow, caller: '1' });
  }

  /**
   * Read and check a script file (throws ScriptError). `vars` are the command line's --var; `firstRow`
   * the first CSV row, whose variables the check needs when the script uses them.
   */
  static load(file: string, o: CallerScriptsOptions = {}): CallerScripts {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new ScriptError(file, 1, `cannot read the script (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    return CallerScripts.fromText(text, file, o);
  }

  static fromText(text: string, file: string, o: CallerScriptsOptions = {}): CallerScripts {
    return new CallerScripts(file, text, o.env ?? {}, o.vars ?? {}, o.firstRow ?? {});
  }

  /**
   * Caller n's script and iteration: its row's variables over --var, plus `${caller}` (1-based). A
   * script with its own foreach:/repeat: gives caller n its iteration ((n-1) mod count) + 1.
   */
  forCaller(n: number, row: Record<string, string> = {}): { script: Script; iteration: Iteration } {
    const script = this.parse({ ...row, caller: String(n) });
    const iteration = script.iterations[(n - 1) % script.iterations.length]!;
    return { script, iteration };
  }

  private parse(extra: Record<string, string>): Script {
    return parseScript(this.text, this.file, { env: this.env, vars: { ...this.vars, ...extra }, audio: this.audio });
  }
}

const LISTENING_STEPS: ReadonlySet<Step['kind']> = new Set(['wait_speech', 'wait_silence', 'wait_tone', 'wait_dtmf', 'wait_prompt', 'expect_dtmf', 'expect_prompt']);

/**
 * Whether a caller must analyse its received audio from the answer on: only when a step listens before
 * any other step has run (a greeting that starts with the answer). Otherwise the analysis starts with
 * the first step that needs it, saving its cost and its history (up to 1.9 MB a call) for many callers.
 */
export function listensFromAnswer(steps: Step[]): boolean {
  const first = steps.find((s) => s.kind !== 'expect_sip');
  return first !== undefined && LISTENING_STEPS.has(first.kind);
}

/** How a caller ended, for the counts of a load report. */
export type CallerOutcome = 'passed' | 'failed' | 'setup-failed' | 'interrupted';

export interface CallerMetrics {
  /** 1-based. */
  caller: number;
  outcome: CallerOutcome;
  /** Short reason of a failure, the key the report counts by: "503", "timeout", "step wait_for speech". */
  reason?: string;
  /** The failed step's label and its message, or the setup error. */
  failedStep?: string;
  error?: string;
  answered: boolean;
  finalStatus?: number;
  /** Dial → first 18x (RFC 6076 session request delay), or → the answer when no 18x came. */
  postDialDelayMs?: number;
  /** Dial → the answer (200 OK). */
  setupMs?: number;
  durationMs: number;
  /** When the caller started, ms from the start of the run (set by the scheduler, engine.ts). */
  startMs?: number;
  endedBy?: string;
  /**
   * `late`: packets that arrived but after their turn to play (the jitter buffer discarded them); the
   * listener loses them like lost ones and the MOS counts them so (docs/quality.md).
   */
  rtp?: { sentPackets: number; receivedPackets: number; lost: number; lossPercent: number; jitterMs: number; late?: number; latePercent?: number };
  /** The call's MOS (E-model) when the call reports one. */
  mos?: number;
}

export interface CallerResult {
  metrics: CallerMetrics;
  /** The full iteration result (steps, timeline, DTMF, recordings), as `umphone run` reports it. */
  result: IterationResult;
}

export interface RunCallerOptions {
  /** Places the call: the shared Phone. */
  phone: { dial(target: string, options: CallOptions): Call };
  clock: Clock;
  /** From CallerScripts.forCaller. */
  script: Script;
  iteration: Iteration;
  /** 1-based number of this caller (for the metrics). */
  caller: number;
  /** Where this caller's recordings go (default: the working directory). */
  outDir?: string;
  /** The call, as soon as it is placed: the engine keeps it to end it on Ctrl-C. */
  onCall?: (call: Call) => void;
  /** Each timeline line. */
  log?: (line: string) => void;
  /** The call was answered: its post-dial delay and setup time so far (for a live progress line). */
  onAnswered?: (m: { postDialDelayMs: number; setupMs: number }) => void;
  /** True once the run was interrupted: a failure after it counts as interrupted, not failed. */
  interrupted?: () => boolean;
}

/** Run one caller's iteration on the given phone and measure it. */
export async function runCaller(o: RunCallerOptions): Promise<CallerResult> {
  let dialAt: number | undefined;
  let ringingAt: number | undefined;
  let answerAt: number | undefined;
  let call: Call | undefined;
  const phone = {
    dial: (target: string, options: CallOptions): Call => {
      dialAt = o.clock.now();
      const c = o.phone.dial(target, options);
      call = c;
      c.onEvent((e) => {
        if (e.type === 'provisional' && e.status >= 180 && e.status <= 189) ringingAt ??= o.clock.now();
        if (e.type === 'answered' && answerAt === undefined) {
          answerAt = o.clock.now();
          const setupMs = answerAt - dialAt!;
          o.onAnswered?.({ setupMs, postDialDelayMs: ringingAt !== undefined ? ringingAt - dialAt! : setupMs });
        }
      });
      o.onCall?.(c);
      return c;
    },
  };
  const result = await runIteration(o.script, o.iteration, {
    phone, clock: o.clock, earFromStart: listensFromAnswer(o.iteration.steps),
    ...(o.outDir !== undefined ? { outDir: o.outDir } : {}),
    ...(o.log ? { log: o.log } : {}),
  });
  const summary = call ? (call as Call).summary() : undefined;
  // The call's own quality model (src/phone/call-quality.ts): MOS, and post-dial delay measured on the
  // INVITE's responses through redirects and challenges; the events above stand in when it is absent.
  const quality = summary?.quality;
  const c = result.call;
  const m: CallerMetrics = { caller: o.caller, outcome: 'passed', answered: c.answered, durationMs: result.durationMs };
  if (c.status !== undefined) m.finalStatus = c.status;
  if (c.endedBy !== undefined) m.endedBy = c.endedBy;
  const pdd = quality?.postDialDelay;
  const toAnswer = pdd?.toAnswerMs ?? (dialAt !== undefined && answerAt !== undefined ? answerAt - dialAt : undefined);
  const toRinging = pdd?.toRingingMs ?? (dialAt !== undefined && ringingAt !== undefined && (answerAt === undefined || ringingAt <= answerAt) ? ringingAt - dialAt : undefined);
  if (toRinging !== undefined || toAnswer !== undefined) m.postDialDelayMs = Math.round(toRinging ?? toAnswer!);
  if (toAnswer !== undefined) m.setupMs = Math.round(toAnswer);
  if (c.rtp) {
    m.rtp = {
      sentPackets: c.rtp.sent.packets, receivedPackets: c.rtp.received.packets, lost: c.rtp.received.lost,
      lossPercent: c.rtp.received.lossPercent, jitterMs: c.rtp.received.jitterMs,
    };
    const q = quality?.received;
    if (q) {
      m.rtp.late = q.late;
      m.rtp.latePercent = q.expected > 0 ? (100 * q.late) / q.expected : 0;
    }
  }
  if (quality?.mos !== undefined) m.mos = quality.mos;
  const stopped = o.interrupted?.() ?? false;
  // An answered call the network ended (no RTP, a lost connection, a session timer) failed even when
  // every step passed: a load tool counts it so (SIPp's failed calls).
  const brokenEnd = c.answered && c.end !== undefined && ['media-timeout', 'transport', 'timeout', 'error'].includes(c.end.kind);
  if (result.setupFailed) {
    m.outcome = stopped ? 'interrupted' : 'setup-failed';
    m.reason = stopped ? 'interrupted' : setupReason(c.status, c.failureKind);
    m.failedStep = 'call';
    if (c.setupError !== undefined) m.error = c.setupError;
  } else if (!result.passed) {
    const f = result.steps.find((s) => s.status === 'failed');
    m.outcome = stopped ? 'interrupted' : 'failed';
    // A step that failed because the network ended the call is counted by that cause (media-timeout ...).
    m.reason = stopped ? 'interrupted' : brokenEnd ? c.end!.kind : `step ${f?.label ?? '?'}`;
    if (f) {
      m.failedStep = f.label;
      if (f.error !== undefined) m.error = f.error;
    }
  } else if (brokenEnd && !stopped) {
    m.outcome = 'failed';
    m.reason = c.end!.kind;
    m.failedStep = 'call';
    m.error = c.endedBy ?? c.end!.kind;
  }
  return { metrics: m, result };
}

/** "503", "timeout", "transport": what a setup failure is counted as. */
function setupReason(status: number | undefined, kind: string | undefined): string {
  if (status !== undefined && status >= 300) return String(status);
  return kind ?? 'setup';
}
