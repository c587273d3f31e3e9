/**
 * The sound card for real, on a virtual one: a private PulseAudio with null sinks `spk` and `mic`,
 * reached by naudiodon's PortAudio through ALSA's pulse plugin (docs/peers.md).
 *
 * (1) A tone sequence written as 20 ms frames to our AudioOutput comes out of spk.monitor (parec):
 *     the same tones, in order, each frequency within 1 %.
 * (2) A tone sequence fed into `mic` (pacat) comes out of our AudioInput as 8 kHz frames: same check.
 * Each runs with the sinks and the device at 8 kHz (no resampling anywhere), at 48 kHz (our resampler
 * each way), and at the device's default rate (44.1 kHz from PortAudio's pulse device; PulseAudio then
 * resamples to the 8 kHz sinks as well).
 *
 * PULSE_SERVER is set in this process's env before the addon is loaded (it loads lazily, and vitest
 * gives each test file its own process). The addon prints its stream settings to stdout: expected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAME_SAMPLES } from '../../src/media/device/device.js';
import type { AudioOutput } from '../../src/media/device/device.js';
import { openAudio } from '../../src/media/device/open.js';
import { findTones, mergePieces, toneSequence } from '../unit/media/device/support/tones.js';
import type { FoundTone } from '../unit/media/device/support/tones.js';
import { Player, Recorder, clock, sleep, startVirtualCard } from '../unit/media/device/support/virtual-card.js';
import type { VirtualCard } from '../unit/media/device/support/virtual-card.js';
import { soundCardTestable } from '../support/sound-ready.js';

const FREQS = [400, 800, 1200, 1600];
const sequence = toneSequence(FREQS, 300, 100);

const ready = soundCardTestable();

/** Write samples as 20 ms frames on a drift-free 20 ms schedule, as the RTP receive path does. */
async function playFrames(output: AudioOutput, samples: Int16Array): Promise<void> {
  const start = clock.now();
  for (let n = 0; n * FRAME_SAMPLES < samples.length; n++) {
    const due = start + n * 20;
    const wait = due - clock.now();
    if (wait > 0) await sleep(wait);
    const frame = new Int16Array(FRAME_SAMPLES);
    frame.set(samples.subarray(n * FRAME_SAMPLES, (n + 1) * FRAME_SAMPLES));
    output.write(frame);
  }
}

function expectSequence(raw: FoundTone[]): void {
  const found = mergePieces(raw);
  const summary = raw.map((t) => `${t.hz.toFixed(1)} Hz at ${t.startMs} ms for ${t.durMs} ms`).join(', ');
  expect(found.map((t) => Math.round(t.hz / 400) * 400), summary).toEqual(FREQS);
  found.forEach((t, i) => {
    expect(Math.abs(t.hz - FREQS[i]!) / FREQS[i]!, summary).toBeLessThan(0.01);
    // Durations are not asserted: on a loaded CPU the feeders lose or stretch audio (the frequency
    // and order are what the device path must keep). A real tone is still at least 100 ms long.
    expect(t.durMs, summary).toBeGreaterThanOrEqual(100);
  });
}

/** Wait (up to 3 s) until the whole sequence has come through: a loaded CPU delays the tools too. */
async function untilSequence(samples: () => Int16Array): Promise<void> {
  const end = clock.now() + 3000;
  while (clock.now() < end && mergePieces(findTones(samples())).length < FREQS.length) await sleep(50);
}

const cases = [
  { name: 'sinks and device at 8 kHz (bit-exact path)', sinkRate: 8000, deviceRate: 8000 as number | undefined },
  { name: 'sinks and device at 48 kHz (our resampler)', sinkRate: 48000, deviceRate: 48000 as number | undefined },
  { name: "sinks at 8 kHz, device at its default rate (44.1 kHz)", sinkRate: 8000, deviceRate: undefined },
];

describe.skipIf(!ready)('sound card on a private PulseAudio', () => {
  describe.each(cases)('$name', ({ sinkRate, deviceRate }) => {
    let card: VirtualCard;
    beforeAll(async () => {
      card = await startVirtualCard(sinkRate);
      process.env.PULSE_SERVER = card.server;
    });
    afterAll(async () => {
      await card?.stop();
    });

    it('plays a tone sequence: same tones, in order, within 1 %', async () => {
      const rec = new Recorder(card, 'spk.monitor');
      await rec.started();
      const audio = await openAudio({ clock, input: false, outputDevice: 'default', ...(deviceRate ? { sampleRate: deviceRate } : {}) });
      const errors: string[] = [];
      audio.output.onError((e) => errors.push(e.message));
      if (deviceRate) expect(audio.output.deviceRate).toBe(deviceRate);
      await sleep(100);
      await playFrames(audio.output, sequence);
      await untilSequence(() => rec.samples());
      await audio.close();
      await rec.stop();
      expect(errors).toEqual([]);
      expectSequence(findTones(rec.samples()));
      expect(audio.output.stats().framesWritten).toBe(sequence.length / FRAME_SAMPLES);
    });

    it('captures a tone sequence from the microphone as 8 kHz frames: same tones, in order, within 1 %', async () => {
      const audio = await openAudio({ clock, output: false, inputDevice: 'default', ...(deviceRate ? { sampleRate: deviceRate } : {}) });
      const errors: string[] = [];
      audio.input.onError((e) => errors.push(e.message));
      const frames: Int16Array[] = [];
      audio.input.onFrame((f) => frames.push(f));
      await sleep(200);
      const player = new Player(card, 'mic');
      player.write(sequence);
      await player.end();
      const all = (): Int16Array => {
        const a = new Int16Array(frames.length * FRAME_SAMPLES);
        frames.forEach((f, i) => a.set(f, i * FRAME_SAMPLES));
        return a;
      };
      await untilSequence(all);
      await audio.close();
      expect(errors).toEqual([]);
      expect(frames.every((f) => f.length === FRAME_SAMPLES)).toBe(true);
      expectSequence(findTones(all()));
      // read() gives the same frames to the pacer, bounded: at most 3 wait.
      expect(audio.input.stats().queuedFrames).toBeLessThanOrEqual(3);
    });
  });
});
