/**
 * tshark (Wireshark's command line, Debian package tshark) as the independent reader of the pcap files
 * the phone writes: if tshark dissects them as we expect, so does Wireshark. Synchronous: reading a small
 * file takes ~0.3 s and nothing else needs to run meanwhile.
 */
import { spawnSync } from 'node:child_process';

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
