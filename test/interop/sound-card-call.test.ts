/**
 * Issue 5, end to end: the sound card in a REAL call, on a virtual sound card (a private PulseAudio with
 * null sinks `spk` and `mic`, reached by naudiodon's PortAudio; docs/peers.md).
 *
 * (1) baresip auto-answers and plays audio/test-tones.wav (400/800/1200/1600 Hz, 300 ms each, looped);
 *     the phone plays what it receives to the default output (spk); a capture of spk.monitor holds the
 *     same four tones, in order, each within 1 %.
 * (2) a 1000 Hz tone fed into `mic` (the default source is mic.monitor) goes out in our RTP; baresip's
 *     recording of what it received holds a tone within 1 % of 1000 Hz.
 * Both with the sinks and the device at 8 kHz (bit-exact device path) and at 48 kHz (our resampler both
 * ways), plus: a sound card that fails to open is one line saying what to do, and the call goes on
 * without sound.
 *
 * The private PulseAudio starts in beforeAll, and PULSE_SERVER is set in this process's env, before the
 * addon is loaded (lazily, by openAudio; vitest gives each test file its own process). The addon prints
 * its stream settings to stdout: expected.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AudioDeviceNotFoundError } from '../../src/media/device/errors.js';
import { openAudio } from '../../src/media/device/open.js';
import { Phone } from '../../src/phone/phone.js';
import { WavWriter } from '../../src/media/wav/writer.js';
import { RealClock } from '../../src/util/clock.js';
import { readWav, sineTone } from '../support/audio-compare.js';
import { startBaresip } from '../support/baresip.js';
import { killAllChildren, pollUntil, sleep } from '../support/child-process.js';
import { startPulse, type PulseHandle } from '../support/pulse.js';
import { findTones, mergePieces, type FoundTone } from '../unit/media/device/support/tones.js';
import { soundCardTestable } from '../support/sound-ready.js';

const TONES = [400, 800, 1200, 1600];
const MIC_HZ = 1000;
const dir = mkdtempSync(join(tmpdir(), 'umphone-sound-card-call-'));
/**
 * baresip's aufile ends the call when its file ends, and test-tones.wav lasts 1.7 s: the source is the
 * file three times over (5.1 s), longer than each call here.
 */
const tonesWav = join(dir, 'test-tones-x3.wav');
{
  const once = readWav(new URL('../../audio/test-tones.wav', import.meta.url).pathname).samples;
  const w = WavWriter.open(tonesWav);
  for (let i = 0; i < 3; i++) w.write(once);
  w.close();
}

const ready = soundCardTestable(['baresip']);

/**
 * The tones heard, checked against the looped sequence 400/800/1200/1600 Hz:
 * - every tone heard is one of the four, within 1 %;
 * - each tone is followed by the next of the sequence (cyclically). On a loaded CPU an event-loop stall
 *   of 100-200 ms leaves a hole of silence that can swallow a whole tone, so one missing tone between
 *   two heard ones is allowed, never a step backwards or a repeat;
 * - the whole sequence, in order, is there (as a subsequence: across two loops if a hole swallowed one).
 * Returns what is wrong, or undefined.
 */
function sequenceProblem(found: FoundTone[]): string | undefined {
  const idx = found.map((t) => TONES.findIndex((hz) => Math.abs(t.hz - hz) / hz < 0.01));
  const alien = found.find((_, i) => idx[i] === -1);
  if (alien) return `a tone of ${alien.hz.toFixed(1)} Hz is none of ${TONES.join('/')} Hz within 1 %`;
  for (let i = 1; i < idx.length; i++) {
    const step = (idx[i]! - idx[i - 1]! + TONES.length) % TONES.length;
    if (step !== 1 && step !== 2) return `${TONES[idx[i]!]} Hz follows ${TONES[idx[i - 1]!]} Hz`;
  }
  let next = 0;
  for (const k of idx) if (k === next) next++;
  if (next < TONES.length) return `the sequence ${TONES.join('/')} Hz is not all there`;
  return undefined;
}

const describeIf = describe.skipIf(!ready);
afterAll(() => killAllChildren());

describeIf.each([
  { name: 'sinks and device at 8 kHz (bit-exact device path)', rate: 8000 },
  { name: 'sinks and device at 48 kHz (our resampler both ways)', rate: 48000 },
])('a call to baresip with the sound card: $name', ({ rate }) => {
  let pulse: PulseHandle;
  beforeAll(async () => {
    pulse = await startPulse({ rate });
    process.env.PULSE_SERVER = pulse.server;
  });
  afterAll(async () => {
    await pulse?.stop();
  });

  it("baresip's tones come out of the speaker; a tone into the microphone reaches baresip", async () => {
    const b = await startBaresip({ transport: 'tcp', audioSource: tonesWav });
    const phone = await Phone.create({ localIp: '127.0.0.1', transport: 'tcp' });
    const audio = await openAudio({ clock: new RealClock(), outputDevice: 'default', inputDevice: 'default', sampleRate: rate });
    const deviceErrors: string[] = [];
    audio.output.onError((e) => deviceErrors.push(e.message));
    audio.input.onError((e) => deviceErrors.push(e.message));
    const monitor = await pulse.recordMonitor('spk.monitor', join(dir, `spk-${rate}.raw`));
    try {
      expect(audio.output.deviceRate).toBe(rate);
      expect(audio.input.deviceRate).toBe(rate);
      const call = await phone.call(b.uri, { from: '111', output: audio.output, input: audio.input });
      // Let a first loop of baresip's 1.7 s file start, then speak into the microphone for a second
      // while the tones keep coming out of the speaker.
      await sleep(800);
      await pulse.feedSink('mic', sineTone(MIC_HZ, 1000, 8000, rate));
      await sleep(2200);
      const summary = await call.hangup();
      expect(summary.status).toBe(200);
      expect(summary.endedBy).toBe('local (BYE)');
      expect(summary.rtp!.received.packets).toBeGreaterThan(150);

      // (1) what the speaker played: the sequence, in order, each tone within 1 %.
      const played = await monitor.stop();
      const heard = mergePieces(findTones(played, rate));
      const listing = heard.map((t) => `${t.hz.toFixed(1)} Hz at ${t.startMs} ms for ${t.durMs} ms`).join(', ');
      expect(sequenceProblem(heard), `spk.monitor: ${listing}`).toBeUndefined();
      // About two loops of the 1.7 s sequence were played: most of the 8+ tones must be there.
      expect(heard.length, `spk.monitor: ${listing}`).toBeGreaterThanOrEqual(6);

      // (2) what baresip heard from us: the microphone's tone, within 1 %.
      await b.waitForEvent('CALL_CLOSED', 10_000);
      await pollUntil("baresip's recording", () => b.recordings().dec.length > 0, 5_000);
      const dec = readWav(b.recordings().dec[0]!);
      const theirs = mergePieces(findTones(dec.samples, dec.sampleRate));
      const theirListing = theirs.map((t) => `${t.hz.toFixed(1)} Hz for ${t.durMs} ms`).join(', ');
      const mic = theirs.filter((t) => Math.abs(t.hz - MIC_HZ) / MIC_HZ < 0.01);
      expect(mic.length, `baresip heard: ${theirListing}`).toBe(1);
      // The second came through (less what a loaded CPU may shave off: pacat and PulseAudio stall too).
      expect(mic[0]!.durMs, theirListing).toBeGreaterThanOrEqual(400);
      expect(deviceErrors).toEqual([]);
    } finally {
      await monitor.stop().catch(() => undefined);
      await audio.close();
      await phone.close();
      await b.stop();
    }
  });
});

describeIf('a sound card that fails to open', () => {
  let pulse: PulseHandle;
  beforeAll(async () => {
    pulse = await startPulse({ rate: 8000 });
    process.env.PULSE_SERVER = pulse.server;
  });
  afterAll(async () => {
    await pulse?.stop();
  });

  it('is one line naming what to do, and the call goes on without sound', async () => {
    const err = await openAudio({ clock: new RealClock(), outputDevice: 'no-such-device' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AudioDeviceNotFoundError);
    const message = (err as Error).message;
    expect(message.split('\n')).toHaveLength(1);
    expect(message).toMatch(/^no output device matches "no-such-device" \(output devices: .*"default".*\)/);
    expect(message).toMatch(/`umphone devices`/);
    expect(message).toMatch(/--no-audio/);

    // What the CLI does then: the call without output/input (silence out, nothing played).
    const b = await startBaresip({ transport: 'tcp', audioSource: tonesWav });
    const phone = await Phone.create({ localIp: '127.0.0.1', transport: 'tcp' });
    try {
      const call = await phone.call(b.uri, { from: '111' });
      await sleep(1000);
      const summary = await call.hangup();
      expect(summary.status).toBe(200);
      expect(summary.rtp!.received.packets).toBeGreaterThan(25);
      expect(summary.rtp!.sent.packets).toBeGreaterThan(25);
    } finally {
      await phone.close();
      await b.stop();
    }
  });
});
