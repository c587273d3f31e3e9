/**
 * The adapter against a fake addon: loading failures become one actionable line, the device list is
 * mapped, the output pump is paced by write completions, the input is cut into 8 kHz frames, and a
 * device that stops moving is reported once through onError (driven by a ManualClock, no sleeping).
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/util/clock.js';
import { AudioDeviceFailedError, AudioDeviceOpenError, SoundCardUnavailableError } from '../../../../src/media/device/errors.js';
import type { NaudiodonModule, NaudiodonStreamOptions } from '../../../../src/media/device/naudiodon-module.js';
import { NaudiodonSoundCard, explainLoadFailure } from '../../../../src/media/device/naudiodon.js';
import { openAudio } from '../../../../src/media/device/open.js';

class FakeStream extends EventEmitter {
  started = false;
  ended = false;
  aborted = false;
  quitted = false;
  writes: { chunk: Buffer; cb: (err?: Error | null) => void }[] = [];
  constructor(readonly options: NaudiodonStreamOptions) {
    super();
    this.on('error', () => undefined); // naudiodon's own listener, which the adapter must replace
  }
  start(): void {
    this.started = true;
  }
  quit(cb?: () => void): void {
    this.quitted = true;
    cb?.();
  }
  abort(cb?: () => void): void {
    this.aborted = true;
    cb?.();
  }
  write(chunk: Buffer, cb: (err?: Error | null) => void): boolean {
    this.writes.push({ chunk: Buffer.from(chunk), cb });
    return true;
  }
  end(): void {
    this.ended = true;
    this.emit('finished');
  }
  destroy(): void {}
  /** Let the device take the oldest pending write. */
  complete(err?: Error): Int16Array {
    const w = this.writes.shift()!;
    w.cb(err ?? null);
    return new Int16Array(w.chunk.buffer, w.chunk.byteOffset, w.chunk.length / 2);
  }
}

function fakeModule(opts: { rate?: number; refuseMono?: boolean; throwOnOpen?: string } = {}) {
  const streams: FakeStream[] = [];
  const mod: NaudiodonModule = {
    getDevices: () => [
      { id: 0, name: 'pulse', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRate: opts.rate ?? 8000, hostAPIName: 'ALSA' },
      { id: 1, name: 'default', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRate: opts.rate ?? 8000, hostAPIName: 'ALSA' },
      { id: 2, name: 'HDMI', maxInputChannels: 0, maxOutputChannels: 2, defaultSampleRate: 48000, hostAPIName: 'ALSA' },
    ],
    getHostAPIs: () => ({ defaultHostAPI: 0, HostAPIs: [{ id: 0, name: 'ALSA', defaultInput: 1, defaultOutput: 1 }] }),
    AudioIO: (o) => {
      if (opts.throwOnOpen) throw new Error(opts.throwOnOpen);
      const options = 'inOptions' in o ? o.inOptions : o.outOptions;
      if (opts.refuseMono && options.channelCount === 1) throw new Error('Format not supported: Invalid number of channels');
      const s = new FakeStream(options);
      streams.push(s);
      return s;
    },
  };
  return { mod, streams };
}

const tone = (n: number, v: number) => new Int16Array(n).fill(v);

describe('loading naudiodon', () => {
  it.each([
    [
      new Error('libasound.so.2: cannot open shared object file: No such file or directory'),
      'sound card unavailable: naudiodon could not be loaded (libasound.so.2: cannot open shared object file: No such file or directory) — apt-get install libasound2 (and libasound2-plugins for PulseAudio), or run with --no-audio',
    ],
    [
      Object.assign(new Error("Cannot find package 'naudiodon' imported from /x/naudiodon.ts"), { code: 'ERR_MODULE_NOT_FOUND' }),
      "sound card unavailable: naudiodon is not installed (Cannot find package 'naudiodon' imported from /x/naudiodon.ts) — npm install naudiodon (an optional dependency built with node-gyp; it needs g++ and make), or run with --no-audio",
    ],
    [
      new Error('Could not locate the bindings file. Tried:\n → /x/build/naudiodon.node'),
      "sound card unavailable: naudiodon's native addon could not be loaded (Could not locate the bindings file. Tried:) — npm rebuild naudiodon, or run with --no-audio",
    ],
  ])('%s', async (thrown, message) => {
    const err = await NaudiodonSoundCard.load({ clock: new ManualClock(), loader: () => Promise.reject(thrown) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SoundCardUnavailableError);
    expect((err as Error).message).toBe(message);
    expect((err as Error).message.split('\n')).toHaveLength(1);
    expect(explainLoadFailure(thrown).code).toBe('SOUND_CARD_UNAVAILABLE');
  });

  it('openAudio with --no-audio never loads the addon', async () => {
    let loaded = false;
    const audio = await openAudio({ clock: new ManualClock(), noAudio: true, loader: async () => ((loaded = true), fakeModule().mod) });
    expect(loaded).toBe(false);
    expect(audio.output.deviceName).toBe('null');
    expect(audio.input.read()).toEqual(new Int16Array(160));
  });

  it('"No default device" and an empty list say what to install', async () => {
    const { mod } = fakeModule({ throwOnOpen: 'No default device' });
    const card = await NaudiodonSoundCard.load({ clock: new ManualClock(), loader: async () => mod });
    expect(() => card.openOutput()).toThrow(
      'sound card unavailable: PortAudio has no default device (No default device) — plug in a sound card, or on a headless Linux install pulseaudio libasound2-plugins and start it, or run with --no-audio',
    );
    const empty = await NaudiodonSoundCard.load({ clock: new ManualClock(), loader: async () => ({ ...mod, getDevices: () => [] }) });
    expect(() => empty.openInput()).toThrow('sound card unavailable: PortAudio lists no audio devices');
  });

  it('any other open failure names the device', async () => {
    const { mod } = fakeModule({ throwOnOpen: 'Could not open stream: Device unavailable' });
    const card = await NaudiodonSoundCard.load({ clock: new ManualClock(), loader: async () => mod });
    const err = (() => { try { card.openOutput('hdmi'); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(AudioDeviceOpenError);
    expect((err as Error).message).toBe('cannot open output device "HDMI": Could not open stream: Device unavailable');
  });
});

describe('device list', () => {
  it('maps PortAudio devices and marks the default host API defaults', async () => {
    const card = await NaudiodonSoundCard.load({ clock: new ManualClock(), loader: async () => fakeModule({ rate: 44100 }).mod });
    expect(card.listDevices()).toEqual([
      { index: 0, name: 'pulse', hostApi: 'ALSA', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRate: 44100, isDefaultInput: false, isDefaultOutput: false },
      { index: 1, name: 'default', hostApi: 'ALSA', maxInputChannels: 32, maxOutputChannels: 32, defaultSampleRate: 44100, isDefaultInput: true, isDefaultOutput: true },
      { index: 2, name: 'HDMI', hostApi: 'ALSA', maxInputChannels: 0, maxOutputChannels: 2, defaultSampleRate: 48000, isDefaultInput: false, isDefaultOutput: false },
    ]);
  });
});

describe('output', () => {
  async function open(rate = 8000, extra: { refuseMono?: boolean } = {}) {
    const clock = new ManualClock();
    const fake = fakeModule({ rate, ...extra });
    const card = await NaudiodonSoundCard.load({ clock, loader: async () => fake.mod, stallMs: 500, chunkMs: 10 });
    const out = card.openOutput();
    return { clock, out, stream: fake.streams[0]!, fake };
  }

  it('opens the default device at its own rate, mono, with a small addon queue and no close-on-xrun', async () => {
    const { stream, out } = await open(48000);
    expect(stream.started).toBe(true);
    expect(stream.options).toMatchObject({ deviceId: 1, sampleRate: 48000, channelCount: 1, sampleFormat: 16, maxQueue: 1, closeOnError: false });
    expect(out.deviceRate).toBe(48000);
    expect(stream.listenerCount('error')).toBe(1);
  });

  it('keeps one 10 ms chunk in flight; primes with a frame and a chunk; silence on underrun, then primes again', async () => {
    const { stream, out } = await open(8000);
    // The chunk in flight was decided when the previous write completed: silence, nothing queued yet.
    expect(stream.writes).toHaveLength(1);
    out.write(tone(160, 100));
    expect([...stream.complete()]).toEqual(new Array(80).fill(0));
    out.write(tone(160, 101)); // 320 queued ≥ 240: the next chunk taken plays
    expect([...stream.complete()]).toEqual(new Array(80).fill(0)); // was decided while priming
    for (const v of [100, 100, 101]) expect([...stream.complete()]).toEqual(new Array(80).fill(v));
    expect(out.stats()).toMatchObject({ underruns: 0, queuedSamples: 0 });
    expect([...stream.complete()]).toEqual(new Array(80).fill(101));
    // The queue ran dry: the chunk now in flight is an underrun; play resumes once primed again.
    expect(out.stats().underruns).toBe(1);
    out.write(tone(160, 7));
    expect([...stream.complete()]).toEqual(new Array(80).fill(0));
    out.write(tone(160, 8));
    expect([...stream.complete()]).toEqual(new Array(80).fill(0));
    for (const v of [7, 7, 8, 8]) expect([...stream.complete()]).toEqual(new Array(80).fill(v));
    expect(stream.writes).toHaveLength(1);
    expect(out.stats()).toMatchObject({ framesWritten: 4, droppedSamples: 0, queuedSamples: 0 });
  });

  it('catches up when frames come faster than the device plays them', async () => {
    const { stream, out } = await open(8000);
    for (let i = 1; i <= 4; i++) out.write(tone(160, i)); // 80 ms arrive at once; bound is 60 ms
    // Trimmed to a frame and a chunk (30 ms): the newest audio survives.
    expect(out.stats()).toMatchObject({ droppedSamples: 400, queuedSamples: 240 });
    stream.complete(); // the silence chunk that was already in flight
    for (const v of [3, 4, 4]) expect([...stream.complete()]).toEqual(new Array(80).fill(v));
  });

  it('resamples 8 kHz frames to the device rate', async () => {
    const { stream, out } = await open(48000);
    for (let i = 0; i < 3; i++) out.write(tone(160, 1000));
    stream.complete(); // the silence in flight at open
    expect(stream.complete()).toHaveLength(480); // 10 ms at 48 kHz, with the filter's start-up
    // After the filter's start-up the constant comes through at its level.
    const settled = [...stream.complete()];
    expect(Math.min(...settled)).toBeGreaterThan(990);
    expect(Math.max(...settled)).toBeLessThan(1010);
  });

  it('a stereo-only device gets each sample on both channels', async () => {
    const { stream, out } = await open(8000, { refuseMono: true });
    expect(stream.options.channelCount).toBe(2);
    out.write(Int16Array.from({ length: 160 }, (_, i) => i));
    out.write(tone(160, 0));
    stream.complete();
    expect([...stream.complete().subarray(0, 6)]).toEqual([0, 0, 1, 1, 2, 2]);
  });

  it('a device that stops taking audio is reported once, and the call goes on without sound', async () => {
    const { clock, stream, out } = await open(8000);
    const errors: AudioDeviceFailedError[] = [];
    out.onError((e) => errors.push(e));
    clock.advance(499);
    expect(errors).toEqual([]);
    clock.advance(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe('sound card output "default" failed: the device took no audio for 500 ms; the call goes on without sound');
    expect(stream.aborted).toBe(true);
    out.write(tone(160, 1)); // discarded, no throw
    clock.advance(5000);
    expect(errors).toHaveLength(1);
    const late: AudioDeviceFailedError[] = [];
    out.onError((e) => late.push(e)); // a handler added after the failure still hears of it
    expect(late).toHaveLength(1);
    await out.close();
  });

  it('a stream error is reported as one line', async () => {
    const { stream, out } = await open(8000);
    const errors: string[] = [];
    out.onError((e) => errors.push(e.message));
    stream.emit('error', new Error('portAudio status - output underflow'));
    stream.emit('error', new Error('again'));
    expect(errors).toEqual(['sound card output "default" failed: stream error: portAudio status - output underflow; the call goes on without sound']);
  });

  it('close() plays what is queued plus 40 ms of padding, then ends the stream', async () => {
    const { stream, out } = await open(8000);
    out.write(tone(160, 5));
    const closing = out.close();
    stream.complete(); // the in-flight chunk
    await closing;
    const last = stream.writes.at(-1)!.chunk;
    expect(last.length).toBe(2 * (160 + 320));
    expect(stream.ended).toBe(true);
  });
});

describe('input', () => {
  async function open(rate = 8000) {
    const clock = new ManualClock();
    const fake = fakeModule({ rate });
    const card = await NaudiodonSoundCard.load({ clock, loader: async () => fake.mod, stallMs: 500, chunkMs: 10 });
    const input = card.openInput('pulse');
    return { clock, input, stream: fake.streams[0]!, fake };
  }
  const buf = (a: Int16Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

  it('reads 20 ms at a time from the device (not naudiodon\'s 1 s default)', async () => {
    const { stream } = await open(48000);
    expect(stream.options).toMatchObject({ deviceId: 0, sampleRate: 48000, channelCount: 1, highwaterMark: 1920, closeOnError: false });
  });

  it('cuts device chunks into 160-sample frames for read() and observers', async () => {
    const { stream, input } = await open(8000);
    const seen: number[] = [];
    input.onFrame((f) => seen.push(f[0]!));
    expect(input.read()).toBeUndefined();
    stream.emit('data', buf(tone(100, 1)));
    expect(input.read()).toBeUndefined();
    stream.emit('data', buf(tone(100, 2)));
    const f = input.read()!;
    expect(f).toHaveLength(160);
    expect([f[0], f[99], f[100], f[159]]).toEqual([1, 1, 2, 2]);
    expect(seen).toEqual([1]);
    expect(input.read()).toBeUndefined();
  });

  it('read() never holds more than 3 frames: older ones are dropped to keep the delay low', async () => {
    const { stream, input } = await open(8000);
    for (let i = 1; i <= 5; i++) stream.emit('data', buf(tone(160, i)));
    expect(input.stats()).toMatchObject({ framesCaptured: 5, queuedFrames: 2 });
    expect(input.read()![0]).toBe(4);
    expect(input.read()![0]).toBe(5);
    expect(input.read()).toBeUndefined();
  });

  it('resamples from the device rate to 8 kHz', async () => {
    const { stream, input } = await open(48000);
    for (let i = 0; i < 5; i++) stream.emit('data', buf(tone(960, -2000)));
    const frames: Int16Array[] = [];
    for (let f = input.read(); f; f = input.read()) frames.push(f);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    const last = [...frames.at(-1)!];
    expect(Math.max(...last)).toBeLessThan(-1980);
    expect(Math.min(...last)).toBeGreaterThan(-2020);
  });

  it('a device that stops delivering is reported once; read() then gives silence', async () => {
    const { clock, stream, input } = await open(8000);
    const errors: string[] = [];
    input.onError((e) => errors.push(e.message));
    clock.advance(400);
    stream.emit('data', buf(tone(160, 3))); // re-arms the watchdog
    clock.advance(400);
    expect(errors).toEqual([]);
    clock.advance(100);
    expect(errors).toEqual(['sound card input "pulse" failed: the device delivered no audio for 500 ms; the call goes on without sound']);
    expect(input.read()).toEqual(new Int16Array(160));
    await input.close();
  });

  it("close() of a stream that never quits gives up after stallMs, though naudiodon's abort() throws", async () => {
    const { clock, stream, input } = await open(8000);
    // naudiodon 2.3.6: abort() calls the addon's quit with two arguments, which throws.
    stream.quit = () => undefined;
    stream.abort = () => {
      throw new Error('AudioIO Quit expects 1 argument');
    };
    let destroyed = false;
    stream.destroy = () => {
      destroyed = true;
    };
    const closed = input.close();
    clock.advance(500);
    await expect(closed).resolves.toBeUndefined();
    expect(destroyed).toBe(true);
  });

  it('close() quits the stream and stops the watchdog', async () => {
    const { clock, stream, input } = await open(8000);
    const errors: string[] = [];
    input.onError((e) => errors.push(e.message));
    await input.close();
    expect(stream.quitted).toBe(true);
    clock.advance(10_000);
    expect(errors).toEqual([]);
    expect(clock.pendingCount).toBe(0);
  });
});
