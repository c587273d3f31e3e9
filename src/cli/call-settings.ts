/**
 * `umphone call` options → what the phone needs. Every value is checked here, before a socket opens,
 * and each problem is one UsageError sentence (exit code 2): a bad codec, a target that is no SIP URI,
 * a negative duration, a DTMF sequence with a key that does not exist, a header without a colon.
 * Codecs, DTMF modes, targets and durations go through the parsers scripts use too (option-values.ts).
 * Pure: files are only checked for existence of their folder; reading them is the runner's job.
 */
import type { RtpEngineChoice } from './realtime.js';
import { dirname, resolve as resolvePath } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import type { CallOptions } from '../phone/call.js';
import { parseDtmfSequence } from '../media/dtmf/index.js';
import { UsageError } from './context.js';
import { parseQualityExpression, type QualityThreshold } from '../script/quality-thresholds.js';
import { codecsOption, dtmfModeOption, durationOption, targetOption } from './option-values.js';
import { srtpSettings, type SrtpArgv } from './srtp-options.js';

/** RFC 5806 §4 / RFC 4458 diversion reasons. */
export const DIVERSION_REASONS = [
  'unknown', 'user-busy', 'no-answer', 'unavailable', 'unconditional', 'time-of-day', 'do-not-disturb',
  'deflection', 'follow-me', 'out-of-service', 'away',
] as const;

/** The parsed command line of `umphone call` (yargs camel-cases the option names). */
export interface CallArgv extends SrtpArgv {
  target: string;
  transport?: string;
  from?: string;
  name?: string;
  to?: string;
  localIp?: string;
  localPort?: number;
  user?: string;
  password?: string;
  diversion?: Array<string | number>;
  diversionReason?: string;
  historyInfo?: boolean;
  codec?: string;
  maxRedirects?: number;
  record?: string;
  recordBoth?: boolean;
  play?: string;
  loop?: boolean;
  /** Durations: a bare number in the option's unit (seconds, or ms for the DTMF ones) or "1m30s", "500ms". */
  duration?: number | string;
  dtmf?: string;
  dtmfSequence?: string | number;
  dtmfDuration?: number | string;
  dtmfGap?: number | string;
  dtmfInitialSilence?: number | string;
  dtmfLevel?: number;
  latch?: boolean;
  rtpTimeout?: number | string;
  header?: Array<string>;
  json?: string;
  report?: string;
  pcap?: string;
  expect?: Array<string>;
  audio?: boolean;
  outputDevice?: string | number;
  inputDevice?: string | number;
  verbose?: boolean;
  quiet?: boolean;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsInsecure?: boolean;
}

/** TLS files (PEM) as paths; run-call.ts reads them. */
export interface TlsSettings {
  caPath?: string;
  certPath?: string;
  keyPath?: string;
  /** Accept any server certificate (one warning line says so). */
  insecure: boolean;
}

/** Sound card use: auto = when stdout is a terminal and a device opens; off = --no-audio; on = --audio. */
export type AudioChoice = 'auto' | 'on' | 'off';

export interface CallSettings {
  target: string;
  targetHost: string;
  transport: 'tcp' | 'udp' | 'tls';
  tls: TlsSettings;
  localIp?: string;
  localPort?: number;
  credentials?: { username: string; password: string };
  /** Everything for Phone.dial except the audio loaded or opened at run time (play, output, input). */
  call: CallOptions;
  playPath?: string;
  durationMs?: number;
  dtmfSequence?: string;
  jsonPath?: string;
  /** --report: the HTML call report (report-file.ts). */
  reportPath?: string;
  audio: AudioChoice;
  outputDevice?: string | number;
  inputDevice?: string | number;
  verbose: boolean;
  quiet: boolean;
  /** --rtp-engine and the I/O thread's priority (realtime.ts). */
  rtp?: RtpEngineChoice;
  /** --expect: quality thresholds checked when the call has ended (a breach: exit 1 with the figure). */
  expect: QualityThreshold[];
}

function finite(name: string, v: number | undefined, check: (n: number) => boolean, rule: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) {
    throw new UsageError(`--${name} must be ${rule} (got ${String(v)})`);
  }
  return v;
}

const integer = (n: number) => Number.isInteger(n);

/** "X-Foo: bar" → ['X-Foo', 'bar']; the name must be an RFC 3261 §25.1 token. */
export function parseHeaderOption(text: string): [string, string] {
  const colon = text.indexOf(':');
  const name = colon > 0 ? text.slice(0, colon).trim() : '';
  if (!/^[A-Za-z0-9\-.!%*_+`'~]+$/.test(name)) {
    throw new UsageError(`bad --header "${text}": write it as "Name: value"`);
  }
  const value = text.slice(colon + 1).trim();
  if (/[\r\n]/.test(value)) throw new UsageError(`bad --header "${name}": the value must be on one line`);
  return [name, value];
}

/** A file we will write: its folder must exist. */
function writablePath(option: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (path.trim() === '') throw new UsageError(`--${option} needs a file name`);
  const dir = dirname(resolvePath(path));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`--${option} ${path}: the folder ${dir} does not exist`);
  }
  return path;
}

/** A file we will read: it must exist. */
function readablePath(option: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  if (path.trim() === '') throw new UsageError(`--${option} needs a file name`);
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`--${option} ${path}: no such file`);
  return path;
}

/** --tls-* checked: cert and key together, no CA with --tls-insecure, the files exist. */
export function tlsSettings(a: Pick<CallArgv, 'tlsCa' | 'tlsCert' | 'tlsKey' | 'tlsInsecure'>): TlsSettings {
  if ((a.tlsCert === undefined) !== (a.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
  if (a.tlsInsecure && a.tlsCa !== undefined) throw new UsageError('--tls-insecure and --tls-ca exclude each other');
  const t: TlsSettings = { insecure: a.tlsInsecure ?? false };
  const ca = readablePath('tls-ca', a.tlsCa);
  const cert = readablePath('tls-cert', a.tlsCert);
  const key = readablePath('tls-key', a.tlsKey);
  if (ca !== undefined) t.caPath = ca;
  if (cert !== undefined) t.certPath = cert;
  if (key !== undefined) t.keyPath = key;
  return t;
}

/** Validate and convert the `call` command line. Throws UsageError with one sentence. */
export function callSettingsFromArgv(a: CallArgv): CallSettings {
  const transport = a.transport ?? 'tcp';
  if (transport !== 'tcp' && transport !== 'udp' && transport !== 'tls') throw new UsageError(`--transport must be tcp, udp or tls (got ${transport})`);
  const uri = targetOption(String(a.target ?? ''), transport);

  const localPort = finite('local-port', a.localPort, (n) => integer(n) && n >= 0 && n <= 65535, 'a port number 0-65535');
  const maxRedirects = finite('max-redirects', a.maxRedirects, (n) => integer(n) && n >= 0, 'a whole number ≥ 0');
  const durationMs = durationOption('duration', a.duration, { unit: 's', check: (ms) => ms > 0, says: 'a number of seconds > 0' });
  const rtpTimeoutMs = durationOption('rtp-timeout', a.rtpTimeout, { unit: 's', check: () => true, says: 'a number of seconds ≥ 0 (0 = never)' });
  const dtmfDuration = durationOption('dtmf-duration', a.dtmfDuration, { unit: 'ms', check: (ms) => ms >= 40 && ms <= 10_000, says: 'between 40 and 10000 ms' });
  const dtmfGap = durationOption('dtmf-gap', a.dtmfGap, { unit: 'ms', check: (ms) => ms <= 10_000, says: 'between 0 and 10000 ms' });
  const dtmfSilence = durationOption('dtmf-initial-silence', a.dtmfInitialSilence, { unit: 'ms', check: (ms) => ms <= 60_000, says: 'between 0 and 60000 ms' });
  const dtmfLevel = finite('dtmf-level', a.dtmfLevel, (n) => n <= 0 && n >= -40, 'between -40 and 0 dBm0');

  const dtmfMode = dtmfModeOption(a.dtmf);
  const reason = a.diversionReason ?? 'no-answer';
  if (!(DIVERSION_REASONS as readonly string[]).includes(reason)) {
    throw new UsageError(`--diversion-reason must be one of ${DIVERSION_REASONS.join(', ')} (got ${reason})`);
  }

  let dtmfSequence: string | undefined;
  if (a.dtmfSequence !== undefined) {
    dtmfSequence = String(a.dtmfSequence);
    try {
      parseDtmfSequence(dtmfSequence);
    } catch (e) {
      throw new UsageError(`bad --dtmf-sequence: ${(e as Error).message}`);
    }
  }

  if ((a.user === undefined) !== (a.password === undefined)) throw new UsageError('--user and --password go together');
  if (a.recordBoth && !a.record) throw new UsageError('--record-both needs --record FILE');
  if (a.loop && !a.play) throw new UsageError('--loop needs --play FILE');
  if (a.quiet && a.verbose) throw new UsageError('--quiet and --verbose exclude each other');
  if (a.play !== undefined && a.play.trim() === '') throw new UsageError('--play needs a file name');

  const diversion = (a.diversion ?? []).map((d) => String(d).trim());
  if (diversion.some((d) => d === '')) throw new UsageError('--diversion needs a number or SIP URI');

  const call: CallOptions = {
    diversion,
    diversionReason: reason,
    historyInfo: a.historyInfo ?? false,
    codecs: codecsOption(a.codec),
    dtmf: {
      mode: dtmfMode,
      ...(dtmfDuration !== undefined ? { duration: dtmfDuration } : {}),
      ...(dtmfGap !== undefined ? { gap: dtmfGap } : {}),
      ...(dtmfSilence !== undefined ? { initialSilence: dtmfSilence } : {}),
      ...(dtmfLevel !== undefined ? { level: dtmfLevel } : {}),
    },
    maxRedirects: maxRedirects ?? 5,
    headers: (a.header ?? []).map((h) => parseHeaderOption(String(h))),
    latch: a.latch ?? false,
    loop: a.loop ?? false,
    ...srtpSettings(a),
  };
  if (a.from !== undefined) call.from = String(a.from);
  if (a.name !== undefined) call.name = a.name;
  if (a.to !== undefined) call.to = String(a.to);
  const record = writablePath('record', a.record);
  const report = writablePath('report', a.report);
  if (report !== undefined && !/\.html?$/i.test(report)) throw new UsageError(`--report ${report}: the report is an HTML page, name it .html`);
  if (record !== undefined) {
    call.record = record;
    call.recordBoth = a.recordBoth ?? false;
  } else if (report !== undefined) {
    // The page plays the call: without --record it records both sides beside itself.
    call.record = report.replace(/\.html?$/i, '.wav');
    call.recordBoth = true;
  }
  // The page, and a summary that `umphone report` can draw later, need the call's SIP and events.
  if (report !== undefined || a.json !== undefined) call.evidence = true;
  if (rtpTimeoutMs !== undefined) call.rtpTimeout = rtpTimeoutMs;
  const pcap = writablePath('pcap', a.pcap);
  if (pcap !== undefined) call.pcap = pcap;

  const expect = (a.expect ?? []).map((e) => {
    const t = parseQualityExpression(String(e));
    if ('error' in t) throw new UsageError(`bad --expect: ${t.error}`);
    return t;
  });

  const s: CallSettings = {
    target: String(a.target),
    expect,
    targetHost: uri.params.get('maddr') ?? uri.host,
    transport,
    tls: tlsSettings(a),
    call,
    audio: a.audio === undefined ? 'auto' : a.audio ? 'on' : 'off',
    verbose: a.verbose ?? false,
    quiet: a.quiet ?? false,
  };
  if (a.localIp !== undefined) s.localIp = a.localIp;
  if (localPort !== undefined) s.localPort = localPort;
  if (a.user !== undefined && a.password !== undefined) s.credentials = { username: String(a.user), password: String(a.password) };
  if (a.play !== undefined) s.playPath = a.play;
  if (durationMs !== undefined) s.durationMs = durationMs;
  if (dtmfSequence !== undefined) s.dtmfSequence = dtmfSequence;
  const json = writablePath('json', a.json);
  if (json !== undefined) s.jsonPath = json;
  if (report !== undefined) s.reportPath = report;
  if (a.outputDevice !== undefined) s.outputDevice = a.outputDevice;
  if (a.inputDevice !== undefined) s.inputDevice = a.inputDevice;
  return s;
}
