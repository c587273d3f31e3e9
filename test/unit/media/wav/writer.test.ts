import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WavWriteError } from '../../../../src/media/wav/format.js';
import { decodeWavForPlayback, loadWavForPlaybackSync, readWavInfo } from '../../../../src/media/wav/reader.js';
import { WavWriter } from '../../../../src/media/wav/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-wav-writer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** soxi's view of a file, and whatever sox prints on stderr while reading it (must be nothing). */
function soxCheck(path: string): { samples: number; channels: number; rate: number; warnings: string } {
  const samples = Number(execFileSync('soxi', ['-s', path]).toString().trim());
  const channels = Number(execFileSync('soxi', ['-c', path]).toString().trim());
  const rate = Number(execFileSync('soxi', ['-r', path]).toString().trim());
  const r = execFileSync('sox', ['-V2', path, '-n'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  return { samples, channels, rate, warnings: r };
}
function ramp(n: number, start = 0): Int16Array {
  return Int16Array.from({ length: n }, (_, i) => ((start + i) * 37) % 30000 - 15000);
}

describe('WavWriter', () => {
  it('writes mono 16-bit PCM that sox reads without warnings and our reader reads back exactly', () => {
    const path = join(dir, 'mono.wav');
    const w = WavWriter.open(path);
    const frames = [ramp(160), ramp(160, 160), ramp(7, 320)];
    for (const f of frames) w.write(f);
    expect(w.frames).toBe(327);
    w.close();
    expect(soxCheck(path)).toEqual({ samples: 327, channels: 1, rate: 8000, warnings: '' });
    expect(statSync(path).size).toBe(44 + 327 * 2);
    expect(Array.from(loadWavForPlaybackSync(path).samples)).toEqual(Array.from(ramp(327)));
  });

  it('stereo: left = received, right = sent, sample-aligned, the shorter side padded with silence', () => {
    const path = join(dir, 'stereo.wav');
    const w = WavWriter.open(path, { channels: 2 });
    w.writeStereo(ramp(160), ramp(160, 1000));
    w.writeStereo(ramp(160, 160), new Int16Array(0)); // nothing sent in this frame
    w.close();
    expect(soxCheck(path)).toEqual({ samples: 320, channels: 2, rate: 8000, warnings: '' });
    const buf = readFileSync(path);
    const pcm = new Int16Array(buf.buffer.slice(buf.byteOffset + 44, buf.byteOffset + buf.length));
    for (let i = 0; i < 160; i++) {
      expect(pcm[2 * i]).toBe(ramp(160)[i]);
      expect(pcm[2 * i + 1]).toBe(ramp(160, 1000)[i]);
      expect(pcm[2 * (160 + i)]).toBe(ramp(160, 160)[i]);
      expect(pcm[2 * (160 + i) + 1]).toBe(0);
    }
    // sox agrees on the channel split.
    const left = execFileSync('sox', [path, '-t', 's16', '-', 'remix', '1']);
    expect(Array.from(new Int16Array(left.buffer, left.byteOffset, left.length / 2)).slice(0, 160)).toEqual(Array.from(ramp(160)));
  });

  it('patches the header while growing, so an unclosed file is valid up to the last patch', () => {
    const path = join(dir, 'growing.wav');
    const w = WavWriter.open(path, { patchEveryMs: 1000 });
    for (let i = 0; i < 49; i++) w.write(ramp(160));
    expect(readWavInfo(readFileSync(path)).streamed).toBe(true); // header still says 0, data follows
    w.write(ramp(160)); // the 50th frame completes 1 s: patch
    const info = readWavInfo(readFileSync(path));
    expect([info.streamed, info.frames]).toEqual([false, 8000]);
    w.close();
  });

  it('close() twice is harmless; writes after close are ignored', () => {
    const path = join(dir, 'twice.wav');
    const w = WavWriter.open(path);
    w.write(ramp(10));
    w.close();
    expect(() => w.close()).not.toThrow();
    w.write(ramp(10));
    expect(w.closed).toBe(true);
    expect(readWavInfo(readFileSync(path)).frames).toBe(10);
  });

  it('a file that cannot be created throws WavWriteError at open (before the call)', () => {
    expect(() => WavWriter.open(join(dir, 'no', 'such', 'dir.wav'))).toThrow(WavWriteError);
    expect(() => WavWriter.open('/dev/full')).toThrow(/\/dev\/full: cannot write the recording \(ENOSPC/);
  });

  it('a write error is reported once through onError, never thrown, and writing stops', () => {
    const path = join(dir, 'broken.wav');
    const errors: WavWriteError[] = [];
    const w = WavWriter.open(path, { onError: (e) => errors.push(e) });
    w.write(ramp(160));
    closeSync(Reflect.get(w, 'fd') as number); // the disk goes away under the writer
    expect(() => w.write(ramp(160))).not.toThrow();
    expect(() => w.write(ramp(160))).not.toThrow();
    expect(() => w.close()).not.toThrow();
    expect(errors.length).toBe(1);
    expect(errors[0]!.message).toMatch(/broken\.wav: cannot write the recording \(EBADF/);
    expect(w.error).toBe(errors[0]);
  });

  it.each([1, 2])('a writer killed with SIGKILL mid-call leaves a valid WAV (%i channel(s))', async (channels) => {
    const path = join(dir, `killed-${channels}.wav`);
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'kill-writer-child.ts'), path, String(channels)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const ready = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /ready (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const exited = new Promise((resolve) => child.once('exit', (_c, sig) => resolve(sig)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const check = soxCheck(path);
    expect(check.warnings).toBe('');
    expect(check.channels).toBe(channels);
    // At least the audio up to the last patch before "ready" (patches every 100 ms).
    expect(check.samples).toBeGreaterThanOrEqual((ready - 5) * 160);
    const audio = decodeWavForPlayback(readFileSync(path));
    expect(audio.source.channels).toBe(channels);
    expect(audio.samples.length).toBeGreaterThanOrEqual((ready - 5) * 160);
  });
});
