/** multimon-ng as an independent DTMF decoder (peers recipe: 22050 Hz signed 16-bit raw on stdin). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Writes 8 kHz mono Int16 samples as a WAV file with sox; returns its path. */
export function writeWav8k(samples: Int16Array, name = 'dtmf.wav'): string {
  const dir = mkdtempSync(join(tmpdir(), 'dtmf-wav-'));
  const raw = join(dir, 'in.raw');
  const wav = join(dir, name);
  writeFileSync(raw, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
  const r = spawnSync('sox', ['-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', '-L', raw, wav]);
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr.toString()}`);
  return wav;
}

/** A WAV resampled to what multimon-ng reads: 22050 Hz signed 16-bit mono raw. */
export function wavTo22050Raw(wav: string): Buffer {
  const r = spawnSync('sox', [wav, '-t', 'raw', '-r', '22050', '-e', 'signed', '-b', '16', '-c', '1', '-'], { maxBuffer: 256 << 20 });
  if (r.status !== 0) throw new Error(`sox failed: ${r.stderr.toString()}`);
  return r.stdout as Buffer;
}

/** Runs `multimon-ng -a DTMF -t raw -` on raw 22050 Hz audio; returns the decoded keys in order. */
export function multimonDecode(raw22050: Buffer): string {
  const r = spawnSync('multimon-ng', ['-q', '-a', 'DTMF', '-t', 'raw', '-'], { input: raw22050, maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`multimon-ng failed: ${r.stderr.toString()}`);
  return [...r.stdout.toString().matchAll(/^DTMF: (.)$/gm)].map((m) => m[1]).join('');
}
