/**
 * A private PulseAudio daemon per test file: two null sinks at 8 kHz mono, `spk` (what the phone plays;
 * record `spk.monitor`) and `mic` (feed it; the phone's default source is `mic.monitor`).
 * Why it is built this way: docs/peers.md (a virtual sound card).
 *
 * Traps:
 * - norewinds=1 on the null sinks, or an idle sink's monitor delivers its first data 1-2 s late and cuts
 *   40-160 ms off the start of each stream;
 * - every client (node/PortAudio, parec, pacat, pactl) needs PULSE_SERVER: pass `env` to children, and
 *   start the daemon BEFORE PortAudio initializes in the process under test;
 * - 8 kHz mono sinks avoid resampling, so samples pass bit-exact;
 * - `-D` daemonizes: the daemon is not our child, so stop() kills it by the pid in its pid file, and an
 *   exit-idle-time makes an orphan (test process killed) go away by itself.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnTracked, pollUntil, type TrackedChild } from './child-process.js';

export interface PulseOptions {
  /** Sample rate of both sinks (default 8000). */
  rate?: number;
  /** The daemon exits after this long without clients (default 120 s): the orphan safety net. */
  exitIdleSeconds?: number;
}

export interface PulseHandle {
  /** The daemon's runtime folder (socket, pid file, log). */
  readonly dir: string;
  /** unix:DIR/native */
  readonly server: string;
  /** process.env plus PULSE_SERVER (and XDG_RUNTIME_DIR/HOME pointing at dir): give it to every client. */
  readonly env: NodeJS.ProcessEnv;
  readonly pid: number;
  readonly rate: number;
  /** Record a source (e.g. 'spk.monitor' or 'mic.monitor') as raw s16le mono into `path` until stop(). */
  recordMonitor(source: string, path: string): Promise<Recorder>;
  /** Play 16-bit mono samples into a sink (e.g. 'mic'); resolves when pacat has written them all. */
  feedSink(sink: string, pcm: Int16Array): Promise<void>;
  /** pactl with this daemon's env; resolves with stdout. */
  pactl(...args: string[]): Promise<string>;
  stop(): Promise<void>;
}

export interface Recorder {
  readonly path: string;
  readonly child: TrackedChild;
  /** Stop parec and return the samples recorded. */
  stop(): Promise<Int16Array>;
}

export async function startPulse(opts: PulseOptions = {}): Promise<PulseHandle> {
  const rate = opts.rate ?? 8000;
  const dir = mkdtempSync(join(tmpdir(), 'umphone-pulse-'));
  chmodSync(dir, 0o700);
  mkdirSync(join(dir, 'pulse'), { recursive: true, mode: 0o700 });
  const script = [
    `load-module module-native-protocol-unix auth-anonymous=1 socket=${dir}/native`,
    `load-module module-null-sink sink_name=spk rate=${rate} channels=1 norewinds=1`,
    `load-module module-null-sink sink_name=mic rate=${rate} channels=1 norewinds=1`,
    'set-default-sink spk',
    'set-default-source mic.monitor',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'pulse.pa'), script);
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_RUNTIME_DIR: dir, HOME: dir, PULSE_SERVER: `unix:${dir}/native` };
  const args = [
    '-D',
    '--system=false',
    `--exit-idle-time=${opts.exitIdleSeconds ?? 120}`,
    '-n',
    '-F',
    join(dir, 'pulse.pa'),
    '--use-pid-file=yes',
    `--log-target=file:${dir}/pulse.log`,
  ];
  const starter = spawnTracked('pulseaudio', args, { env, cwd: dir });
  const info = await starter.exited; // -D returns once the daemon is ready
  const pidFile = join(dir, 'pulse', 'pid');
  if (info.code !== 0 || !existsSync(pidFile)) {
    const log = existsSync(join(dir, 'pulse.log')) ? readFileSync(join(dir, 'pulse.log'), 'utf8') : '';
    throw new Error(`pulseaudio did not start (code ${String(info.code)}): ${info.stderr}\n${log.slice(-2000)}`);
  }
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  let stopped = false;
  // The daemon is not our child: kill it by pid when the test process exits without stop().
  const onExit = (): void => {
    if (!stopped) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.on('exit', onExit);

  const run = async (cmd: string, a: string[]): Promise<string> => {
    const c = spawnTracked(cmd, a, { env });
    const r = await c.exited;
    if (r.code !== 0) throw new Error(`${cmd} ${a.join(' ')} failed (code ${String(r.code)}): ${r.stderr}`);
    return r.stdout;
  };

  const raw = ['--rate', String(rate), '--channels=1', '--format=s16le', '--raw'];
  const handle: PulseHandle = {
    dir,
    server: `unix:${dir}/native`,
    env,
    pid,
    rate,
    recordMonitor: async (source, path) => {
      const child = spawnTracked('parec', ['-d', source, ...raw, '--latency-msec=20', path], { env });
      // parec has no "ready" line: wait until the daemon lists our recording stream.
      await pollUntil(
        `parec on ${source}`,
        async () => child.hasExited() || (await run('pactl', ['list', 'short', 'source-outputs'])).trim() !== '',
        5000,
        20,
      );
      if (child.hasExited()) throw new Error(`parec failed: ${child.stderr()}`);
      return {
        path,
        child,
        stop: async () => {
          await child.kill(1000);
          const b = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
          const out = new Int16Array(Math.floor(b.length / 2));
          for (let i = 0; i < out.length; i++) out[i] = b.readInt16LE(i * 2);
          return out;
        },
      };
    },
    feedSink: async (sink, pcm) => {
      const file = join(dir, `feed-${sink}-${pcm.length}-${Math.floor(Math.random() * 1e9)}.raw`);
      writeFileSync(file, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
      await run('pacat', ['-p', '-d', sink, ...raw, file]);
    },
    pactl: (...a) => run('pactl', a),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      process.off('exit', onExit);
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        return;
      }
      await pollUntil('pulseaudio to exit', () => !isAlive(pid), 3000).catch(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      });
    },
  };
  return handle;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
