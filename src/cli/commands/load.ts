/**
 * `umphone load <script.yaml>`: run a caller script as many virtual callers from one process (one
 * phone: one SIP stack and the RTP engine shared), paced by rate, capped by concurrency, with a live
 * progress line on stderr and, at the end, the report (stdout), `--json` and `--junit` files and the
 * `--expect` thresholds that set the exit code. The engine is src/load; this file is its command line.
 *
 * Exit codes: 0 every caller passed (or, with --expect, every threshold held), 1 a caller failed (or a
 * threshold broke), 2 bad usage or script, 8 the SIP transports could not be opened, 130 interrupted.
 */
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv, CommandModule } from 'yargs';
import { applyRealtime, engineLine, REALTIME_OPTIONS, reportRtpRealtime, rtpEngineChoice, type RealtimeArgv, type RtpEngineChoice } from '../realtime.js';
import { RealClock } from '../../util/clock.js';
import { parseDuration } from '../../util/duration.js';
import { Phone } from '../../phone/phone.js';
import type { Call, CallOptions } from '../../phone/call.js';
import { renderReport } from '../../report/page.js';
import { loadReportPage } from '../report-file.js';
import { openRealTransports, type RealTransports } from '../../phone/real-transports.js';
import { parseTarget } from '../../phone/call-headers.js';
import { ScriptError } from '../../script/errors.js';
import { parseCsv, CsvError } from '../../script/csv.js';
import { CallerScripts } from '../../load/caller.js';
import { LoadRun, type CallerRecord, type LoadOptions } from '../../load/engine.js';
import { checkThresholds, ExpectError, parseThreshold, type Threshold } from '../../load/expect.js';
import { progressLine, reportText } from '../../load/format.js';
import { loadJsonReport, loadJunitReport } from '../../load/report.js';
import { contextOf, UsageError, type CliContext } from '../context.js';
import { ExitCode } from '../exit-codes.js';

export interface LoadArgv {
  file: string;
  calls?: number;
  duration?: string;
  rate: number;
  concurrency?: number;
  ramp?: string;
  var?: string[];
  csv?: string;
  'csv-order': 'sequential' | 'random';
  expect?: string[];
  json?: string;
  junit?: string;
  report?: string;
  out?: string;
  'rtp-ports'?: string;
  'local-ip'?: string;
  'local-port'?: number;
  transport: 'tcp' | 'udp';
  user?: string;
  password?: string;
  'stop-grace': string;
  quiet?: boolean;
}

/** Failed callers whose full evidence goes into the HTML page (the rest are rows of its table). */
const MAX_FAILED_SECTIONS = 20;

const EPILOG = [
  'Examples:',
  '  100 callers leaving a message on the built-in server, 10 a second, at most 50 at once:',
  '    umphone load scripts/examples/load-leave-message.yaml --calls 100 --rate 10 --concurrency 50',
  '  Ten minutes ramping up over 30 s, each caller its own mailbox and PIN, thresholds for CI:',
  '    umphone load login.yaml --duration 10m --rate 5 --ramp 30s --csv mailboxes.csv \\',
  '      --expect "asr>=99%" --expect "pdd_p95<2s" --expect "failed<1%" --junit load.xml --json load.json',
  '',
  'Thresholds: asr, failed (%), failed_calls, answered, started, passed, and pdd_/setup_ (times: 2s, 250ms),',
  'loss_ (%), jitter_ (ms), mos_ with p5, p50, p95, p99, min, mean, max; ops < <= > >= ==. See docs/load.md.',
  '',
  'Exit codes: 0 every caller passed (with --expect: every threshold held), 1 a caller failed (a threshold',
  'broke), 2 bad usage or script, 8 the SIP transports could not be opened, 130 interrupted (Ctrl-C; the',
  'reports are still written; a second Ctrl-C quits at once).',
].join('\n');

function builder(y: Argv): Argv<LoadArgv> {
  return y
    .positional('file', { describe: 'The caller script (YAML), as for umphone run', type: 'string', demandOption: true })
    .options({
      ...REALTIME_OPTIONS,
      calls: { type: 'number', describe: 'Start this many callers (default 1 without --duration)' },
      duration: { type: 'string', describe: 'Start callers for this long (10m, 90s); with --calls, whichever comes first' },
      rate: { type: 'number', default: 10, describe: 'Callers started per second (at full rate)' },
      concurrency: { type: 'number', describe: 'At most this many callers at once (default: no limit)' },
      ramp: { type: 'string', describe: 'Raise the rate linearly from 0 over this long (30s)' },
      var: { type: 'string', array: true, describe: 'Set a script variable for every caller: --var server=10.0.0.5 (repeatable)' },
      csv: { type: 'string', describe: 'A CSV whose header names variables; each caller takes a row (its extension, PIN ...)' },
      'csv-order': { choices: ['sequential', 'random'] as const, default: 'sequential' as const, describe: 'Rows in file order (wrapping around) or at random' },
      expect: { type: 'string', array: true, describe: 'A threshold that sets the exit code: "asr>=99%", "pdd_p95<2s", "mos_p5>=3.8" (repeatable)' },
      json: { type: 'string', describe: 'Write the report and one row per caller as JSON to this file' },
      junit: { type: 'string', describe: 'Write a JUnit XML report (a testcase per caller and per threshold) to this file' },
      report: { type: 'string', describe: `Write the HTML report (*.html): figures, charts, every caller's row, and the SIP ladder, timeline and quality of the first ${MAX_FAILED_SECTIONS} failed callers and one that passed` },
      out: { type: 'string', describe: 'Keep recordings here, one folder per caller (default: a temporary folder, removed at the end)' },
      'rtp-ports': { type: 'string', describe: 'RTP port range of the calls: 20000-29999 (each call takes two)' },
      'local-ip': { type: 'string', describe: 'Address to bind and advertise (default: the one routing to the target)' },
      'local-port': { type: 'number', describe: 'SIP port to listen on (default: any free port)' },
      transport: { choices: ['tcp', 'udp'] as const, default: 'tcp' as const, describe: 'Transport when a target names none' },
      user: { type: 'string', describe: 'Digest user name (401/407 challenges)' },
      password: { type: 'string', describe: 'Digest password' },
      'stop-grace': { type: 'string', default: '5s', describe: 'After Ctrl-C, how long to wait for the calls to end' },
      quiet: { alias: 'q', type: 'boolean', describe: 'No progress line (the report is still printed)' },
    })
    .epilog(EPILOG) as unknown as Argv<LoadArgv>;
}

export const loadCommand: CommandModule<object, LoadArgv> = {
  command: 'load <file>',
  describe: 'Run a caller script as many virtual callers (rate, concurrency, thresholds) and report',
  builder,
  handler: async (argv) => {
    const ctx = contextOf(argv);
    const rtp = rtpEngineChoice(argv as RealtimeArgv);
    await applyRealtime(argv as RealtimeArgv, ctx.io);
    ctx.exitCode = await runLoadCommand(argv, ctx, rtp);
  },
};

interface Settings {
  calls?: number;
  durationMs?: number;
  rate: number;
  concurrency?: number;
  rampMs?: number;
  vars: Record<string, string>;
  rows?: Array<Record<string, string>>;
  thresholds: Threshold[];
  rtpPortRange?: { min: number; max: number };
  stopGraceMs: number;
}

const positiveInt = (n: number | undefined, what: string): void => {
  if (n !== undefined && (!Number.isInteger(n) || n < 1)) throw new UsageError(`${what} ${n}: a whole number from 1`);
};

function duration(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  try {
    return parseDuration(text, { bareUnit: 's' });
  } catch (e) {
    throw new UsageError(`${what} ${text}: ${(e as Error).message}`);
  }
}

/** Check the command line before anything opens. Throws UsageError. */
export function loadSettings(a: LoadArgv): Settings {
  positiveInt(a.calls, '--calls');
  positiveInt(a.concurrency, '--concurrency');
  if (a.report !== undefined && !/\.html?$/i.test(a.report)) throw new UsageError(`--report ${a.report}: the HTML report's file name ends in .html`);
  if (!(typeof a.rate === 'number' && a.rate > 0 && Number.isFinite(a.rate))) throw new UsageError(`--rate ${a.rate}: calls per second above 0`);
  const s: Settings = { rate: a.rate, vars: {}, thresholds: [], stopGraceMs: duration(a['stop-grace'], '--stop-grace') ?? 5000 };
  if (a.calls !== undefined) s.calls = a.calls;
  if (a.concurrency !== undefined) s.concurrency = a.concurrency;
  const d = duration(a.duration, '--duration');
  if (d !== undefined) {
    if (d <= 0) throw new UsageError(`--duration ${a.duration}: above 0`);
    s.durationMs = d;
  }
  const ramp = duration(a.ramp, '--ramp');
  if (ramp !== undefined) s.rampMs = ramp;
  for (const v of a.var ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(v);
    if (!m) throw new UsageError(`--var ${v}: write name=value`);
    s.vars[m[1]!] = m[2]!;
  }
  if (a.csv !== undefined) {
    let text: string;
    try {
      text = readFileSync(a.csv, 'utf8');
    } catch (e) {
      throw new UsageError(`--csv ${a.csv}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      s.rows = parseCsv(text).rows.map((r) => r.values);
    } catch (e) {
      if (e instanceof CsvError) throw new UsageError(`--csv ${a.csv}:${e.line}: ${e.message}`);
      throw e;
    }
    if (s.rows.length === 0) throw new UsageError(`--csv ${a.csv}: a header but no rows`);
  }
  for (const t of a.expect ?? []) {
    try {
      s.thresholds.push(parseThreshold(t));
    } catch (e) {
      if (e instanceof ExpectError) throw new UsageError(e.message);
      throw e;
    }
  }
  if (a['rtp-ports'] !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(a['rtp-ports']);
    const min = Number(m?.[1]);
    const max = Number(m?.[2]);
    if (!m || min < 1024 || max > 65535 || max - min < 3) throw new UsageError(`--rtp-ports ${a['rtp-ports']}: write MIN-MAX within 1024-65535, at least 4 ports`);
    s.rtpPortRange = { min, max };
  }
  return s;
}

/** The soft limit of open files (Linux /proc; undefined elsewhere). */
function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function runLoadCommand(a: LoadArgv, ctx: CliContext, rtp: RtpEngineChoice = {}): Promise<number> {
  const io = ctx.io;
  let s: Settings;
  let scripts: CallerScripts;
  try {
    s = loadSettings(a);
    scripts = CallerScripts.load(a.file, { env: io.env, vars: s.vars, ...(s.rows ? { firstRow: s.rows[0]! } : {}) });
    // Every row must resolve (a typo in the CSV fails now, not at caller 517).
    for (const [k, row] of (s.rows ?? []).entries()) scripts.forCaller(k + 1, row);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScriptError) {
      io.err(`${e instanceof UsageError ? 'umphone: ' : ''}${e.message}\n`);
      return ExitCode.usage;
    }
    throw e;
  }
  const base = scripts.base;
  const clock = new RealClock();
  let localIp = a['local-ip'];
  const first = base.iterations[0]?.call?.target;
  if (!localIp && first) {
    try {
      localIp = await Phone.localIpFor(parseTarget(first, a.transport).host);
    } catch {
      localIp = '127.0.0.1';
    }
  }
  let transports: RealTransports;
  try {
    transports = await openRealTransports({ localIp: localIp ?? '127.0.0.1', clock, ...(a['local-port'] !== undefined ? { localPort: a['local-port'] } : {}), ...rtp });
  } catch (e) {
    io.err(`umphone: cannot open the SIP transports: ${(e as Error).message}\n`);
    return ExitCode.transport;
  }
  const phone = new Phone(transports, {
    localIp: localIp ?? '127.0.0.1',
    transport: a.transport,
    ...(s.rtpPortRange ? { rtpPortRange: s.rtpPortRange } : {}),
    ...(a.user && a.password ? { credentials: { username: a.user, password: a.password } } : {}),
  });
  // The HTML page shows some callers' calls in full: every call collects its evidence (its SIP messages
  // and events, a few kilobytes), and only the kept callers' survive their call.
  const dialer = a.report === undefined ? phone : { dial: (target: string, options: CallOptions) => phone.dial(target, { ...options, evidence: true }) };
  const kept: Array<{ record: CallerRecord; call: Call }> = [];
  let failedKept = 0;
  let failedNotShown = 0;
  let passedKept = 0;
  const keep = (r: CallerRecord, call: Call | undefined): void => {
    if (a.report === undefined || !call || !r.result) return;
    if (r.metrics.outcome === 'passed') {
      if (passedKept++ < 1) kept.push({ record: r, call });
    } else if (r.metrics.outcome !== 'interrupted') {
      if (failedKept++ < MAX_FAILED_SECTIONS) kept.push({ record: r, call });
      else failedNotShown++;
    }
  };
  reportRtpRealtime(transports.media, io);
  const most = s.concurrency ?? s.calls;
  const limit = openFileLimit();
  // Each call holds two UDP sockets (RTP, RTCP), and a recording one file: past the limit, calls fail with EMFILE.
  if (most !== undefined && limit !== undefined && most * 3 + 64 > limit) {
    io.err(`umphone load: warning: up to ${most} calls need about ${most * 3 + 64} open files; this process may open ${limit} (raise it with ulimit -n)\n`);
  }
  const tempOut = a.out === undefined ? mkdtempSync(join(tmpdir(), 'umphone-load-')) : undefined;
  const o: LoadOptions = {
    phone: dialer, clock, scripts, rate: s.rate, onCallerDone: keep, order: a['csv-order'], outDir: resolve(a.out ?? tempOut!), stopGraceMs: s.stopGraceMs,
    ...(s.calls !== undefined ? { calls: s.calls } : {}),
    ...(s.durationMs !== undefined ? { durationMs: s.durationMs } : {}),
    ...(s.concurrency !== undefined ? { concurrency: s.concurrency } : {}),
    ...(s.rampMs !== undefined ? { rampMs: s.rampMs } : {}),
    ...(s.rows ? { rows: s.rows } : {}),
    // Without --json, a caller's steps and timeline are not kept (memory over a long run).
    keepResults: a.json !== undefined || a.junit !== undefined,
  };
  const run = new LoadRun(o);
  const tty = io.stderrIsTTY === true;
  let progress: { cancel(): void } | undefined;
  const draw = (final = false): void => {
    const line = progressLine(run.snapshot());
    if (tty) io.err(`\r\u001b[2K${line.slice(0, Math.max(20, io.columns() - 1))}${final ? '\n' : ''}`);
    else io.err(`${line}\n`);
  };
  const tickProgress = (): void => {
    draw();
    progress = clock.setTimeout(tickProgress, 1000);
  };
  if (!a.quiet) progress = clock.setTimeout(tickProgress, 1000);
  let signals = 0;
  const offs = (['SIGINT', 'SIGTERM'] as const).map((sig) => io.onSignal(sig, () => {
    if (++signals > 1) io.exitNow(ExitCode.interrupted);
    const active = run.snapshot().active;
    io.err(`${tty ? '\n' : ''}umphone load: stopping: ending ${active} call(s) (BYE or CANCEL); Ctrl-C again quits at once\n`);
    run.stop();
  }));
  let code: number;
  let writeHtml: (() => void) | undefined;
  try {
    const result = await run.run();
    progress?.cancel();
    if (!a.quiet) draw(true);
    const checks = checkThresholds(result.stats, s.thresholds);
    io.out(reportText({ name: base.name, durationMs: result.durationMs, interrupted: result.interrupted }, result.stats, checks));
    const engineStats = transports.media.engine?.stats();
    const sent = engineStats ? engineLine(engineStats) : undefined;
    if (sent) io.out(`  ${sent}\n`);
    const head = {
      script: a.file, name: base.name,
      ...(engineStats ? { rtpEngine: engineStats } : {}),
      settings: { calls: s.calls ?? null, durationMs: s.durationMs ?? null, rate: s.rate, concurrency: s.concurrency ?? null, rampMs: s.rampMs ?? null, csv: a.csv ?? null, csvOrder: a['csv-order'], vars: s.vars },
    };
    const write = (file: string | undefined, text: () => string): void => {
      if (file === undefined) return;
      try {
        writeFileSync(file, text());
      } catch (e) {
        io.err(`umphone: cannot write ${file}: ${(e as Error).message}\n`);
      }
    };
    write(a.json, () => loadJsonReport(head, result, checks));
    write(a.junit, () => loadJunitReport(head, result, checks, { attachments: a.report !== undefined ? [a.report] : [] }));
    // Written once the phone is closed, so the kept calls' evidence holds the answers to our BYEs.
    const html = a.report;
    if (html !== undefined) {
      writeHtml = () => write(html, () => renderReport(loadReportPage({
        script: a.file, name: base.name, settings: head.settings, result, checks, engineLine: sent, failedNotShown,
        kept: kept.sort((x, y) => x.record.metrics.caller - y.record.metrics.caller).map(({ record, call }) => ({
          metrics: record.metrics, iteration: { ...record.result!, ...(call.evidence ? { evidence: call.evidence.toJSON() } : {}) },
        })),
      }, html)));
    }
    if (result.interrupted) code = ExitCode.interrupted;
    else if (s.thresholds.length > 0) code = checks.every((c) => c.ok) ? ExitCode.ok : ExitCode.callFailed;
    else code = result.stats.failed === 0 ? ExitCode.ok : ExitCode.callFailed;
  } finally {
    progress?.cancel();
    for (const off of offs) off();
    await phone.close();
    writeHtml?.();
    if (tempOut) rmSync(tempOut, { recursive: true, force: true });
  }
  return code;
}
