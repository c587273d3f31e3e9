import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WavFormatError } from '../../../../src/media/wav/format.js';
import { decodeWavForPlayback, loadWavForPlayback, loadWavForPlaybackSync, readWavInfo } from '../../../../src/media/wav/reader.js';
import { wavHeader } from '../../../../src/media/wav/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-wav-reader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 1 kHz at -6 dBFS, 400 ms, 8 kHz mono 16-bit: the reference signal every format is made from. */
function referenceSignal(): Int16Array {
  const x = new Int16Array(3200);
  for (let i = 0; i < x.length; i++) x[i] = Math.round(16384 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
  return x;
}
function wavBytes(pcm: Int16Array, rate = 8000, channels = 1): Buffer {
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  return Buffer.concat([wavHeader(data.length, rate, channels), data]);
}
function sox(args: string[]): void {
  execFileSync('sox', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
function toneAmp(x: Int16Array, f: number, from: number, to: number): number {
  let re = 0;
  let im = 0;
  for (let i = from; i < to; i++) {
    re += x[i]! * Math.cos((2 * Math.PI * f * i) / 8000);
    im += x[i]! * Math.sin((2 * Math.PI * f * i) / 8000);
  }
  return (2 * Math.hypot(re, im)) / (to - from);
}

const ref = referenceSignal();
const refPath = join(dir, 'ref.wav');
writeFileSync(refPath, wavBytes(ref));

describe('reading every common format (made with sox from one reference)', () => {
  it.each([
    // [label, sox output options, expected format tag, extensible, channels, rate, max sample error]
    ['PCM 16-bit', ['-b', '16', '-e', 'signed-integer'], 1, false, 1, 8000, 0],
    ['PCM 8-bit unsigned', ['-b', '8', '-e', 'unsigned-integer'], 1, false, 1, 8000, 256],
    ['PCM 24-bit (extensible)', ['-b', '24', '-e', 'signed-integer'], 1, true, 1, 8000, 0],
    ['PCM 32-bit (extensible)', ['-b', '32', '-e', 'signed-integer'], 1, true, 1, 8000, 0],
    ['IEEE float 32', ['-b', '32', '-e', 'floating-point'], 3, false, 1, 8000, 1],
    ['IEEE float 64', ['-b', '64', '-e', 'floating-point'], 3, false, 1, 8000, 1],
    ['μ-law', ['-e', 'u-law'], 7, false, 1, 8000, 600],
    ['A-law', ['-e', 'a-law'], 6, false, 1, 8000, 600],
    ['stereo 16-bit', ['-c', '2'], 1, false, 2, 8000, 1],
  ] as const)('%s', (label, opts, tag, ext, ch, rate, maxErr) => {
    const path = join(dir, `${label.replace(/\W+/g, '-')}.wav`);
    sox(['-D', refPath, ...opts, path]);
    const audio = loadWavForPlaybackSync(path);
    expect([audio.source.format, audio.source.extensible, audio.source.channels, audio.source.sampleRate]).toEqual([tag, ext, ch, rate]);
    expect(audio.samples.length).toBe(ref.length);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(audio.samples[i]! - ref[i]!));
    expect(worst).toBeLessThanOrEqual(maxErr);
  });

  it.each([16000, 22050, 44100, 48000])('PCM 16-bit at %i Hz is resampled to 8 kHz (tone and amplitude kept)', async (rate) => {
    const path = join(dir, `rate-${rate}.wav`);
    sox(['-D', refPath, '-r', String(rate), path, 'rate', '-v']);
    const audio = await loadWavForPlayback(path);
    expect(audio.source.sampleRate).toBe(rate);
    expect(Math.abs(audio.samples.length - 3200)).toBeLessThanOrEqual(1);
    expect(Math.abs(toneAmp(audio.samples, 1000, 400, 2800) - 16384)).toBeLessThan(150);
  });

  it('stereo with different channels is downmixed by averaging', () => {
    const stereo = new Int16Array(200);
    for (let i = 0; i < 100; i++) {
      stereo[2 * i] = 1000;
      stereo[2 * i + 1] = -3000;
    }
    const audio = decodeWavForPlayback(wavBytes(stereo, 8000, 2));
    expect(Array.from(audio.samples.subarray(10, 90)).every((v) => v === -1000)).toBe(true);
  });

  it('reads the committed prompts sample-exactly', () => {
    const buf = readFileSync('audio/prompts/goodbye.wav');
    const audio = decodeWavForPlayback(buf);
    const raw = new Int16Array(buf.buffer.slice(buf.byteOffset + 44, buf.byteOffset + buf.length));
    expect(Array.from(audio.samples)).toEqual(Array.from(raw));
  });
});

describe('odd chunks and streamed files', () => {
  const pcm = Int16Array.from({ length: 80 }, (_, i) => (i * 401) % 20000 - 10000);
  const data = Buffer.from(pcm.buffer);
  const fmt = wavHeader(0, 8000, 1).subarray(12, 36);
  const chunk = (id: string, body: Buffer): Buffer => {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32LE(body.length, 4);
    return Buffer.concat([h, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const riff = (...chunks: Buffer[]): Buffer => {
    const body = Buffer.concat([Buffer.from('WAVE'), ...chunks]);
    const h = Buffer.alloc(8);
    h.write('RIFF', 0, 'latin1');
    h.writeUInt32LE(body.length, 4);
    return Buffer.concat([h, body]);
  };

  it('skips LIST (odd size, padded), fact and junk chunks', () => {
    const file = riff(chunk('JUNK', Buffer.alloc(28)), fmt, chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00sox!!', 'latin1')), chunk('fact', Buffer.from([80, 0, 0, 0])), chunk('data', data), chunk('LIST', Buffer.from('INFO')));
    expect(Array.from(decodeWavForPlayback(file).samples)).toEqual(Array.from(pcm));
  });

  it.each([0, 0xffffffff])('data size 0x%s (streamed): the data runs to the end of the file', (size) => {
    const file = riff(fmt, chunk('data', data));
    file.writeUInt32LE(size, 4);
    file.writeUInt32LE(size, 40);
    const audio = decodeWavForPlayback(file);
    expect(audio.source.streamed).toBe(true);
    expect(Array.from(audio.samples)).toEqual(Array.from(pcm));
  });

  it('a data size past the end of the file (killed writer) is cut to whole frames', () => {
    const file = Buffer.concat([riff(fmt, chunk('data', data)), Buffer.from([1])]);
    file.writeUInt32LE(1_000_000, 40);
    const info = readWavInfo(file);
    expect([info.streamed, info.frames]).toEqual([true, 80]);
  });

  it('WAVE_FORMAT_EXTENSIBLE with a μ-law sub-format', () => {
    const f = Buffer.alloc(40);
    f.writeUInt16LE(0xfffe, 0);
    f.writeUInt16LE(1, 2);
    f.writeUInt32LE(8000, 4);
    f.writeUInt32LE(8000, 8);
    f.writeUInt16LE(1, 12);
    f.writeUInt16LE(8, 14);
    f.writeUInt16LE(22, 16);
    f.writeUInt16LE(8, 18);
    f.writeUInt32LE(4, 20);
    Buffer.from('0700000000001000800000aa00389b71', 'hex').copy(f, 24);
    const audio = decodeWavForPlayback(riff(chunk('fmt ', f), chunk('data', Buffer.from([0xff, 0x80, 0x00]))));
    expect(audio.source.format).toBe(7);
    expect(Array.from(audio.samples)).toEqual([0, 32124, -32124]);
  });
});

describe('bad files raise WavFormatError with one clear sentence', () => {
  const header = (tag: number, bits = 16, channels = 1, rate = 8000): Buffer => {
    const h = wavHeader(4, rate, channels);
    h.writeUInt16LE(tag, 20);
    h.writeUInt16LE(bits, 34);
    h.writeUInt16LE(channels * Math.ceil(bits / 8), 32);
    return Buffer.concat([h, Buffer.alloc(4)]);
  };
  it.each([
    ['random bytes', Buffer.from('ID3\x04 this is an mp3 file really'), 'not a RIFF/WAVE file'],
    ['empty file', Buffer.alloc(0), 'not a RIFF/WAVE file'],
    ['RIFF but AVI', Buffer.from('RIFF\x04\x00\x00\x00AVI '), 'not a RIFF/WAVE file'],
    ['big-endian', Buffer.from('RIFX\x04\x00\x00\x00WAVE'), 'big-endian RIFX files are not supported'],
    ['MP3 in WAV', header(0x0055), 'unsupported format 0x0055 (MP3)'],
    ['GSM in WAV', header(0x0031), 'unsupported format 0x0031 (GSM 6.10)'],
    ['unknown tag', header(0x1234), 'unsupported format 0x1234 (unknown)'],
    ['12-bit PCM', header(1, 12), 'unsupported PCM sample size (12 bits)'],
    ['16-bit float', header(3, 16), 'unsupported float sample size (16 bits)'],
    ['0 channels', header(1, 16, 0), 'the file declares 0 channels'],
    ['rate 0', header(1, 16, 1, 0), 'the file declares a sample rate of 0'],
    ['no data', wavHeader(0, 8000, 1).subarray(0, 36), 'no data chunk'],
    ['no samples', wavHeader(0, 8000, 1), 'the file contains no audio samples'],
    ['no fmt', Buffer.from('RIFF\x0c\x00\x00\x00WAVEdata\x00\x00\x00\x00', 'latin1'), 'no fmt chunk before the audio data'],
  ])('%s', (_label, bytes, sentence) => {
    let caught: unknown;
    try {
      decodeWavForPlayback(bytes, 'prompt.wav');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WavFormatError);
    expect((caught as WavFormatError).message).toBe(`prompt.wav: ${sentence}`);
    expect((caught as WavFormatError).reason).toBe(sentence);
    expect((caught as WavFormatError).code).toBe('WAV_FORMAT');
  });

  it('real IMA ADPCM and MS ADPCM files from sox are refused by name', () => {
    for (const [enc, sentence] of [['ima-adpcm', 'unsupported format 0x0011 (IMA ADPCM)'], ['ms-adpcm', 'unsupported format 0x0002 (Microsoft ADPCM)']]) {
      const path = join(dir, `${enc}.wav`);
      sox([refPath, '-e', enc!, path]);
      expect(() => loadWavForPlaybackSync(path)).toThrow(`${path}: ${sentence}`);
    }
  });

  it('a missing file is a WavFormatError with code WAV_UNREADABLE', async () => {
    const path = join(dir, 'nope.wav');
    await expect(loadWavForPlayback(path)).rejects.toMatchObject({ message: `${path}: cannot read the file (no such file)`, code: 'WAV_UNREADABLE' });
  });
});
