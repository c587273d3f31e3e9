/**
 * Load benchmark (`npm run bench -- load`): `umphone load` with a scripted caller (302, wait for the
 * greeting, a digit, record 5 s, hang up) at 100, 500 and 1000 concurrent callers, against
 *   (a) SIPp: a SIPp redirector (test/interop/scenarios/uas-redirect-302.xml) whose 302 points at a SIPp
 *       UAS that echoes RTP (`-sn uas -rtp_echo`); the caller is bench/support/load-echo-caller.yaml
 *       (it talks, so the "greeting" it waits for is its own voice echoed);
 *   (b) the built-in server, `umphone serve`, with scripts/examples/load-leave-message.yaml (its own 302,
 *       greeting, `#`, beep, message, 5 s recorded);
 *   (c) the peer: SIPp as UAC replaying a G.711 pcap (play_pcap_audio) against the same SIPp echo UAS,
 *       at the same concurrency and rate, each call held as long as our callers' median call.
 * Every program is its own process (none runs in this one's event loop).
 *
 * Concurrency: 2N callers started at N/4 a second with --concurrency N, so N are in progress after the
 * ramp (a call lasts ~6 s) and held there until the second N have started; the peak and how long ≥ 95 %
 * of N were in progress is printed from the callers' own start and end times (--json).
 *
 * RTP is measured on the wire: tcpdump on lo captures what the callers send (ours: source ports in the
 * load process's --rtp-ports range; SIPp: its pcap's SSRC), and the figure is |gap − 20 ms| pooled over
 * every stream (first second of each left out), with sequence-number loss, as in rtp-pacing.bench.ts.
 * What the callers received (loss, jitter, MOS) is their own report. CPU is utime+stime from
 * /proc/<pid>/stat over the run divided by call-seconds (the sum of every call's duration), for each
 * process; the caller's RSS peak is VmHWM; per-thread CPU of the caller (/proc/<pid>/task/*) shows
 * whether the main thread or the RTP thread is the one that runs out.
 *
 * Settings (environment): BENCH_LOAD_CALLS=100,500,1000 (the points), BENCH_LOAD_PEERS=sipp,serve,uac
 * (which runs), BENCH_LOAD_RATE_DIV=4 (rate = N / this), BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"
 * (for the load process), BENCH_KEEP=1 (keep the folder: captures, JSON reports, SIPp logs).
 * Figures and what limits them: docs/measurements/load.md.
 */
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCapture, type CaptureResult } from './support/capture.js';
import { readUdpPcap, type UdpRecord } from './support/pcap.js';
import { PacingAnalyzer, type PacingFigures } from './support/pacing-stats.js';
import { SIPP_SSRC, spawnSipp, writeG711Pcap, uacScenario, type SippRun } from './support/sipp-rtp.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const here = fileURLToPath(new URL('.', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const f = (x: number | undefined, d = 1): string => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(d));
const TICK = 100; // USER_HZ on Linux
/** tcpdump hands a partly filled ring block over only after its 1 s timeout. */
const CAPTURE_FLUSH_MS = 1300;
/** Our callers' RTP ports: nothing else on the machine uses them in the run, so the capture filter is simple. */
const RTP_LO = 45000;
const RTP_HI = 49999;

interface ProcFigures {
  cpuS: number;
  peakRssMb: number;
  /** CPU seconds by thread ("main" for the main thread, else name#tid), for the process under test. */
  threads: Map<string, number>;
  /**
   * Seconds each thread was runnable but waiting for a CPU (/proc/<pid>/task/<tid>/schedstat, field 2):
   * CPU time that a busy machine did not give, which per-thread CPU alone cannot tell from idleness.
   */
  waits: Map<string, number>;
}

/**
 * Samples a process's CPU, peak RSS and threads every 250 ms until stopped (its last figures survive its
 * exit). `cpuSince(t)` is the CPU used since wall-clock time t (ms since the epoch), so a figure per
 * call-second can leave out the process's start-up (tsx compiling the sources: ~1.5 s of CPU).
 */
function sampleProc(pid: number, threads = false) {
  const read = (): ProcFigures | undefined => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpuS = (Number(rest[11]) + Number(rest[12])) / TICK;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      const byThread = new Map<string, number>();
      const waits = new Map<string, number>();
      if (threads) {
        for (const tid of readdirSync(`/proc/${pid}/task`)) {
          try {
            const t = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
            const name = Number(tid) === pid ? 'main' : `${t.slice(t.indexOf('(') + 1, t.lastIndexOf(')'))}#${tid}`;
            const r = t.slice(t.lastIndexOf(')') + 2).split(' ');
            byThread.set(name, (Number(r[11]) + Number(r[12])) / TICK);
            waits.set(name, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e9);
          } catch {
            // the thread ended between the listing and the read
          }
        }
      }
      return { cpuS, peakRssMb: hwm ? Number(hwm[1]) / 1024 : 0, threads: byThread, waits };
    } catch {
      return undefined;
    }
  };
  // Counters only grow: the largest value seen is the latest, whatever a read of an exiting process
  // (a zombie has its stat but no VmHWM and no threads but the main one) returned.
  const merge = (a: ProcFigures, b: ProcFigures | undefined): ProcFigures => {
    if (!b) return a;
    const max = (x: Map<string, number>, y: Map<string, number>): Map<string, number> => {
      const m = new Map(x);
      for (const [k, v] of y) m.set(k, Math.max(v, m.get(k) ?? 0));
      return m;
    };
    return { cpuS: Math.max(a.cpuS, b.cpuS), peakRssMb: Math.max(a.peakRssMb, b.peakRssMb), threads: max(a.threads, b.threads), waits: max(a.waits, b.waits) };
  };
  const first = read() ?? { cpuS: 0, peakRssMb: 0, threads: new Map<string, number>(), waits: new Map<string, number>() };
  let last = first;
  const history: Array<[number, number]> = [[Date.now(), first.cpuS]];
  const timer = setInterval(() => {
    last = merge(last, read());
    history.push([Date.now(), last.cpuS]);
  }, 250);
  return {
    stop(): ProcFigures {
      clearInterval(timer);
      last = merge(last, read());
      return { cpuS: last.cpuS - first.cpuS, peakRssMb: last.peakRssMb, threads: last.threads, waits: last.waits };
    },
    /** CPU seconds from the last sample at or before `t` to the end. */
    cpuSince(t: number): number {
      let base = history[0]![1];
      for (const [when, cpu] of history) if (when <= t) base = cpu;
      return last.cpuS - base;
    },
  };
}

function cpuPressure(): number {
  try {
    return Number(/some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? NaN);
  } catch {
    return NaN;
  }
}

/** Ports handed out in this run: SIPp binds -mp and -mp + 2 (video) later, so blocks must not overlap. */
const handedOut = new Set<number>();

async function freeUdpPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 30000 + 2 * Math.floor(Math.random() * 5000);
    if ([p, p + 1, p + 2, p + 3].some((q) => handedOut.has(q))) continue;
    const ok = await Promise.all(
      [p, p + 1, p + 2, p + 3].map(
        (q) =>
          new Promise<boolean>((resolve) => {
            const s = dgram.createSocket('udp4');
            s.once('error', () => resolve(false));
            s.bind({ port: q, address: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) {
      for (let q = p; q < p + 4; q++) handedOut.add(q);
      return p;
    }
  }
  throw new Error('no free UDP ports');
}

async function freeTcpPort(): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const p = 30000 + Math.floor(Math.random() * 9990);
    const ok = await Promise.all(
      [p, p + 5].map(
        (q) =>
          new Promise<boolean>((resolve) => {
            const s = net.createServer();
            s.once('error', () => resolve(false));
            s.listen(q, '127.0.0.1', () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return p;
  }
  throw new Error('no free TCP ports');
}

interface CallerRow {
  outcome: string;
  reason?: string;
  durationMs: number;
  startedAt?: string;
  answered: boolean;
}
interface LoadJson {
  durationMs: number;
  stats: {
    started: number; passed: number; failed: number; setupFailed: number; answered: number;
    failedByReason: Record<string, number>;
    rtpLossPercent: { count: number; p50?: number; max?: number };
    rtpJitterMs: { p50?: number; p95?: number };
    mos: { count: number; p5?: number; p50?: number };
  };
  callers: CallerRow[];
}

interface Row {
  who: string;
  calls: number;
  failed: number;
  reasons: string;
  /** Peak callers in progress at once, and seconds with ≥ 95 % of the target in progress. */
  peak: number;
  heldS: number;
  pacing: PacingFigures & { skipped: number };
  /** Packets lost on the wire (sequence gaps of what the callers sent) and the capture's own drops. */
  wireLost: number;
  captureDropped: number;
  /** What the callers received: loss p50/max (%), from their report (ours only). */
  rxLoss?: string;
  callerRssMb: number;
  callerCpuMsPerCallS: number;
  calleeCpuMsPerCallS: number;
  mos?: string;
  callSeconds: number;
  threads?: Map<string, number>;
  waits?: Map<string, number>;
  wallS: number;
  /** /proc/pressure/cpu "some" avg10 at the end of the run: % of time some runnable task waited for a CPU. */
  cpuPressure: number;
  load: number;
  note: string;
}

/** Peak concurrency and seconds at ≥ 95 % of `target`, from each caller's start and duration. */
function concurrency(callers: CallerRow[], target: number): { peak: number; heldS: number } {
  const ev: Array<[number, number]> = [];
  for (const c of callers) {
    if (!c.startedAt) continue;
    const t = Date.parse(c.startedAt);
    ev.push([t, 1], [t + c.durationMs, -1]);
  }
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let n = 0;
  let peak = 0;
  let held = 0;
  let prev = ev[0]?.[0] ?? 0;
  for (const [t, d] of ev) {
    if (n >= 0.95 * target) held += t - prev;
    prev = t;
    n += d;
    peak = Math.max(peak, n);
  }
  return { peak, heldS: held / 1000 };
}

function startSippPeer(dir: string, args: string[]): SippRun {
  return spawnSipp(dir, [...args, '-max_recv_loops', '10000', '-timeout', '600s']);
}

async function stopSipp(s: SippRun): Promise<void> {
  s.child.kill('SIGTERM');
  await Promise.race([s.exited, sleep(2000)]);
  s.child.kill('SIGKILL');
}

/** The SIPp callee: a redirector whose 302 points at an echo UAS. */
async function startSippCallee(dir: string) {
  const echoSip = await freeUdpPort();
  const echoMedia = await freeUdpPort();
  const echoCtl = await freeUdpPort();
  const redirSip = await freeUdpPort();
  const redirMedia = await freeUdpPort();
  const redirCtl = await freeUdpPort();
  const echo = startSippPeer(dir, ['-sn', 'uas', '-rtp_echo', '-p', String(echoSip), '-mp', String(echoMedia), '-cp', String(echoCtl)]);
  const redir = startSippPeer(dir, [
    '-sf', join(root, 'test/interop/scenarios/uas-redirect-302.xml'),
    '-p', String(redirSip), '-mp', String(redirMedia), '-cp', String(redirCtl),
    '-set', 'target_user', 'echo', '-set', 'target_port', String(echoSip), '-set', 'target_transport', 'udp',
  ]);
  await sleep(700);
  for (const s of [echo, redir]) {
    if (s.child.exitCode !== null) throw new Error(`SIPp callee exited at once: ${s.output().trim()}`);
  }
  return { echo, redir, echoSip, echoMedia, redirSip };
}

/** Runs `umphone load` as its own process; resolves with its report and figures. */
async function runLoad(n: number, rate: number, script: string, vars: string[], dir: string, tag: string) {
  const json = join(dir, `load-${tag}-${n}.json`);
  const nodeArgs = process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...nodeArgs, join(root, 'bin/umphone.js'), 'load', script, ...vars.flatMap((v) => ['--var', v]),
      '--calls', String(2 * n), '--rate', String(rate), '--concurrency', String(n),
      '--rtp-ports', `${RTP_LO}-${RTP_HI}`, '--json', json, '-q',
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const proc = sampleProc(child.pid!, true);
  const t0 = performance.now();
  // A run that cannot finish (calls stuck on a starved machine) is stopped as Ctrl-C stops it: the
  // callers still running are reported as interrupted and the report is still written.
  const limitS = (2 * n) / rate + 60;
  const guard = setTimeout(() => child.kill('SIGINT'), limitS * 1000);
  const kill = setTimeout(() => child.kill('SIGKILL'), (limitS + 30) * 1000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(guard);
  clearTimeout(kill);
  const wallS = (performance.now() - t0) / 1000;
  const figures = proc.stop();
  if (!existsSync(json)) throw new Error(`umphone load (${tag}, ${n}) exited with ${code} and no report:\n${out.slice(-2000)}`);
  const report = JSON.parse(readFileSync(json, 'utf8')) as LoadJson;
  writeFileSync(join(dir, `load-${tag}-${n}.out`), out);
  const firstCall = Math.min(...report.callers.map((c) => (c.startedAt ? Date.parse(c.startedAt) : Infinity)));
  // The CPU of the calls: from the first caller's start (the process's start-up left out).
  const callsCpuS = Number.isFinite(firstCall) ? proc.cpuSince(firstCall) : figures.cpuS;
  return { report, figures, callsCpuS, wallS, code };
}

function ourRow(who: string, n: number, r: Awaited<ReturnType<typeof runLoad>>, pacing: PacingFigures & { skipped: number }, dropped: number, calleeCpuS: number, load: number, note: string): Row {
  const s = r.report.stats;
  const callSeconds = r.report.callers.reduce((a, c) => a + c.durationMs, 0) / 1000;
  const { peak, heldS } = concurrency(r.report.callers, n);
  return {
    who,
    calls: r.report.callers.length,
    failed: s.failed,
    reasons: Object.entries(s.failedByReason).map(([k, v]) => `${k}: ${v}`).join(', '),
    peak,
    heldS,
    pacing,
    wireLost: pacing.lost,
    captureDropped: dropped,
    rxLoss: `${f(s.rtpLossPercent.p50, 2)}/${f(s.rtpLossPercent.max, 2)} %`,
    callerRssMb: r.figures.peakRssMb,
    callerCpuMsPerCallS: (r.callsCpuS * 1000) / callSeconds,
    calleeCpuMsPerCallS: (calleeCpuS * 1000) / callSeconds,
    mos: `${f(s.mos.p50, 2)}/${f(s.mos.p5, 2)}`,
    callSeconds,
    threads: r.figures.threads,
    waits: r.figures.waits,
    wallS: r.wallS,
    cpuPressure: cpuPressure(),
    load,
    note,
  };
}

/**
 * Pacing figures of the accepted packets, and the audio ticks never sent: a G.711 packet whose sequence
 * number follows the last but whose RTP timestamp jumps by k frames stands for k − 1 ticks the sender
 * skipped (the pacer drops ticks it is more than 200 ms late for, see src/rtp/pacer.ts): loss that no
 * sequence gap and no receiver shows.
 */
function analyse(path: string, accept: (r: UdpRecord) => boolean): PacingFigures & { skipped: number } {
  const analyzer = new PacingAnalyzer(accept);
  const last = new Map<string, { seq: number; ts: number }>();
  let skipped = 0;
  readUdpPcap(path, (r) => {
    analyzer.add(r);
    if (!accept(r) || r.payload.length < 12 || (r.payload[1]! & 0x7f) > 8) return; // PCMU 0, PCMA 8 only
    const key = `${r.srcPort}>${r.dstPort}#${r.payload.readUInt32BE(8)}`;
    const seq = r.payload.readUInt16BE(2);
    const ts = r.payload.readUInt32BE(4);
    const prev = last.get(key);
    if (prev && ((seq - prev.seq) & 0xffff) === 1) {
      const frames = Math.round(((ts - prev.ts) >>> 0) / 160);
      if (frames > 1 && frames < 50 * 600) skipped += frames - 1;
    }
    last.set(key, { seq, ts });
  });
  if (!process.env.BENCH_KEEP) rmSync(path, { force: true });
  return { ...analyzer.figures(), skipped };
}

const isCallerRtp = (r: UdpRecord): boolean =>
  r.srcPort >= RTP_LO && r.srcPort <= RTP_HI && r.srcPort % 2 === 0 && r.payload.length >= 12;

async function runAgainstSipp(n: number, rate: number, dir: string): Promise<Row> {
  const load = loadavg()[0]!;
  const callee = await startSippCallee(dir);
  const echoCpu = sampleProc(callee.echo.child.pid!);
  const redirCpu = sampleProc(callee.redir.child.pid!);
  const capture = await startCapture(join(dir, `sipp-${n}.pcap`), `udp and dst port ${callee.echoMedia}`);
  let r: Awaited<ReturnType<typeof runLoad>>;
  let cap: CaptureResult;
  try {
    r = await runLoad(n, rate, join(here, 'support/load-echo-caller.yaml'), ['server=127.0.0.1', `port=${callee.redirSip}`], dir, 'sipp');
  } finally {
    // Whatever happened to the caller, no peer or capture outlives the point.
    await sleep(CAPTURE_FLUSH_MS);
    cap = await capture.stop();
    await stopSipp(callee.echo);
    await stopSipp(callee.redir);
  }
  const calleeCpu = echoCpu.stop().cpuS + redirCpu.stop().cpuS;
  const pacing = analyse(cap.path, isCallerRtp);
  return ourRow('umphone load → SIPp 302 + echo UAS', n, r, pacing, cap.droppedByKernel, calleeCpu, load, `load exit ${r.code}`);
}

async function runAgainstServe(n: number, rate: number, dir: string): Promise<Row> {
  const load = loadavg()[0]!;
  const port = await freeTcpPort();
  const serve = spawn(process.execPath, [join(root, 'bin/umphone.js'), 'serve', '--port', String(port), '--worker-port', String(port + 5), '--data-dir', join(dir, `um-data-${n}`)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  serve.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  serve.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  for (let i = 0; i < 150 && !/Ctrl-C stops/.test(out); i++) await sleep(100);
  if (!/Ctrl-C stops/.test(out)) {
    serve.kill('SIGKILL');
    throw new Error(`umphone serve did not start: ${out.slice(-1000)}`);
  }
  const serveCpu = sampleProc(serve.pid!);
  const capture = await startCapture(join(dir, `serve-${n}.pcap`), `udp and src portrange ${RTP_LO}-${RTP_HI}`);
  let r: Awaited<ReturnType<typeof runLoad>>;
  let cap: CaptureResult;
  let calleeCpu = 0;
  try {
    r = await runLoad(n, rate, join(root, 'scripts/examples/load-leave-message.yaml'), [`port=${port}`], dir, 'serve');
    calleeCpu = serveCpu.stop().cpuS;
  } finally {
    await sleep(CAPTURE_FLUSH_MS);
    cap = await capture.stop();
    serve.kill('SIGTERM');
    await Promise.race([new Promise((resolve) => serve.once('exit', resolve)), sleep(5000)]);
    serve.kill('SIGKILL');
  }
  const pacing = analyse(cap.path, isCallerRtp);
  return ourRow('umphone load → umphone serve', n, r, pacing, cap.droppedByKernel, calleeCpu, load, `load exit ${r.code}`);
}

/** SIPp UAC (pcap audio) against the SIPp echo UAS: same calls, rate, concurrency and call length. */
async function runSippUac(n: number, rate: number, holdMs: number, dir: string): Promise<Row> {
  const load = loadavg()[0]!;
  const callee = await startSippCallee(dir);
  writeG711Pcap(join(dir, 'audio.pcap'), holdMs / 1000 + 1);
  writeFileSync(join(dir, 'uac.xml'), uacScenario(holdMs));
  const uacSip = await freeUdpPort();
  const uacMedia = await freeUdpPort();
  const uacCtl = await freeUdpPort();
  const echoCpu = sampleProc(callee.echo.child.pid!);
  const capture = await startCapture(join(dir, `uac-${n}.pcap`), `udp and dst port ${callee.echoMedia}`);
  const stats = join(dir, `uac-${n}.csv`);
  const t0 = performance.now();
  const uac = startSippPeer(dir, [
    `127.0.0.1:${callee.echoSip}`, '-sf', join(dir, 'uac.xml'), '-s', 'echo',
    '-p', String(uacSip), '-mp', String(uacMedia), '-cp', String(uacCtl),
    '-m', String(2 * n), '-l', String(n), '-r', String(rate), '-rp', '1000',
    '-trace_stat', '-stf', stats, '-fd', '1',
  ]);
  const uacProc = sampleProc(uac.child.pid!, true);
  const code = await Promise.race([uac.exited, sleep(((2 * n) / rate) * 1000 + holdMs + 60_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') uac.child.kill('SIGKILL');
  const wallS = (performance.now() - t0) / 1000;
  const uacFig = uacProc.stop();
  const echoFig = echoCpu.stop();
  await sleep(CAPTURE_FLUSH_MS);
  const cap = await capture.stop();
  await stopSipp(callee.echo);
  await stopSipp(callee.redir);
  const pacing = analyse(cap.path, (r) => r.payload.length >= 12 && r.payload.readUInt32BE(8) === SIPP_SSRC);
  let ok = 0;
  let failed = 0;
  try {
    const rows = readFileSync(stats, 'utf8').trim().split('\n').map((l) => l.split(';'));
    const col = (name: string): number => Number(rows[rows.length - 1]![rows[0]!.indexOf(name)] ?? 0);
    ok = col('SuccessfulCall(C)');
    failed = col('FailedCall(C)');
  } catch {
    // no statistics file: the counts stay 0 and the note says why
  }
  const callSeconds = (ok + failed) * (holdMs / 1000);
  return {
    who: 'SIPp UAC (pcap) → SIPp echo UAS',
    calls: ok + failed,
    failed,
    reasons: failed ? 'see SIPp stats' : '',
    // SIPp's own -l caps the calls in progress; N is reached when rate × hold ≥ N.
    peak: Math.min(n, Math.round(rate * (holdMs / 1000))),
    heldS: NaN,
    pacing,
    wireLost: pacing.lost,
    captureDropped: cap.droppedByKernel,
    callerRssMb: uacFig.peakRssMb,
    callerCpuMsPerCallS: (uacFig.cpuS * 1000) / callSeconds,
    calleeCpuMsPerCallS: (echoFig.cpuS * 1000) / callSeconds,
    callSeconds,
    threads: uacFig.threads,
    waits: uacFig.waits,
    wallS,
    cpuPressure: cpuPressure(),
    load,
    note: `UAC exit ${code}; calls held ${holdMs} ms after the answer, no 302 (SIPp follows none without -t tn)`,
  };
}

function printRows(n: number, rows: Row[]): void {
  console.log(`\n${n} concurrent callers (2×${n} calls started at ${n / Number(process.env.BENCH_LOAD_RATE_DIV ?? 4)}/s, at most ${n} at once)`);
  console.log(
    '  who                                   calls  failed  peak/held≥95%   RTP sent (wire)  lost  p99|gap−20|  max      rx loss p50/max  MOS p50/p5  caller RSS  CPU ms per call-s: caller / callee   load',
  );
  for (const r of rows) {
    console.log(
      `  ${r.who.padEnd(37)} ${String(r.calls).padStart(5)}  ${String(r.failed).padStart(6)}  ${`${r.peak}/${f(r.heldS, 1)} s`.padStart(13)}  ` +
        `${String(r.pacing.packets).padStart(15)}  ${String(r.wireLost).padStart(4)}  ${`${f(r.pacing.p99, 2)} ms`.padStart(11)}  ${`${f(r.pacing.max, 1)} ms`.padStart(8)}  ` +
        `${(r.rxLoss ?? '—').padStart(15)}  ${(r.mos ?? '—').padStart(10)}  ${`${f(r.callerRssMb, 0)} MB`.padStart(10)}  ` +
        `${f(r.callerCpuMsPerCallS, 2).padStart(18)} / ${f(r.calleeCpuMsPerCallS, 2).padEnd(14)}  ${f(r.load, 2)}`,
    );
    const extra = [
      r.reasons && `failed: ${r.reasons}`,
      r.captureDropped ? `capture dropped ${r.captureDropped}` : '',
      `streams ${r.pacing.streams}, mean gap ${f(r.pacing.meanGap, 3)} ms, audio ticks never sent ${r.pacing.skipped} (${f((100 * r.pacing.skipped) / Math.max(1, r.pacing.skipped + r.pacing.packets), 1)} %), ${f(r.callSeconds, 0)} call-s in ${f(r.wallS, 1)} s`,
      r.threads && `threads (CPU s / waiting for a CPU s): ${[...r.threads].filter(([, v]) => v >= 0.05).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${f(v, 2)}/${f(r.waits?.get(k), 2)}`).join(', ')}`,
      `CPU pressure (some, avg10) ${f(r.cpuPressure, 0)} %`,
      r.note,
    ].filter(Boolean);
    console.log(`      ${extra.join('; ')}`);
  }
  const ours = rows.filter((r) => r.who.startsWith('umphone'));
  for (const r of ours) {
    const fails = (r.failed / Math.max(1, r.calls)) * 100;
    const checks: string[] = [];
    if (n === 500) checks.push(`0 failed ${r.failed === 0 ? '✓' : '✗'}`, `no RTP loss ${r.wireLost === 0 && r.pacing.skipped === 0 && /^0\.00\/0\.00/.test(r.rxLoss ?? '') ? '✓' : '✗'} (lost on the wire, ticks never sent, lost at the callers' receivers)`);
    if (n === 1000) {
      checks.push(`≤ 1 % failed ${fails <= 1 ? '✓' : '✗'} (${f(fails, 2)} %)`, `p99 ≤ 2 ms ${r.pacing.p99 <= 2 ? '✓' : '✗'}`, `RSS ≤ 300 MB ${r.callerRssMb <= 300 ? '✓' : '✗'}`);
    }
    if (checks.length) console.log(`  targets (${r.who}): ${checks.join(', ')}`);
  }
}

export async function run(): Promise<void> {
  const points = (process.env.BENCH_LOAD_CALLS ?? '100,500,1000').split(',').map(Number).filter((x) => x > 0);
  const peers = new Set((process.env.BENCH_LOAD_PEERS ?? 'sipp,serve,uac').split(','));
  const div = Number(process.env.BENCH_LOAD_RATE_DIV ?? 4);
  const dir = mkdtempSync(join(tmpdir(), 'umphone-load-bench-'));
  console.log(`load benchmark: ${points.join(', ')} concurrent callers; folder ${dir}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  try {
    for (const n of points) {
      const rate = Math.max(1, Math.round(n / div));
      const rows: Row[] = [];
      let holdMs = 5800;
      if (peers.has('sipp')) {
        const row = await runAgainstSipp(n, rate, dir);
        rows.push(row);
        const report = JSON.parse(readFileSync(join(dir, `load-sipp-${n}.json`), 'utf8')) as LoadJson;
        const ds = report.callers.filter((c) => c.answered).map((c) => c.durationMs).sort((a, b) => a - b);
        if (ds.length) holdMs = Math.round(ds[Math.floor(ds.length / 2)]!);
      }
      if (peers.has('serve')) rows.push(await runAgainstServe(n, rate, dir));
      if (peers.has('uac')) rows.push(await runSippUac(n, rate, holdMs, dir));
      printRows(n, rows);
    }
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(`kept ${dir}`);
  }
}
