/**
 * A virtual sound card for tests and the latency script: a private PulseAudio daemon with two null
 * sinks, `spk` (what the phone plays: record spk.monitor) and `mic` (what the microphone hears: feed it;
 * the default source is mic.monitor). Facts from docs/peers.md: norewinds=1 or an idle monitor starts
 * 1-2 s late; PULSE_SERVER must be set before PortAudio initializes.
 *
 * Used by test/interop/sound-card.test.ts and scripts/latency-sound-card.ts; test/support/pulse.ts
 * does the same job for the other interop tests.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RealClock } from '../../../../../src/util/clock.js';

export const clock = new RealClock();
export const sleep = (ms: number): Promise<void> => new Promise((r) => clock.setTimeout(r, ms));

export interface VirtualCard {
  /** unix:... for PULSE_SERVER. */
  server: string;
  rate: number;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

export async function startVirtualCard(rate: number): Promise<VirtualCard> {
  const dir = mkdtempSync(join(tmpdir(), 'umphone-sound-card-'));
  const pa = [
    `load-module module-native-protocol-unix auth-anonymous=1 socket=${dir}/native`,
    `load-module module-null-sink sink_name=spk rate=${rate} channels=1 norewinds=1`,
    `load-module module-null-sink sink_name=mic rate=${rate} channels=1 norewinds=1`,
    'set-default-sink spk',
    'set-default-source mic.monitor',
  ].join('\n');
  writeFileSync(join(dir, 'pulse.pa'), `${pa}\n`);
  const env = { ...process.env, XDG_RUNTIME_DIR: dir, HOME: dir };
  const args = ['-D', '--system=false', '--exit-idle-time=-1', '-n', '-F', join(dir, 'pulse.pa'), '--use-pid-file=yes', `--log-target=file:${dir}/pulse.log`];
  const code = await new Promise<number | null>((resolve, reject) => {
    const p = spawn('pulseaudio', args, { env, stdio: 'ignore' });
    p.once('error', reject);
    p.once('exit', resolve);
  });
  if (code !== 0) {
    let log = '';
    try {
      log = readFileSync(join(dir, 'pulse.log'), 'utf8');
    } catch {
      // no log written
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`pulseaudio -D exited with ${code}: ${log.slice(-400)}`);
  }
  const pid = Number(readFileSync(join(dir, 'pulse', 'pid'), 'utf8').trim());
  const server = `unix:${dir}/native`;
  return {
    server,
    rate,
    env: { ...process.env, PULSE_SERVER: server },
    stop: async () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await sleep(20);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** parec on a source at 8 kHz mono s16le; keeps every chunk with its arrival time. */
export class Recorder {
  private readonly proc: ChildProcessWithoutNullStreams;
  readonly chunks: { at: number; samples: Int16Array }[] = [];
  private carry: Buffer = Buffer.alloc(0);

  constructor(card: VirtualCard, source = 'spk.monitor') {
    this.proc = spawn('parec', ['-d', source, '--rate=8000', '--channels=1', '--format=s16le', '--latency-msec=10'], { env: card.env });
    this.proc.stdout.on('data', (b: Buffer) => {
      const at = clock.now();
      const all = Buffer.concat([this.carry, b]);
      const even = all.length & ~1;
      this.carry = all.subarray(even);
      const copy = Buffer.from(all.subarray(0, even));
      this.chunks.push({ at, samples: new Int16Array(copy.buffer, copy.byteOffset, even >> 1) });
    });
  }

  /** Resolves once parec delivers its first data (the monitor is flowing). */
  async started(timeoutMs = 5000): Promise<void> {
    const end = clock.now() + timeoutMs;
    while (this.chunks.length === 0) {
      if (clock.now() > end) throw new Error('parec delivered nothing');
      await sleep(10);
    }
  }

  samples(): Int16Array {
    const n = this.chunks.reduce((a, c) => a + c.samples.length, 0);
    const out = new Int16Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c.samples, o);
      o += c.samples.length;
    }
    return out;
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.proc.once('close', r));
    this.proc.kill('SIGTERM');
    await exited;
  }
}

/** pacat into a sink at 8 kHz mono s16le; write() as you go, end() when done. */
export class Player {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<unknown>;

  /** latencyMs: pacat's buffer; a short one underruns (holes of silence) on a loaded CPU. */
  constructor(card: VirtualCard, sink = 'mic', latencyMs = 100) {
    this.proc = spawn('pacat', ['-p', '--raw', '-d', sink, '--rate=8000', '--channels=1', '--format=s16le', `--latency-msec=${latencyMs}`], { env: card.env });
    this.exited = new Promise((r) => this.proc.once('close', r));
  }

  write(samples: Int16Array): void {
    this.proc.stdin.write(Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  }

  async end(): Promise<void> {
    this.proc.stdin.end();
    await this.exited;
  }

  async kill(): Promise<void> {
    this.proc.kill('SIGTERM');
    await this.exited;
  }
}
