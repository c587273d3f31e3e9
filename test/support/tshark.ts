/**
 * tshark (Wireshark's command line, Debian package tshark) as the independent reader of the pcap files
 * the phone writes: if tshark dissects them as we expect, so does Wireshark. Synchronous: reading a small
 * file takes ~0.3 s and nothing else needs to run meanwhile.
 */
import { spawnSync } from 'node:child_process';
import { pollUntil, sleep, spawnTracked } from './child-process.js';

/** Runs `tshark -r file ...args`; throws with tshark's stderr when it fails. */
export function tshark(file: string, args: readonly string[]): string {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  // tshark exits 2 for a file "cut short in the middle of a packet"; callers that expect it read stderr.
  if (r.status !== 0) throw new Error(`tshark ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Same, but returns status and stderr instead of throwing (for files that end mid-record). */
export function tsharkRaw(file: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('tshark', ['-r', file, ...args], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^Running as user.*\n/m, '') };
}

/** One row per displayed packet, one column per field (`-T fields -e ...`), empty fields as ''. */
export function tsharkFields(file: string, fields: readonly string[], opts: { filter?: string; extra?: readonly string[] } = {}): string[][] {
  const args = [...(opts.extra ?? [])];
  if (opts.filter) args.push('-Y', opts.filter);
  args.push('-T', 'fields', '-E', 'separator=/t', ...fields.flatMap((f) => ['-e', f]));
  return tshark(file, args)
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.split('\t'));
}

/** Options that make tshark check every IPv4, UDP and TCP checksum (off by default). */
export const CHECK_CHECKSUMS = ['-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-o', 'tcp.check_checksum:TRUE'] as const;

/** One row of tshark's `-z rtp,streams` table. */
export interface TsharkRtpStream {
  src: string;
  srcPort: number;
  dst: string;
  dstPort: number;
  ssrc: number;
  payload: string;
  packets: number;
  /** Expected minus received, as tshark counts it (negative with duplicates). */
  lost: number;
  maxDeltaMs: number;
  meanJitterMs: number;
  maxJitterMs: number;
  /** tshark's "Problems?" column: a sequence error, a wrong timestamp, ... */
  problem: boolean;
}

/** tshark's RTP stream analysis, with `udp.port==port` decoded as RTP (or the RTP heuristic when omitted). */
export function tsharkRtpStreams(file: string, port?: number): TsharkRtpStream[] {
  const decode = port === undefined ? ['-o', 'rtp.heuristic_rtp:TRUE'] : ['-d', `udp.port==${port},rtp`];
  const out = tshark(file, ['-q', ...decode, '-z', 'rtp,streams']);
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => /^0x[0-9A-Fa-f]{8}$/.test(f[6] ?? ''))
    .map((f) => ({
      src: f[2]!,
      srcPort: Number(f[3]),
      dst: f[4]!,
      dstPort: Number(f[5]),
      ssrc: parseInt(f[6]!, 16),
      payload: f[7]!,
      packets: Number(f[8]),
      lost: Number(f[9]),
      // f[10] is "(n.n%)"; then min, mean, max delta and min, mean, max jitter.
      maxDeltaMs: Number(f[13]),
      meanJitterMs: Number(f[15]),
      maxJitterMs: Number(f[16]),
      problem: f[17] === 'X',
    }));
}

/**
 * A live capture of the loopback interface into `file` while a test runs (tshark -i lo, UDP only by a
 * read filter later: a capture filter (-f) catches nothing on this machine's loopback). Resolves once
 * tshark says the capture started; `stop()` ends it and resolves when the file is complete.
 */
export async function captureLoopback(file: string): Promise<{ stop(): Promise<void> }> {
  const child = spawnTracked('tshark', ['-i', 'lo', '-q', '-w', file, '-a', 'duration:120']);
  await pollUntil('tshark to start capturing on lo', () => child.hasExited() || /Capture started|Capturing on/.test(child.stderr()), 10_000);
  if (child.hasExited()) throw new Error(`tshark could not capture on lo: ${child.stderr()}`);
  // A few ms more: "Capturing on" comes just before the first read of the interface.
  await sleep(300);
  return {
    stop: async () => {
      await sleep(300);
      await child.kill(3000);
    },
  };
}
