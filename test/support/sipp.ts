/**
 * SIPp 3.6.1 as a real peer in interop tests: one foreground child per instance, bound to 127.0.0.1 on
 * ports of its own, with a message log (-trace_msg) that sippMessages() parses so a test can check what
 * our stack sent.
 *
 * Traps (more in docs/peers.md):
 * - every instance binds media ports (-mp, -mp+2) and a UDP control port (-cp, default 8888 on all
 *   addresses): we always pass distinct -mp / -cp and -ci 127.0.0.1;
 * - `-t tn` (a socket per call, needed when a scenario changes destination) refuses to start without
 *   -max_socket: we add `-max_socket 100` for tn;
 * - play_pcap_audio needs root (raw socket); tests run as root here;
 * - without -timeout an orphaned SIPp would wait forever: we always pass a global -timeout.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { spawnTracked, pollUntil, realClock, type ExitInfo, type TrackedChild } from './child-process.js';
import { freePortRange, freeSipPort, freeUdpPort, isPortBound } from './ports.js';

export type SippTransport = 'u1' | 'un' | 't1' | 'tn';

/** Folder holding the project's SIPp scenarios (test/interop/scenarios). */
export const SCENARIO_DIR = resolvePath(new URL('../interop/scenarios', import.meta.url).pathname);

/** Path of a scenario file in test/interop/scenarios by its file name (e.g. 'uas-options.xml'). */
export function scenarioPath(name: string): string {
  return join(SCENARIO_DIR, name);
}

export interface SippOptions {
  /** Path to a scenario XML, or a SIPp built-in scenario name ('uas', 'uac', ...; passed as -sn). */
  scenario: string;
  transport?: SippTransport;
  /** Local SIP port (-p); a free one when omitted. */
  localPort?: number;
  /** Remote 'host:port' (the UAC's target); omitted for a UAS. */
  remote?: string;
  /** First of 4 consecutive UDP media ports (-mp); a free even range when omitted. */
  mediaPort?: number;
  /** UDP control port (-cp); a free one when omitted. */
  controlPort?: number;
  /** -m: stop after this many calls (default 1). */
  calls?: number;
  /** -r: calls per second (UAC). */
  rate?: number;
  /** -l: simultaneous calls limit. */
  limit?: number;
  /** -set name value: scenario variables ([$name]); each must be used or listed in <Reference>. */
  vars?: Record<string, string | number>;
  /** -key name value: keywords ([name]) substituted in messages. */
  keys?: Record<string, string | number>;
  /** -s: service (user part of the request URI, default 'service'). */
  service?: string;
  /** -inf: CSV injection files ([field0], ...). */
  injectionFiles?: string[];
  /** Files linked into SIPp's working folder by name, e.g. { 'audio.pcap': '/tmp/x.pcap' } for play_pcap_audio. */
  files?: Record<string, string>;
  /** -d: length of a scenario's bare <pause/> in ms (the uac-invite-rtp call duration). */
  pauseMs?: number;
  /** Extra command-line arguments, appended last. */
  extraArgs?: string[];
  /** Global timeout: SIPp quits after this (-timeout) and we kill it shortly after. Default 30000. */
  timeoutMs?: number;
  /** Wait until SIPp holds its SIP port before start resolves (default true). */
  waitListening?: boolean;
}

export interface SippHandle {
  readonly child: TrackedChild;
  readonly localPort: number;
  readonly mediaPort: number;
  readonly controlPort: number;
  readonly transport: SippTransport;
  /** 'host:port' a peer should send to. */
  readonly address: string;
  /** Temp folder (cwd of SIPp; logs live here). */
  readonly dir: string;
  /** -trace_msg log: every SIP message sent and received. */
  readonly messageLogPath: string;
  /** -trace_err log: unexpected messages. */
  readonly errorLogPath: string;
  /** Resolves when SIPp exits: code 0 = every call succeeded, 1 = some failed, 99 = no call processed. */
  readonly exited: Promise<ExitInfo>;
  kill(): Promise<ExitInfo>;
  /** The messages logged so far. */
  messages(): SippMessage[];
  /** The error log text so far ('' when none). */
  errors(): string;
  /** A readable summary for failed assertions: exit info, error log, last messages. */
  describe(): string;
}

export class SippStartError extends Error {
  readonly code = 'SIPP_START';
  constructor(detail: string) {
    super(`SIPp did not start: ${detail}`);
    this.name = 'SippStartError';
  }
}

function isBuiltin(scenario: string): boolean {
  return !scenario.includes('/') && !scenario.endsWith('.xml');
}

export async function startSipp(opts: SippOptions): Promise<SippHandle> {
  const transport = opts.transport ?? 'u1';
  const localPort = opts.localPort ?? (await freeSipPort());
  const mediaPort = opts.mediaPort ?? (await freePortRange(4, 'udp', 2));
  const controlPort = opts.controlPort ?? (await freeUdpPort());
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const dir = mkdtempSync(join(tmpdir(), 'umphone-sipp-'));
  const messageLogPath = join(dir, 'messages.log');
  const errorLogPath = join(dir, 'errors.log');

  // play_pcap_audio="audio.pcap" is read when the scenario loads, relative to SIPp's working folder (the
  // attribute takes no variables), so each instance gets its own copy under the fixed name.
  for (const [name, src] of Object.entries(opts.files ?? {})) copyFileSync(src, join(dir, name));

  const args: string[] = [];
  if (opts.remote) args.push(opts.remote);
  if (isBuiltin(opts.scenario)) args.push('-sn', opts.scenario);
  else args.push('-sf', resolvePath(opts.scenario));
  args.push('-t', transport);
  if (transport === 'tn' || transport === 'un') args.push('-max_socket', '100');
  args.push('-i', '127.0.0.1', '-p', String(localPort));
  args.push('-mi', '127.0.0.1', '-mp', String(mediaPort));
  args.push('-ci', '127.0.0.1', '-cp', String(controlPort));
  args.push('-m', String(opts.calls ?? 1));
  if (opts.rate !== undefined) args.push('-r', String(opts.rate));
  if (opts.limit !== undefined) args.push('-l', String(opts.limit));
  if (opts.pauseMs !== undefined) args.push('-d', String(opts.pauseMs));
  if (opts.service !== undefined) args.push('-s', opts.service);
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('-set', k, String(v));
  for (const [k, v] of Object.entries(opts.keys ?? {})) args.push('-key', k, String(v));
  for (const f of opts.injectionFiles ?? []) args.push('-inf', resolvePath(f));
  args.push('-nostdin');
  args.push('-trace_msg', '-message_file', messageLogPath);
  args.push('-trace_err', '-error_file', errorLogPath);
  args.push('-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '-timeout_error');
  args.push(...(opts.extraArgs ?? []));

  const child = spawnTracked('sipp', args, { cwd: dir });
  const readLog = (p: string): string => (existsSync(p) ? readFileSync(p, 'utf8') : '');
  const handle: SippHandle = {
    child,
    localPort,
    mediaPort,
    controlPort,
    transport,
    address: `127.0.0.1:${localPort}`,
    dir,
    messageLogPath,
    errorLogPath,
    exited: child.exited,
    kill: () => child.kill(1000),
    messages: () => sippMessages(readLog(messageLogPath)),
    errors: () => readLog(errorLogPath),
    describe: () => {
      const msgs = sippMessages(readLog(messageLogPath));
      return [
        `sipp ${args.join(' ')}`,
        `exited: ${child.hasExited()}`,
        `stderr: ${child.stderr().slice(-2000)}`,
        `stdout (tail): ${child.stdout().slice(-1500)}`,
        `errors.log: ${readLog(errorLogPath).slice(-2000)}`,
        `messages: ${msgs.map((m) => `${m.direction} ${m.firstLine}`).join(' | ')}`,
      ].join('\n');
    },
  };
  // Safety net: SIPp's own -timeout should end it; if it hangs anyway, kill it.
  const guard = child.proc;
  const t = setKillGuard(child, timeoutMs + 5000);
  guard.once('close', () => t.cancel());

  if (opts.waitListening !== false) {
    const kind = transport.startsWith('t') ? 'tcp' : 'udp';
    try {
      await pollUntil(
        `SIPp to bind ${kind} 127.0.0.1:${localPort}`,
        async () => child.hasExited() || (await isPortBound(localPort, kind)),
        5000,
        10,
      );
    } catch (e) {
      await child.kill(500);
      throw new SippStartError(`${(e as Error).message}\n${handle.describe()}`);
    }
    if (child.hasExited()) {
      const info = await child.exited;
      // A UAC that already finished is fine; a UAS that died at start is not.
      if (info.code !== 0) throw new SippStartError(`exited with code ${String(info.code)}\n${handle.describe()}`);
    }
  }
  return handle;
}

function setKillGuard(child: TrackedChild, ms: number): { cancel(): void } {
  return realClock.setTimeout(() => {
    if (!child.hasExited()) void child.kill(500);
  }, ms);
}

/** One SIP message from SIPp's -trace_msg log. */
export interface SippMessage {
  /** From SIPp's point of view: 'sent' by SIPp, or 'received' by SIPp (i.e. sent by the stack under test). */
  direction: 'sent' | 'received';
  /** 'UDP' | 'TCP' | ... as SIPp logs it. */
  transport: string;
  /** Timestamp text SIPp wrote above the message. */
  time: string;
  /** Request line or status line. */
  firstLine: string;
  /** Method for a request, undefined for a response. */
  method?: string;
  /** Status code for a response, undefined for a request. */
  status?: number;
  /** Headers in order, names as written. */
  headers: { name: string; value: string }[];
  body: string;
  raw: string;
  /** First value of a header, case-insensitive (compact forms are not expanded). */
  header(name: string): string | undefined;
}

const SEPARATOR = /^-{20,}\s+(.*)$/;
const DIRECTION = /^(\S+) message (sent|received)\b/;

/** Parse SIPp's -trace_msg log text into messages, in log order. */
export function sippMessages(logText: string): SippMessage[] {
  const lines = logText.split('\n');
  const out: SippMessage[] = [];
  let i = 0;
  while (i < lines.length) {
    const sep = SEPARATOR.exec(lines[i] ?? '');
    if (!sep) {
      i++;
      continue;
    }
    const time = sep[1] ?? '';
    i++;
    const dir = DIRECTION.exec(lines[i] ?? '');
    // Collect the block up to the next separator.
    const start = i + 1;
    let end = start;
    while (end < lines.length && !SEPARATOR.test(lines[end] ?? '')) end++;
    i = end;
    if (!dir) continue;
    const block = lines.slice(start, end);
    while (block.length > 0 && (block[0] ?? '').trim() === '') block.shift();
    const msg = parseBlock(block, dir[1] ?? '', dir[2] === 'sent' ? 'sent' : 'received', time);
    if (msg) out.push(msg);
  }
  return out;
}

function parseBlock(
  block: string[],
  transport: string,
  direction: 'sent' | 'received',
  time: string,
): SippMessage | undefined {
  const firstLine = (block[0] ?? '').replace(/\r$/, '');
  if (firstLine === '') return undefined;
  const headers: { name: string; value: string }[] = [];
  let j = 1;
  for (; j < block.length; j++) {
    const line = (block[j] ?? '').replace(/\r$/, '');
    if (line === '') break;
    const last = headers[headers.length - 1];
    if (/^[ \t]/.test(line) && last) {
      last.value += ` ${line.trim()}`; // folded header line (RFC 3261 §7.3.1)
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  const bodyLines = block.slice(j + 1);
  while (bodyLines.length > 0 && (bodyLines[bodyLines.length - 1] ?? '').trim() === '') bodyLines.pop();
  const body = bodyLines.map((l) => l.replace(/\r$/, '')).join('\r\n') + (bodyLines.length > 0 ? '\r\n' : '');
  const statusMatch = /^SIP\/2\.0\s+(\d{3})\b/.exec(firstLine);
  const methodMatch = statusMatch ? undefined : /^([A-Za-z]+)\s/.exec(firstLine);
  return {
    direction,
    transport,
    time,
    firstLine,
    ...(statusMatch ? { status: Number(statusMatch[1]) } : {}),
    ...(methodMatch ? { method: (methodMatch[1] ?? '').toUpperCase() } : {}),
    headers,
    body,
    raw: block.join('\n'),
    header(name: string) {
      const n = name.toLowerCase();
      return headers.find((h) => h.name.toLowerCase() === n)?.value;
    },
  };
}
