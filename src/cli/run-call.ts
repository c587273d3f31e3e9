/**
 * `umphone call`: the wiring around one Phone and one Call. Everything about SIP and media lives below
 * (phone/); this file opens what the command line asked for, prints progress, the status line and the
 * summary, turns Ctrl-C into CANCEL or BYE, feeds keys to DTMF, and returns the exit code.
 *
 *   load --play ── open the sound card (optional) ── Phone.create ── dial ──▶ progress lines
 *        answered ──▶ --dtmf-sequence, keys, --duration timer, status line
 *        ended ─────▶ summary, --json, exit code (exit-codes.ts)
 *
 * Interrupts (SIGINT, SIGTERM, Ctrl-C or `h` in raw mode): before the answer the INVITE is cancelled
 * and the exit code is 130; after it a BYE ends the call normally (0). A second interrupt while hanging
 * up leaves at once: recordings stay valid because the WAV writer patches its header as it goes.
 */
import { reportRtpRealtime } from './realtime.js';
import { writeFileSync } from 'node:fs';
import { RealClock, type TimerHandle } from '../util/clock.js';
import { Phone } from '../phone/phone.js';
import { openRealTransports, type RealTlsOptions, type RealTransports } from '../phone/real-transports.js';
import { LIVE_INPUT_LEAD_MS } from '../rtp/rtp-transport.js';
import { readTlsFiles, TLS_INSECURE_WARNING } from './tls-options.js';
import { SRTP_CLEAR_KEYS_WARNING } from './srtp-options.js';
import type { Call } from '../phone/call.js';
import { callInternals } from '../phone/call-core.js';
import type { CallSummary } from '../phone/call-types.js';
import { describeEnd } from '../phone/end-reason.js';
import { loadWavForPlayback, type PlaybackAudio } from '../media/wav/reader.js';
import type { OpenedAudio } from '../media/device/open.js';
import type { CallSettings } from './call-settings.js';
import type { CliIo } from './context.js';
import { oneLine } from './context.js';
import { ConsoleView } from './console-view.js';
import { ExitCode, exitCodeForEnd } from './exit-codes.js';
import { KEY_HELP, keyActions, type KeyAction } from './keys.js';
import { ProgressFormatter } from './progress.js';
import { openSoundCard } from './sound-card.js';
import { formatStatusLine } from './status-line.js';
import { formatSummary } from './summary.js';
import { checkCallQuality } from '../script/quality-thresholds.js';
import { formatTrace } from './trace.js';
import { callReportPage, writeReport } from './report-file.js';
import type { CallSummaryWithEvidence } from '../report/model.js';

const STATUS_REFRESH_MS = 500;

export async function runCall(s: CallSettings, io: CliIo): Promise<number> {
  const clock = new RealClock();
  const interactive = io.rawInput !== undefined && io.stdoutIsTTY;
  const view = new ConsoleView(io, { quiet: s.quiet, statusLine: interactive });
  const fail = (code: number, text: string): number => {
    view.error(`umphone: ${oneLine(text)}`);
    return code;
  };

  // A bad --play file is a usage error, found before anything is sent.
  let play: PlaybackAudio | undefined;
  if (s.playPath !== undefined) {
    try {
      play = await loadWavForPlayback(s.playPath);
    } catch (e) {
      return fail(ExitCode.usage, `--play ${(e as Error).message}`);
    }
  }

  let localIp = s.localIp;
  if (localIp === undefined) {
    try {
      localIp = await Phone.localIpFor(s.targetHost);
    } catch (e) {
      return fail(ExitCode.transport, `cannot reach ${s.targetHost}: ${(e as Error).message}`);
    }
  }

  let tls: RealTlsOptions;
  try {
    tls = readTlsFiles(s.tls);
  } catch (e) {
    return fail(ExitCode.usage, (e as Error).message);
  }
  if (s.tls.insecure) view.error(TLS_INSECURE_WARNING);
  if (s.call.srtp && s.call.srtp !== 'off' && s.transport !== 'tls' && !/^sips:/i.test(s.target) && !/;transport=tls/i.test(s.target)) {
    view.error(SRTP_CLEAR_KEYS_WARNING);
  }

  const audio = await openSoundCard(s, io, clock, (line) => view.error(line));

  let transports: RealTransports;
  try {
    transports = await openRealTransports({
      localIp,
      ...(s.localPort !== undefined ? { localPort: s.localPort } : {}),
      clock,
      ...s.rtp,
      // The sound card's microphone is live: its frames go out with a short lookahead, not the bulk default.
      ...(audio ? { rtpLeadMs: LIVE_INPUT_LEAD_MS } : {}),
      tls,
    });
  } catch (e) {
    await audio?.close();
    return fail(ExitCode.transport, `cannot listen on ${localIp}${s.localPort !== undefined ? `:${s.localPort}` : ''}: ${(e as Error).message}`);
  }
  const phone = new Phone(transports, {
    localIp,
    transport: s.transport,
    ...(s.credentials ? { credentials: s.credentials } : {}),
    ...(s.verbose ? {
      onTrace: (e) => view.block(formatTrace(e, { color: io.stdoutIsTTY })),
      log: (line: string) => view.line(`· ${line}`),
    } : {}),
  });
  reportRtpRealtime(transports.media, io);
  const run = new CallRun(s, io, view, clock, phone, play, audio);
  let code: number;
  try {
    code = await run.execute();
  } finally {
    run.cleanup();
    await phone.close().catch(() => undefined);
    await audio?.close().catch(() => undefined);
  }
  // Written once the phone is closed: the evidence then holds the answer to our BYE too.
  run.writeOutputs();
  return code;
}

/** One call from dial to summary; holds the state the handlers share. */
class CallRun {
  private call!: Call;
  private summary: CallSummary | undefined;
  private startedAt = 0;
  private answeredAt: number | undefined;
  private interrupts = 0;
  private interruptedBeforeAnswer = false;
  private midCallFailure: string | undefined;
  private queuedKeys = '';
  private readonly disposers: Array<() => void> = [];
  private readonly timers: TimerHandle[] = [];
  private statusTimer: TimerHandle | undefined;
  private readonly progress = new ProgressFormatter();

  constructor(
    private readonly s: CallSettings,
    private readonly io: CliIo,
    private readonly view: ConsoleView,
    private readonly clock: RealClock,
    private readonly phone: Phone,
    private readonly play: PlaybackAudio | undefined,
    private readonly audio: OpenedAudio | undefined,
  ) {}

  async execute(): Promise<number> {
    const s = this.s;
    this.startedAt = this.clock.now();
    this.call = this.phone.dial(s.target, {
      ...s.call,
      ...(this.play ? { play: this.play } : {}),
      ...(this.audio ? { output: this.audio.output, input: this.audio.input } : {}),
    });
    this.call.onEvent((e) => {
      if (e.type === 'warning') this.view.error(`umphone: warning: ${e.message}`);
      else for (const line of this.progress.format(e, this.clock.now() - this.startedAt)) this.view.line(line);
      this.redrawStatus();
    });
    for (const sig of ['SIGINT', 'SIGTERM'] as const) this.disposers.push(this.io.onSignal(sig, () => this.interrupt(sig)));
    if (this.io.rawInput && this.io.stdoutIsTTY) {
      this.disposers.push(this.io.rawInput.start((chunk) => this.onKeys(chunk)));
      this.view.line(KEY_HELP);
      this.tickStatus();
    }

    // `answered` rejects (CallFailedError) whenever the call ends without an answer.
    const failure = await this.call.answered.then(() => undefined, (e: Error) => e);
    if (failure === undefined) this.onAnswered();
    const summary = await this.call.ended;
    const answered = summary.answeredAtMs !== undefined;
    let code: number = exitCodeForEnd(summary.end!, answered);
    if (this.interruptedBeforeAnswer && !answered) code = ExitCode.interrupted;
    if (failure) this.midCallFailure = failure.message;
    else if (code !== ExitCode.ok) this.midCallFailure ??= describeEnd(summary.end!);
    else if (this.midCallFailure !== undefined) code = ExitCode.callFailed;
    this.finish(summary);
    if (code === ExitCode.ok && this.s.expect.length > 0) {
      const outcomes = checkCallQuality(this.s.expect, summary.quality);
      for (const o of outcomes) if (o.ok) this.view.line(`✓ ${o.message}`);
      const bad = outcomes.filter((o) => !o.ok);
      if (bad.length > 0) {
        code = ExitCode.callFailed;
        this.midCallFailure = `quality: ${bad.map((o) => o.message).join('; ')}`;
      }
    }
    if (code === ExitCode.interrupted) this.view.error('umphone: interrupted: the call was cancelled before it was answered');
    else if (code !== ExitCode.ok) this.view.error(`umphone: ${oneLine(this.midCallFailure ?? 'the call failed')}`);
    return code;
  }

  cleanup(): void {
    for (const t of this.timers.splice(0)) t.cancel();
    this.statusTimer?.cancel();
    this.statusTimer = undefined;
    for (const d of this.disposers.splice(0).reverse()) d();
    this.view.clearStatus();
  }

  private onAnswered(): void {
    this.answeredAt = this.clock.now();
    const s = this.s;
    if (s.durationMs !== undefined) {
      this.timers.push(this.clock.setTimeout(() => {
        this.view.line(`duration of ${s.durationMs! / 1000} s reached: hanging up`);
        void this.call.hangup();
      }, s.durationMs));
    }
    const digits = (s.dtmfSequence ?? '') + this.queuedKeys;
    this.queuedKeys = '';
    if (digits !== '') this.sendDtmf(digits, s.dtmfSequence !== undefined);
  }

  private sendDtmf(digits: string, announce: boolean): void {
    this.call.sendDtmf(digits).then(
      () => {
        if (announce) this.view.line(`▶ DTMF sent: ${digits}`);
        this.redrawStatus();
      },
      (e: unknown) => {
        this.midCallFailure = `DTMF ${digits} not sent: ${(e as Error).message}`;
        this.view.error(`umphone: ${this.midCallFailure}`);
      },
    );
    this.redrawStatus();
  }

  private finish(summary: CallSummary): void {
    this.cleanup();
    this.summary = summary;
    this.view.block(formatSummary(summary));
  }

  /** --json (the summary with its evidence) and --report (the HTML page). */
  writeOutputs(): void {
    if (!this.summary) return;
    const evidence = this.call.evidence;
    const full: CallSummaryWithEvidence = { ...this.summary, ...(evidence ? { evidence: evidence.toJSON() } : {}) };
    if (this.s.jsonPath !== undefined) {
      try {
        writeFileSync(this.s.jsonPath, `${JSON.stringify(full, null, 2)}\n`);
      } catch (e) {
        this.view.error(`umphone: --json ${this.s.jsonPath}: ${(e as Error).message}`);
      }
    }
    if (this.s.reportPath !== undefined) {
      try {
        writeReport(this.s.reportPath, callReportPage(full, this.s.reportPath));
        this.view.line(`Report       ${this.s.reportPath}`);
      } catch (e) {
        this.view.error(`umphone: --report ${this.s.reportPath}: ${(e as Error).message}`);
      }
    }
  }

  private interrupt(why: string): void {
    this.interrupts++;
    if (this.interrupts > 1) {
      this.cleanup();
      this.view.error('umphone: interrupted twice: quitting at once');
      this.io.exitNow(this.answeredAt === undefined ? ExitCode.interrupted : ExitCode.ok);
    }
    const before = this.call.state === 'calling' || this.call.state === 'ringing';
    if (before) this.interruptedBeforeAnswer = true;
    if (this.call.state === 'ended') return;
    this.view.line(`${why}: ${before ? 'cancelling the call (CANCEL)' : 'hanging up (BYE)'}`);
    void this.call.hangup();
  }

  private onKeys(chunk: string): void {
    for (const action of keyActions(chunk)) this.onKey(action);
    this.redrawStatus();
  }

  private onKey(a: KeyAction): void {
    switch (a.type) {
      case 'dtmf':
        // Keys typed before the answer wait for it; after it each goes to the DTMF queue at once
        // (the media session sends them in order, none lost).
        if (this.answeredAt === undefined || !callInternals(this.call).media) this.queuedKeys += a.digit;
        else this.sendDtmf(a.digit, false);
        return;
      case 'hangup':
        return this.interrupt(a.key === 'ctrl-c' ? 'Ctrl-C' : a.key === 'ctrl-d' ? 'Ctrl-D' : 'h');
      case 'mute': {
        const media = callInternals(this.call).media;
        if (!media) return this.view.line('nothing to mute yet: the call has no media');
        media.setMuted(!media.isMuted);
        return this.view.line(media.isMuted ? 'microphone muted' : 'microphone on');
      }
      case 'help':
        return this.view.line(KEY_HELP);
    }
  }

  private tickStatus(): void {
    this.redrawStatus();
    if (this.call.state === 'ended') return;
    this.statusTimer = this.clock.setTimeout(() => this.tickStatus(), STATUS_REFRESH_MS);
  }

  private redrawStatus(): void {
    if (!this.io.rawInput || this.call.state === 'ended') return;
    const media = callInternals(this.call).media;
    const st = media?.stats();
    const now = this.clock.now();
    this.view.setStatus(formatStatusLine({
      state: this.call.state,
      elapsedMs: now - (this.answeredAt ?? this.startedAt),
      digitsSent: (media?.digitsSent.map((d) => d.digit).join('') ?? '') + this.queuedKeys,
      digitsReceived: media?.digitsReceived.map((d) => d.digit).join('') ?? '',
      ...(st ? { rtp: { sent: st.sent.packets, received: st.received.packetsReceived, lost: Math.max(0, st.received.lost) } } : {}),
      muted: media?.isMuted ?? false,
    }, this.io.columns()));
  }
}

