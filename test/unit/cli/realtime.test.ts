import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { applyRealtime, reportRtpRealtime, requestRealtime, rtpEngineChoice, type RealtimeDeps } from '../../../src/cli/realtime.js';
import { UsageError } from '../../../src/cli/context.js';
import { fakeCliIo } from '../../support/fake-cli-io.js';

function deps(result: Awaited<ReturnType<RealtimeDeps['run']>>, log: string[] = []): RealtimeDeps {
  return {
    pid: 4242,
    warmThreadPool: async () => void log.push('warm'),
    run: async (file, args) => {
      log.push(`${file} ${args.join(' ')}`);
      return result;
    },
  };
}

const io = fakeCliIo;

describe('--realtime', () => {
  it('starts the thread pool first, then raises only the main thread (chrt -p on the pid)', async () => {
    const log: string[] = [];
    expect(await requestRealtime(20, deps({ code: 0, stderr: '' }, log))).toBeUndefined();
    expect(log).toEqual(['warm', 'chrt -f -p 20 4242']);
  });

  it('says in one line why it was refused, and the call goes on', async () => {
    const eperm = deps({ code: 1, stderr: 'chrt: failed to set pid 4242\'s policy: Operation not permitted\n' });
    const out = io();
    expect(await applyRealtime({ realtime: true, 'realtime-priority': 30 }, out, eperm)).toBe(false);
    expect(out.stderr).toBe(
      'umphone: --realtime: not permitted (needs root, CAP_SYS_NICE or an rtprio limit in /etc/security/limits.conf); RTP is paced at normal priority\n',
    );
    expect(await requestRealtime(20, deps({ code: null, stderr: '', missing: true }))).toBe('chrt (util-linux) is not installed');
    expect(await requestRealtime(20, deps({ code: 1, stderr: 'chrt: unsupported priority value\n' }))).toBe('chrt failed: unsupported priority value');
  });

  it('does nothing without --realtime', async () => {
    const log: string[] = [];
    expect(await applyRealtime({ realtime: false }, io(), deps({ code: 0, stderr: '' }, log))).toBe(false);
    expect(log).toEqual([]);
  });

  const root = process.getuid?.() === 0 && spawnSync('chrt', ['--version']).status === 0;
  it.skipIf(!root)('for real (as root): the main thread runs SCHED_FIFO, V8 and libuv threads stay SCHED_OTHER', () => {
    const script = `
      import { requestRealtime } from './src/cli/realtime.ts';
      import { readFileSync, readdirSync } from 'node:fs';
      const refused = await requestRealtime(7);
      const policy = (tid) => Number(/^policy\\s*:\\s*(\\d+)/m.exec(readFileSync('/proc/self/task/' + tid + '/sched', 'utf8'))[1]);
      const tasks = readdirSync('/proc/self/task').map(Number);
      console.log(JSON.stringify({ refused, main: policy(process.pid), others: tasks.filter((t) => t !== process.pid).map(policy) }));
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../../..', import.meta.url).pathname,
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { refused?: string; main: number; others: number[] };
    expect(r.refused).toBeUndefined();
    expect(r.main).toBe(1); // SCHED_FIFO
    expect(r.others.length).toBeGreaterThan(3); // V8 platform threads, libuv's pool
    expect(r.others.every((p) => p === 0)).toBe(true); // SCHED_OTHER
  });
});

describe('--rtp-engine', () => {
  it('takes the option, else UMPHONE_RTP_ENGINE, else leaves it to the default (native where built)', () => {
    expect(rtpEngineChoice({}, {})).toEqual({});
    expect(rtpEngineChoice({}, { UMPHONE_RTP_ENGINE: 'main' })).toEqual({ rtpEngine: 'main' });
    expect(rtpEngineChoice({ 'rtp-engine': 'Native' }, { UMPHONE_RTP_ENGINE: 'main' })).toEqual({ rtpEngine: 'native' });
    expect(rtpEngineChoice({ 'rtp-engine': '' }, { UMPHONE_RTP_ENGINE: 'main' })).toEqual({});
  });

  it('refuses a bad name with a usage error (exit code 2), naming the option or the variable; worker is gone', () => {
    expect(() => rtpEngineChoice({ 'rtp-engine': 'fast' }, {})).toThrow(UsageError);
    expect(() => rtpEngineChoice({ 'rtp-engine': 'fast' }, {})).toThrow(/^--rtp-engine must be main or native, got fast$/);
    expect(() => rtpEngineChoice({ 'rtp-engine': 'worker' }, {})).toThrow(/^--rtp-engine must be main or native, got worker$/);
    expect(() => rtpEngineChoice({}, { UMPHONE_RTP_ENGINE: 'worker' })).toThrow(UsageError);
    expect(() => rtpEngineChoice({}, { UMPHONE_RTP_ENGINE: 'fast' })).toThrow(/UMPHONE_RTP_ENGINE/);
  });

  it('with --realtime, gives an engine that may be native the main thread\'s priority; not the main engine', () => {
    expect(rtpEngineChoice({ 'rtp-engine': 'native', realtime: true, 'realtime-priority': 33 }, {})).toEqual({ rtpEngine: 'native', rtpRealtimePriority: 33 });
    expect(rtpEngineChoice({ realtime: true }, {})).toEqual({ rtpRealtimePriority: 20 });
    expect(rtpEngineChoice({ 'rtp-engine': 'main', realtime: true }, {})).toEqual({ rtpEngine: 'main' });
    expect(() => rtpEngineChoice({ 'rtp-engine': 'native', realtime: true, 'realtime-priority': 0 }, {})).toThrow(UsageError);
  });

  it('refuses a bad --realtime-priority without --realtime too (one line, exit code 2)', () => {
    expect(() => rtpEngineChoice({ 'realtime-priority': 0 }, {})).toThrow(/--realtime-priority must be an integer from 1 to 99, got 0/);
    expect(() => rtpEngineChoice({ 'realtime-priority': 100 }, {})).toThrow(UsageError);
    expect(rtpEngineChoice({ 'realtime-priority': 99 }, {})).toEqual({});
  });

  it('says once per process, in one line, that the main thread paces where the native engine is not built', () => {
    const first = io();
    reportRtpRealtime({ fallback: 'the native RTP I/O addon is not built (x is missing)' }, first);
    expect(first.stderr).toBe('umphone: RTP is paced on the main thread: the native RTP I/O addon is not built (x is missing)\n');
    const again = io();
    reportRtpRealtime({ fallback: 'the native RTP I/O addon is not built (x is missing)' }, again);
    expect(again.stderr).toBe('');
  });

  it('reports a refused I/O thread in one line, and nothing when it was raised', () => {
    const quiet = io();
    reportRtpRealtime({ realtimeRefused: undefined }, quiet);
    expect(quiet.stderr).toBe('');
    const told = io();
    reportRtpRealtime({ realtimeRefused: 'not permitted (EPERM)' }, told);
    expect(told.stderr).toBe('umphone: --realtime: the RTP I/O thread: not permitted (EPERM); it runs at normal priority\n');
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)('for real (as root): the native I/O threads alone run SCHED_FIFO, one above the priority asked, the hedge thread only while hedging', () => {
    const script = `
      import { createRtpTransport } from './src/rtp/rtp-transport.ts';
      import { RealClock } from './src/util/clock.ts';
      import { readFileSync, readdirSync } from 'node:fs';
      const policy = (tid) => Number(/^policy\\s*:\\s*(\\d+)/m.exec(readFileSync('/proc/self/task/' + tid + '/sched', 'utf8'))[1]);
      // /proc/<tid>/stat: rt_priority is field 40, counted after the ")" that ends the command name
      const rtPriority = (tid) => Number(readFileSync('/proc/self/task/' + tid + '/stat', 'utf8').split(') ')[1].split(' ')[37]);
      const before = new Set(readdirSync('/proc/self/task').map(Number));
      const t = await createRtpTransport({ clock: new RealClock(), mode: 'native', realtimePriority: 9 });
      const live = (f) => (tid) => { try { return f(tid); } catch { return -1; } }; // a thread may end between readdir and read
      const fifo = () => readdirSync('/proc/self/task').map(Number).filter((x) => live(policy)(x) === 1);
      const until = async (n) => { for (let i = 0; i < 200 && fifo().length !== n; i++) await new Promise((r) => setTimeout(r, 10)); return fifo(); };
      const idle = fifo();
      // with a pair (1 to 4), the hedge thread starts and raises itself; with none, it is gone
      const pair = await t.openSocketPair({ address: '127.0.0.1', port: 0 });
      const hedging = await until(2);
      const priorities = hedging.map(live(rtPriority));
      await pair.close();
      const after = await until(1);
      console.log(JSON.stringify({ refused: t.realtimeRefused, idle: idle.length, hedging: hedging.length, after: after.length,
        fifoIsNew: hedging.every((x) => !before.has(x)), priorities }));
      await t.close();
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: new URL('../../..', import.meta.url).pathname,
      encoding: 'utf8',
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { refused?: string; idle: number; hedging: number; after: number; fifoIsNew: boolean; priorities: number[] };
    expect(r.refused).toBeUndefined();
    // the I/O thread, and its hedge thread while it carries 1 to 4 pairs where the process may use two CPUs (native/hedge.h)
    const threads = availableParallelism() >= 2 ? 2 : 1;
    expect(r).toEqual({ idle: 1, hedging: threads, after: 1, fifoIsNew: true, priorities: Array(threads).fill(10) });
  });
});
