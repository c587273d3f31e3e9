/**
 * Issue 15 item 9, end to end: `umphone listen --audio` answers a call from baresip and the call is
 * heard through the sound card, on a virtual one (a private PulseAudio with null sinks `spk` and `mic`;
 * ../shared/recipes/virtual-sound-card.md), as Exchange's Play on Phone would be:
 * (1) baresip sends a spoken prompt (aufile); what `spk` plays (spk.monitor) correlates with it;
 * (2) a 1000 Hz tone fed into `mic` goes out in our RTP: baresip's recording of what it received holds
 *     it, within 1 %.
 * The listener is the real CLI (a child process) with PULSE_SERVER in its environment, so PortAudio
 * finds the private daemon; the device runs at its default rate (our resampler and PulseAudio's).
 * Runs in the real-time phase (scripts/test.sh: sound-card*.test.ts alone), like sound-card-call.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav, sineTone } from '../support/audio-compare.js';
import { startBaresip } from '../support/baresip.js';
import { killAllChildren, pollUntil, sleep } from '../support/child-process.js';
import { startPulse, type PulseHandle } from '../support/pulse.js';
import { soundCardTestable } from '../support/sound-ready.js';
import { ROOT, umphone } from '../support/umphone-cli.js';
import { findTones, mergePieces } from '../unit/media/device/support/tones.js';
import { piecewiseMatch } from '../support/audio-pieces.js';

const MIC_HZ = 1000;
const dir = mkdtempSync(join(tmpdir(), 'umphone-sound-card-listen-'));
const promptPath = join(ROOT, 'audio/prompts/greeting-613.wav');
const prompt = readWav(promptPath).samples;

const ready = soundCardTestable(['baresip']);
afterAll(() => killAllChildren());

describe.skipIf(!ready)('umphone listen with the sound card, called by baresip', () => {
  let pulse: PulseHandle;
  beforeAll(async () => {
    pulse = await startPulse({ rate: 8000 });
    process.env.PULSE_SERVER = pulse.server;
  });
  afterAll(async () => {
    await pulse?.stop();
  });

  it("the caller's prompt comes out of the speaker; a tone into the microphone reaches the caller", async () => {
    const child = umphone(['listen', '--local-ip', '127.0.0.1', '--port', '0', '--auto-answer', '--audio', '--rtp-timeout', '0']);
    const b = await startBaresip({ transport: 'tcp', audioSource: promptPath });
    const monitor = await pulse.recordMonitor('spk.monitor', join(dir, 'spk.raw'));
    try {
      await pollUntil('"listening on" on stdout', () => /listening on/.test(child.stdout()) || child.hasExited(), 30_000);
      const port = Number(/^listening on 127\.0\.0\.1:(\d+)/m.exec(child.stdout())?.[1]);
      expect(port, child.stdout() + child.stderr()).toBeGreaterThan(0);

      await b.dial(`sip:gw@127.0.0.1:${port};transport=tcp`);
      await b.waitForEvent('CALL_ESTABLISHED', 15_000);
      // A second of the microphone while the prompt plays; baresip hangs up when its file ends.
      await sleep(1500);
      await pulse.feedSink('mic', sineTone(MIC_HZ, 1000, 8000, 8000));
      await b.waitForEvent('CALL_CLOSED', 15_000);
      await pollUntil('the call summary', () => /Call 1 summary/.test(child.stdout()), 10_000);
      expect(child.stdout()).toMatch(/^call 1 answered: PCMU, RTP to 127\.0\.0\.1:\d+$/m);
      expect(child.stdout()).not.toMatch(/has no sound/);
      // A device that failed to open, or failed mid-call, would say so on stderr.
      expect(child.stderr()).not.toMatch(/^umphone:/m);

      // (1) what the speaker played: the prompt, in 500 ms pieces each found on its own, in order. Three
      // pieces at r ≥ 0.9 prove it is the prompt (unrelated speech or noise reaches that on no piece:
      // harness.test.ts). Not all of them: on a loaded CPU the output drops audio to keep its delay
      // bounded (`call` alike: side by side at a load of 6 on 2 CPUs both kept about half the pieces;
      // sound-card-call.test.ts tolerates holes too), and the last piece may still be on its way when
      // baresip hangs up. The count is printed: on an idle machine it is nearly all of them.
      const played = await monitor.stop();
      const match = piecewiseMatch(prompt, played, { pieceMs: 500, threshold: 0.9 });
      console.info(`sound-card-listen: ${match.matched}/${match.pieces} pieces of the prompt heard; r = ${match.correlations.map((c) => c.toFixed(2)).join(' ')}`);
      expect(match.inOrder, match.describe()).toBe(true);
      expect(match.matched, match.describe()).toBeGreaterThanOrEqual(3);

      // (2) what baresip heard from us: the microphone's tone, within 1 %.
      await pollUntil("baresip's recording", () => b.recordings().dec.length > 0, 5_000);
      const dec = readWav(b.recordings().dec[0]!);
      const theirs = mergePieces(findTones(dec.samples, dec.sampleRate));
      const listing = theirs.map((t) => `${t.hz.toFixed(1)} Hz for ${t.durMs} ms`).join(', ');
      const mic = theirs.filter((t) => Math.abs(t.hz - MIC_HZ) / MIC_HZ < 0.01);
      expect(mic.length, `baresip heard: ${listing}`).toBe(1);
      expect(mic[0]!.durMs, listing).toBeGreaterThanOrEqual(400);

      child.proc.kill('SIGINT');
      expect((await child.exited).code).toBe(0);
    } finally {
      await monitor.stop().catch(() => undefined);
      await child.kill();
      await b.stop();
    }
  });
});
