/**
 * tcpdump on the loopback interface for benchmarks: the wire timestamps are the reference for pacing
 * (what the peer's socket sees), not our own clock. We run plain `tcpdump -i lo -nn -w file` with a
 * short snap length (headers are all we need) and a large kernel buffer, and read its closing summary
 * for the packets the kernel dropped.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface CaptureResult {
  path: string;
  /** "N packets dropped by kernel" from tcpdump's summary: packets missing from the capture. */
  droppedByKernel: number;
  captured: number;
}

export interface Capture {
  stop(): Promise<CaptureResult>;
}

export function tcpdumpPath(): string {
  for (const p of ['/usr/bin/tcpdump', '/usr/sbin/tcpdump']) if (existsSync(p)) return p;
  return 'tcpdump';
}

/** Starts tcpdump and resolves once it listens. `filter` is a BPF expression, e.g. 'udp'. */
export async function startCapture(path: string, filter = 'udp', snapLen = 96): Promise<Capture> {
  const child: ChildProcess = spawn(
    tcpdumpPath(),
    ['-i', 'lo', '-nn', '-s', String(snapLen), '-B', '65536', '--time-stamp-precision=nano', '-w', path, filter],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (/listening on/.test(stderr)) resolve();
    };
    child.stderr!.on('data', check);
    child.once('exit', (code) => reject(new Error(`tcpdump exited with ${code} before listening: ${stderr.trim()}`)));
    child.once('error', reject);
  });
  return {
    async stop(): Promise<CaptureResult> {
      child.kill('SIGINT');
      await exited;
      const num = (re: RegExp): number => Number(re.exec(stderr)?.[1] ?? 0);
      return {
        path,
        droppedByKernel: num(/(\d+) packets? dropped by kernel/),
        captured: num(/(\d+) packets? captured/),
      };
    },
  };
}
