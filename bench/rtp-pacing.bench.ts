/**
 * RTP pacing benchmark: our RTP engines (src/rtp/rtp-transport.ts: the native I/O thread, and the main
 * thread's pacer with its precise wake) against SIPp 3.6.1's pcap replay, measured the same way in the
 * same run. What the figures were and what they taught: docs/measurements/rtp-pacing.md.
 *
 * For each point N (1, 200, 500, 1000 concurrent calls): N RTP streams of 172-byte PCMU packets every
 * 20 ms for BENCH_SECONDS (default 10; BENCH_QUICK=1: 1, 200 and 1000 calls, 4 s), RTP both ways:
 *   - ours: one process, one Pacer, N RtpSenders each on its own UDP socket (symmetric: the socket that
 *     sends is the one that receives); a peer process echoes every packet back to the port it came from;
 *   - SIPp: one UAS and one UAC instance, `-l N -r N -m N`, both replaying a G.711 pcap with
 *     play_pcap_audio (as SIPp users load-test media), so 2N streams.
 * Timing comes from the wire: `tcpdump -i lo -nn -w` (nanosecond timestamps), parsed here; the figure is
 * |gap − 20 ms| pooled over every stream, the first second of each stream left out (JIT warm-up, call
 * set-up). Loss: sequence gaps on the wire, echoed packets our sockets did not get, ticks our process was
 * too late to send at all, tcpdump's own drops.
 * CPU is the share of one core used during the run (process.cpuUsage for us, /proc for SIPp).
 * At 1 call a C floor runs too (support/rtp-floor-sender.c: a bare sleep-and-spin loop, same chrt, same
 * capture; BENCH_NO_FLOOR=1 leaves it out): the machine's own noise at that moment, to read ours against.
 * Steal is the CPU time the hypervisor took from this VM during the point (/proc/stat, ms per second,
 * all vCPUs): at 1 call the p99 is the 15th worst of 1500 gaps in 30 s, so a few packets delayed by a
 * preempted vCPU decide it, ours and SIPp's alike — read the 1-call figures with it.
 *
 * Settings (environment): BENCH_CALLS=1,200 (the points), BENCH_SECONDS, BENCH_QUICK=1,
 * BENCH_ENGINES=native,main, BENCH_PEER=node (Node echo peers instead of the C one), BENCH_NO_SIPP=1,
 * BENCH_NO_FLOOR=1, BENCH_KEEP=1 (keep the captures), BENCH_CHRT=1 (our main thread SCHED_FIFO 20 as
 * with --realtime, SIPp under chrt -f 20), BENCH_LEAD_MS=10 (the native engine's lookahead; 10 is what
 * a call with a live microphone uses), BENCH_ENGINE_SETTINGS='{"hedgePairs":0}' (the native thread's
 * NativeIoSettings), BENCH_STAMP=1 (also print how long a packet takes from its source's poll to the
 * wire: what a microphone's frame sees), BENCH_MONITOR=1 (each engine twice, the second time with every
 * stream's pcap and quality model as a call carries them; BENCH_MONITOR=all: also the quality model
 * alone: docs/measurements/quality.md; BENCH_PCAP_JS=1: the native engine's pcap written by the JavaScript
 * capture as before the native one, to compare the two), BENCH_SRTP=1 (each of those runs twice, plain RTP then SRTP as a
 * call with --srtp protects it, AES_CM_128_HMAC_SHA1_80 both ways: the SRTP row's pacing, and the CPU
 * per call that SRTP adds, from the two rows of the same run; on the native engine SRTP runs on its I/O
 * thread, BENCH_SRTP_JS=1 adds a row with SRTP in JavaScript on the same engine; and baresip's own SRTP
 * cost at the same point, plain then srtp-mand, support/baresip-cpu.ts, at up to BENCH_BARESIP_CALLS=50
 * calls; BENCH_NO_BARESIP=1 leaves it out).
 */
import * as dgram from 'node:dgram';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { baresipCpu, type BaresipCpu } from './support/baresip-cpu.js';
import { startCapture, type CaptureResult } from './support/capture.js';
import { readUdpPcap, type UdpRecord } from './support/pcap.js';
import { PacingAnalyzer, type PacingFigures } from './support/pacing-stats.js';
import {
  SIPP_SSRC,
  procCpuSeconds,
  procPeakRss,
  spawnSipp,
  writeG711Pcap,
  writeScenarios,
} from './support/sipp-rtp.js';

type Monitor = 'none' | 'quality' | 'pcap+quality';
type Who = `umphone ${'main' | 'native'}${'' | ' +quality' | ' +pcap+quality'}${'' | ' srtp' | ' srtp-js'}` | 'SIPp' | 'C floor';
/** How a row runs SRTP: none, where the socket pair runs it (the native engine: its I/O thread), or in JavaScript. */
type SrtpVariant = false | 'auto' | 'js';
const ENGINES = ['native', 'main'] as const;

interface Row {
  who: Who;
  calls: number;
  pacing: PacingFigures;
  /** Packets lost: sequence gaps on the wire + sent but not on the wire + echoed but not received + never sent. */
  lost: number;
  detail: string;
  cpuPercent: number;
  rssMb: number;
  capture: CaptureResult;
  /** 1-minute load average when the point started: this machine is shared, read the figures with it. */
  load: number;
  /** CPU time the hypervisor took from this VM during the point (ms per second, all vCPUs: /proc/stat steal). */
  stealMsPerS: number;
}

/** /proc/stat's steal time, all CPUs, in ms (0 where it does not exist). */
function stealMs(): number {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/);
    return (Number(cpu[8] ?? 0) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return 0;
  }
}

/** Steal (ms per second of wall time) since `since` = [stealMs(), performance.now()]. */
function stealSince(since: [number, number]): number {
  const wall = (performance.now() - since[1]) / 1000;
  return wall > 0 ? (stealMs() - since[0]) / wall : 0;
}

const TARGET_P99: Record<number, number> = { 1: 0.25, 200: 1, 500: 1, 1000: 2 };
/** tcpdump (libpcap TPACKET_V3, 1 s timeout) hands a partly filled block over only when it times out. */
const CAPTURE_FLUSH_MS = 1300;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The echo peer. By default the C peer (support/rtp-echo-peer.c, built here with the system's cc): one
 * process, N sockets, about a third of the CPU of Node peers, so it does not take the second core from
 * the process under test (four Node echo processes at 1000 calls took ~0.9 core and, starved, returned
 * echoes seconds late: measured). BENCH_PEER=node, or no C compiler, uses `processes` Node peers
 * instead (rtp-echo-peer.ts, one per 250 calls). Either runs at normal priority even with BENCH_CHRT=1:
 * four echo processes under SCHED_FIFO at 1000 calls took both cores and starved the whole machine
 * (measured). SIPp's peer is SIPp's own UAS, which sends as much as it receives and is measured as a
 * sender, so it runs under the same chrt as the UAC.
 */
function echoPeerCommand(dir: string): string[] | undefined {
  if (process.env.BENCH_PEER === 'node') return undefined;
  const exe = buildC(dir, 'rtp-echo-peer');
  if (typeof exe !== 'string') {
    console.log(`  (no C echo peer: ${exe.error}; using Node peers)`);
    return undefined;
  }
  return [exe];
}

/** Compiles support/NAME.c with the system's cc into `dir` (once): the program's path, or why not. */
function buildC(dir: string, name: string): string | { error: string } {
  const exe = join(dir, name);
  if (existsSync(exe)) return exe;
  const cc = spawnSync('cc', ['-O2', '-o', exe, join(here, `support/${name}.c`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (cc.status !== 0) return { error: cc.error?.message ?? String(cc.stderr).trim().split('\n')[0] ?? `cc exited with ${cc.status}` };
  return exe;
}

async function startEchoPeer(n: number, dir: string) {
  const native = echoPeerCommand(dir);
  const processes = native ? 1 : Math.max(1, Math.ceil(n / 250));
  const peers = await Promise.all(
    Array.from({ length: processes }, async (_, i) => {
      const share = Math.floor(n / processes) + (i < n % processes ? 1 : 0);
      const cmd = native
        ? [...native, String(share)]
        : [process.execPath, '--import', 'tsx', join(here, 'support/rtp-echo-peer.ts'), String(share)];
      const child = spawnCmd(cmd, { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines = createInterface({ input: child.stdout! });
      const it = lines[Symbol.asyncIterator]();
      const first = await it.next();
      return { child, it, ports: (JSON.parse(String(first.value)) as { ports: number[] }).ports };
    }),
  );
  const cpu0 = peers.map((p) => procCpuSeconds(p.child.pid!));
  const t0 = performance.now();
  return {
    ports: peers.flatMap((p) => p.ports),
    processes,
    kind: native ? 'C' : 'Node',
    async stop(): Promise<{ echoed: number; cpuPercent: number }> {
      const cpu = peers.reduce((a, p, i) => a + procCpuSeconds(p.child.pid!) - cpu0[i]!, 0);
      const wall = (performance.now() - t0) / 1000;
      let echoed = 0;
      for (const p of peers) {
        p.child.stdin!.end();
        const last = await p.it.next();
        if (!last.done) echoed += (JSON.parse(String(last.value)) as { echoed: number }).echoed;
      }
      return { echoed, cpuPercent: (cpu / wall) * 100 };
    },
  };
}

/** `chrt -f 20` before SIPp when BENCH_CHRT=1 (its RTP threads are its own pthreads), else nothing. */
function rt(cmd: string[]): string[] {
  return process.env.BENCH_CHRT === '1' ? ['chrt', '-f', '20', ...cmd] : cmd;
}

function spawnCmd(cmd: string[], opts: Parameters<typeof spawn>[2]) {
  return spawn(cmd[0]!, cmd.slice(1), opts);
}

const srtpSuffix = (srtp: SrtpVariant): string => (srtp === 'auto' ? ' srtp' : srtp === 'js' ? ' srtp-js' : '');

async function runOurs(engine: (typeof ENGINES)[number], calls: number, seconds: number, dir: string, monitor: Monitor = 'none', srtp: SrtpVariant = false): Promise<Row> {
  const load = loadavg()[0]!;
  const steal0: [number, number] = [stealMs(), performance.now()];
  const peer = await startEchoPeer(calls, dir);
  const capture = await startCapture(join(dir, `ours-${engine}-${calls}-${monitor}${srtp ? `-srtp-${srtp}` : ''}.pcap`));
  const monitorDir = monitor !== 'none' ? mkdtempSync(join(dir, 'monitor-')) : undefined;
  // BENCH_CHRT=1: our process raises its main thread itself, as `umphone call --realtime` does (the
  // whole process under chrt would put V8's helper threads at the pacer's priority: measured worse).
  const child = spawnCmd(
    [process.execPath, ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), '--import', 'tsx', join(here, 'support/rtp-pacer-process.ts'), String(seconds), peer.ports.join(','), engine],
    { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_REALTIME: process.env.BENCH_CHRT === '1' ? '20' : '', ...(monitorDir ? { BENCH_MONITOR_DIR: monitorDir, BENCH_MONITOR_PCAP: monitor === 'quality' ? '0' : '1' } : {}), BENCH_SRTP: srtp ? '1' : '', BENCH_SRTP_WHERE: srtp === 'js' ? 'js' : 'auto' } },
  );
  let out = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => (out += d));
  // Never leave a real-time process behind: kill it if it overstays.
  const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(guard);
  let res: {
    sent: number; missed?: number; received: number; cpuMs: number; wallMs: number; rss: number; srtpDropped?: number;
    engine?: { late: number; maxLateMs: number; arrivedLate: number; received: number; hedged?: number };
    monitor?: { streams: number; summaryJsonBytes: number; meanMos: number };
  };
  try {
    res = JSON.parse(out.trim()) as typeof res;
  } catch {
    // The process under test died: stop the capture and the peers before saying so, or a tcpdump
    // left running would tap every later packet (and skew every later figure).
    await capture.stop().catch(() => undefined);
    await peer.stop().catch(() => undefined);
    throw new Error(`the pacer process (${engine}, ${calls} calls) exited with ${code} and no result`);
  }
  const stealMsPerS = stealSince(steal0);
  await sleep(CAPTURE_FLUSH_MS);
  const cap = await capture.stop();
  const { echoed, cpuPercent: peerCpu } = await peer.stop();

  const peerPorts = new Set(peer.ports);
  const analyzer = new PacingAnalyzer((r) => peerPorts.has(r.dstPort));
  let echoOnWire = 0;
  const pollToWire = new PollToWire();
  readUdpPcap(cap.path, (r) => {
    analyzer.add(r);
    if (peerPorts.has(r.srcPort)) echoOnWire++;
    else if (peerPorts.has(r.dstPort)) pollToWire.add(r);
  });
  if (!process.env.BENCH_KEEP) rmSync(cap.path, { force: true });
  const pacing = analyzer.figures();
  const notOnWire = Math.max(0, res.sent - pacing.packets - pacing.lost);
  const notReceived = Math.max(0, echoOnWire - res.received);
  let monitorDetail = '';
  if (monitorDir) {
    const files = readdirSync(monitorDir);
    const bytes = files.reduce((a, f) => a + statSync(join(monitorDir, f)).size, 0);
    monitorDetail = `; monitor: ${files.length} pcaps, ${f(bytes / 2 ** 20, 1)} MiB, quality summary ${res.monitor?.summaryJsonBytes ?? '?'} B per stream, mean MOS ${f(res.monitor?.meanMos ?? 0, 2)}`;
    rmSync(monitorDir, { recursive: true, force: true });
  }
  return {
    who: `umphone ${engine}${monitor === 'none' ? '' : ` +${monitor}`}${srtpSuffix(srtp)}` as Who,
    calls,
    pacing,
    lost: pacing.lost + notOnWire + notReceived + (res.missed ?? 0),
    detail:
      `sent ${res.sent}, never sent (process too late) ${res.missed ?? 0}, on wire ${pacing.packets}, echoed ${echoed}, received back ${res.received}` +
      (res.srtpDropped !== undefined ? ` (SRTP: ${res.srtpDropped} echoes failed to unprotect)` : '') + '; ' +
      `echo peer ${peer.kind} ${peer.processes} process(es) ${f(peerCpu, 0)} % CPU` +
      (res.engine
        ? `; I/O thread: ${res.engine.late} sent > 1 ms late (${res.engine.arrivedLate} reached it late), max ${f(res.engine.maxLateMs, 2)} ms, received ${res.engine.received}` +
          (res.engine.hedged ? `, ${res.engine.hedged} sent by the hedge thread` : '')
        : '') +
      pollToWire.detail() +
      monitorDetail,
    cpuPercent: (res.cpuMs / res.wallMs) * 100,
    rssMb: res.rss / 2 ** 20,
    capture: cap,
    load,
    stealMsPerS,
  };
}

/**
 * BENCH_STAMP=1: how long each packet took from its source's poll (the instant stamped in its payload by
 * rtp-pacer-process.ts, as a microphone's frame is read) to the wire, the first second left out.
 */
class PollToWire {
  private readonly delays: number[] = [];
  private firstUs: number | undefined;

  add(r: UdpRecord): void {
    if (process.env.BENCH_STAMP !== '1' || r.payload.length < 20) return;
    this.firstUs ??= r.timeUs;
    if (r.timeUs - this.firstUs >= 1e6) this.delays.push(r.timeUs / 1000 - r.payload.readDoubleLE(12));
  }

  detail(): string {
    if (this.delays.length === 0) return '';
    const d = this.delays.sort((a, b) => a - b);
    const q = (p: number): number => d[Math.min(d.length - 1, Math.floor(p * d.length))]!;
    return `; poll → wire p50 ${f(q(0.5), 2)} p99 ${f(q(0.99), 2)} max ${f(d[d.length - 1]!, 2)} ms`;
  }
}

async function freeUdpPorts(count: number, step: number): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20000 + 4 * Math.floor(Math.random() * 2900);
    const ports = Array.from({ length: count }, (_, i) => base + i * step);
    const ok = await Promise.all(
      ports.map(
        (p) =>
          new Promise<boolean>((resolve) => {
            const s = dgram.createSocket('udp4');
            s.once('error', () => resolve(false));
            s.bind({ port: p, address: '127.0.0.1', exclusive: true }, () => s.close(() => resolve(true)));
          }),
      ),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('No free UDP port range for SIPp on 127.0.0.1.');
}

async function runSipp(calls: number, seconds: number, dir: string): Promise<Row> {
  const load = loadavg()[0]!;
  const steal0: [number, number] = [stealMs(), performance.now()];
  const callMs = (seconds + 1.5) * 1000;
  writeG711Pcap(join(dir, 'audio.pcap'), seconds + 1.5);
  const { uac, uas } = writeScenarios(dir, callMs + 1000); // both sides finish their pcap before the BYE
  const uasBase = await freeUdpPorts(4, 1); // SIP, control, media (+2)
  const uacBase = await freeUdpPorts(4, 1);
  const common = ['-timeout', `${Math.ceil(callMs / 1000) + 30}s`, '-max_recv_loops', '10000'];
  const server = spawnSipp(dir, ['-sf', uas, '-p', String(uasBase), '-cp', String(uasBase + 1), '-mp', String(uasBase + 2), ...common], rt([]));
  await sleep(500);
  const capture = await startCapture(join(dir, `sipp-${calls}.pcap`));
  const cpuBefore = procCpuSeconds(server.child.pid!);
  const t0 = performance.now();
  const client = spawnSipp(dir, [
    `127.0.0.1:${uasBase}`,
    '-sf', uac,
    '-p', String(uacBase), '-cp', String(uacBase + 1), '-mp', String(uacBase + 2),
    '-m', String(calls), '-l', String(calls), '-r', String(calls), '-rp', '1000',
    ...common,
  ], rt([]));
  // The calls start over the first second; each lasts callMs; SIPp quits after the last BYE.
  let cpuClient = 0;
  let rss = 0;
  const sample = setInterval(() => {
    const c = procCpuSeconds(client.child.pid!);
    if (c > 0) cpuClient = c;
    rss = Math.max(rss, procPeakRss(client.child.pid!) + procPeakRss(server.child.pid!));
  }, 200);
  const code = await Promise.race([client.exited, sleep(callMs + 21_000).then(() => 'timeout' as const)]);
  const wall = performance.now() - t0;
  clearInterval(sample);
  const cpuServer = procCpuSeconds(server.child.pid!) - cpuBefore;
  if (code === 'timeout') client.child.kill('SIGKILL');
  server.child.kill('SIGTERM');
  await Promise.race([server.exited, sleep(2000)]);
  server.child.kill('SIGKILL');
  const stealMsPerS = stealSince(steal0);
  await sleep(CAPTURE_FLUSH_MS);
  const cap = await capture.stop();

  const analyzer = new PacingAnalyzer((r) => r.payload.length >= 12 && r.payload.readUInt32BE(8) === SIPP_SSRC);
  readUdpPcap(cap.path, (r) => analyzer.add(r));
  if (!process.env.BENCH_KEEP) rmSync(cap.path, { force: true });
  const pacing = analyzer.figures();
  const perStream = Math.ceil(((seconds + 1.5) * 1000) / 20);
  const expected = 2 * calls * perStream;
  const missing = Math.max(0, expected - pacing.packets - pacing.lost);
  return {
    who: 'SIPp',
    calls,
    pacing,
    lost: pacing.lost + missing,
    detail: `streams ${pacing.streams}/${2 * calls}, expected ${expected}, on wire ${pacing.packets}, UAC exit ${code}`,
    cpuPercent: ((cpuClient + cpuServer) / (wall / 1000)) * 100,
    rssMb: rss / 2 ** 20,
    capture: cap,
    load,
    stealMsPerS,
  };
}

/**
 * The 1-call floor: support/rtp-floor-sender.c, one stream from a plain C loop (absolute sleep, then the
 * same 0.15 ms spin as our native thread), under the same chrt, to a socket that only discards. What its
 * gaps show on the wire is this machine's own noise at that instant (timer wake-ups, hypervisor steal).
 */
async function runFloor(seconds: number, dir: string): Promise<Row | undefined> {
  const exe = buildC(dir, 'rtp-floor-sender');
  if (typeof exe !== 'string') {
    console.log(`  (no C floor: ${exe.error})`);
    return undefined;
  }
  const load = loadavg()[0]!;
  const steal0: [number, number] = [stealMs(), performance.now()];
  const sink = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  sink.on('message', () => undefined);
  const port = sink.address().port;
  const capture = await startCapture(join(dir, 'floor-1.pcap'));
  try {
    const child = spawnCmd(rt([exe, String(seconds), String(port), '150']), { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => (out += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), (seconds + 30) * 1000);
    await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(guard);
    const stealMsPerS = stealSince(steal0);
    const res = JSON.parse(out.trim()) as { sent: number; lateP50Ms: number; lateP99Ms: number; lateMaxMs: number };
    await sleep(CAPTURE_FLUSH_MS);
    const cap = await capture.stop();
    const analyzer = new PacingAnalyzer((r) => r.dstPort === port);
    readUdpPcap(cap.path, (r) => analyzer.add(r));
    if (!process.env.BENCH_KEEP) rmSync(cap.path, { force: true });
    const pacing = analyzer.figures();
    return {
      who: 'C floor',
      calls: 1,
      pacing,
      lost: pacing.lost + Math.max(0, res.sent - pacing.packets - pacing.lost),
      detail: `sent ${res.sent}, on wire ${pacing.packets}; late at send time (its clock) p50 ${f(res.lateP50Ms, 3)} p99 ${f(res.lateP99Ms, 3)} max ${f(res.lateMaxMs, 2)} ms`,
      cpuPercent: NaN,
      rssMb: NaN,
      capture: cap,
      load,
      stealMsPerS,
    };
  } catch (e) {
    await capture.stop().catch(() => undefined);
    throw e;
  } finally {
    sink.close();
  }
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '-');

function printTable(rows: Row[], baresip: Map<number, { plain: BaresipCpu; srtp: BaresipCpu }> = new Map()): void {
  const head = '| calls | sender | p50 ms | p99 ms | max ms | target p99 | mean gap | lost | CPU % | RSS MB | tcpdump drops | load | steal ms/s |';
  console.log(head);
  console.log(head.replace(/[^|]/g, '-'));
  for (const r of rows) {
    const p = r.pacing;
    console.log(
      `| ${r.calls} | ${r.who} | ${f(p.p50, 3)} | ${f(p.p99, 3)} | ${f(p.max, 2)} | ${r.who.startsWith('umphone') ? `≤ ${TARGET_P99[r.calls] ?? '-'}` : ''} | ${f(p.meanGap, 3)} | ${r.lost} | ${f(r.cpuPercent, 0)} | ${f(r.rssMb, 0)} | ${r.capture.droppedByKernel} | ${f(r.load, 1)} | ${f(r.stealMsPerS, 1)} |`,
    );
  }
  const byCalls = new Map<number, Partial<Record<Who, Row>>>();
  for (const r of rows) byCalls.set(r.calls, { ...byCalls.get(r.calls), [r.who]: r });
  for (const [calls, set] of byCalls) {
    for (const ref of ['SIPp', 'C floor'] as const) {
      const other = set[ref];
      if (!other) continue;
      for (const e of ENGINES) {
        const ours = set[`umphone ${e}`];
        if (ours) console.log(`ratio p99 umphone ${e}/${ref} at ${calls} calls: ${f(ours.pacing.p99 / other.pacing.p99, 2)}`);
      }
    }
    for (const e of ENGINES) {
      const plain = set[`umphone ${e}`];
      if (!plain) continue;
      for (const suffix of [' srtp', ' srtp-js'] as const) {
        const secure = set[`umphone ${e}${suffix}`];
        if (!secure) continue;
        // % of one core → ms of CPU per second per call; a call protects 50 and unprotects 50 packets per second.
        const addedMsPerS = (((secure.cpuPercent - plain.cpuPercent) / 100) * 1000) / calls;
        const where = suffix === ' srtp-js' ? 'SRTP in JavaScript' : e === 'native' ? 'SRTP on the I/O thread' : 'SRTP in JavaScript';
        console.log(`SRTP adds at ${calls} calls (${e}, ${where}): ${f(addedMsPerS, 3)} ms CPU per second per call (${f(addedMsPerS * 10, 2)} µs per packet, 100 packets/s), p99 ${f(plain.pacing.p99, 3)} → ${f(secure.pacing.p99, 3)} ms`);
      }
    }
    const b = baresip.get(calls);
    if (b) {
      const added = b.srtp.msPerCallSecond - b.plain.msPerCallSecond;
      console.log(
        `baresip SRTP adds (libre, srtp-mand, measured at ${b.srtp.established}/${b.srtp.calls} calls up): ${f(added, 3)} ms CPU per second per call (${f(added * 10, 2)} µs per packet, 100 packets/s); ` +
          `its CPU per call ${f(b.plain.msPerCallSecond, 3)} → ${f(b.srtp.msPerCallSecond, 3)} ms/s`,
      );
    }
  }
}

export async function run(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1';
  const seconds = Number(process.env.BENCH_SECONDS ?? (quick ? 4 : 10));
  const points = (process.env.BENCH_CALLS ?? (quick ? '1,200,1000' : '1,200,500,1000')).split(',').map(Number);
  const withSipp = process.env.BENCH_NO_SIPP !== '1';
  const dir = mkdtempSync(join(tmpdir(), 'umphone-rtp-bench-'));
  const rows: Row[] = [];
  const baresip = new Map<number, { plain: BaresipCpu; srtp: BaresipCpu }>();
  console.log(
    `RTP pacing, ${seconds} s per point, |gap − 20 ms| on the wire (tcpdump on lo), RTP both ways` +
      (process.env.BENCH_CHRT === '1' ? ', SIPp under chrt -f 20, our main thread SCHED_FIFO 20 (as --realtime)' : '') +
      (process.env.BENCH_LEAD_MS ? `, native lead ${process.env.BENCH_LEAD_MS} ms` : ''),
  );
  const engines = (process.env.BENCH_ENGINES ?? ENGINES.join(',')).split(',') as (typeof ENGINES)[number][];
  const unknown = engines.filter((e) => !ENGINES.includes(e));
  if (unknown.length > 0) throw new Error(`BENCH_ENGINES: no engine ${unknown.join(', ')} (there are ${ENGINES.join(', ')})`);
  try {
    for (const calls of points) {
      for (const engine of engines) {
        // BENCH_MONITOR=1: each engine also with what a call carries (the quality model always, --pcap on
        // demand); BENCH_MONITOR=all: also with the quality model alone.
        const variants: Monitor[] = process.env.BENCH_MONITOR === 'all' ? ['none', 'quality', 'pcap+quality'] : process.env.BENCH_MONITOR === '1' ? ['none', 'pcap+quality'] : ['none'];
        const srtpVariants: SrtpVariant[] = process.env.BENCH_SRTP === '1' ? [false, 'auto', ...(process.env.BENCH_SRTP_JS === '1' && engine === 'native' ? ['js' as const] : [])] : [false];
        for (const [monitor, srtp] of variants.flatMap((m) => srtpVariants.map((s) => [m, s] as const))) {
          const name = `umphone ${engine}${monitor === 'none' ? '' : ` +${monitor}`}${srtpSuffix(srtp)}`;
          try {
            const ours = await runOurs(engine, calls, seconds, dir, monitor, srtp);
            rows.push(ours);
            console.log(`  ${name} ${calls} calls: p99 ${f(ours.pacing.p99, 3)} ms; ${ours.detail}`);
          } catch (e) {
            console.log(`  ${name} ${calls} calls: FAILED: ${(e as Error).message}`);
          }
          await sleep(500);
        }
      }
      if (process.env.BENCH_SRTP === '1' && process.env.BENCH_NO_BARESIP !== '1') {
        try {
          // baresip runs a thread and a timer per call and spends ~1 % of a core per call: a 2-vCPU machine
          // saturates near 100 calls, and a saturated process's CPU per call says nothing, so it is
          // measured at up to BENCH_BARESIP_CALLS (default 50) calls; SRTP's cost per call does not depend on it.
          const n = Math.min(calls, Number(process.env.BENCH_BARESIP_CALLS ?? 50));
          const plain = await baresipCpu(n, seconds, false);
          await sleep(500);
          const srtp = await baresipCpu(n, seconds, true);
          baresip.set(calls, { plain, srtp });
          console.log(`  baresip ${n} calls: CPU per call ${f(plain.msPerCallSecond, 3)} ms/s plain (${plain.established} up), ${f(srtp.msPerCallSecond, 3)} ms/s srtp-mand (${srtp.established} up)`);
        } catch (e) {
          console.log(`  baresip ${calls} calls: FAILED: ${(e as Error).message}`);
        }
        await sleep(500);
      }
      if (calls === 1 && !process.env.BENCH_NO_FLOOR) {
        try {
          const floor = await runFloor(seconds, dir);
          if (floor) {
            rows.push(floor);
            console.log(`  C floor 1 call: p99 ${f(floor.pacing.p99, 3)} ms; ${floor.detail}`);
          }
        } catch (e) {
          console.log(`  C floor 1 call: FAILED: ${(e as Error).message}`);
        }
      }
      if (withSipp) {
        await sleep(500);
        const sipp = await runSipp(calls, seconds, dir);
        rows.push(sipp);
        console.log(`  SIPp    ${calls} calls: p99 ${f(sipp.pacing.p99, 3)} ms; ${sipp.detail}`);
      }
      await sleep(500);
    }
  } finally {
    if (!process.env.BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
    else console.log(`captures kept in ${dir}`);
  }
  printTable(rows, baresip);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await run();
}
