/**
 * DTMF benchmark.
 *   1. In-band detection speed on one core: decoded 8 kHz audio (DTMF digits, speech, silence) fed in
 *      20 ms frames, as a call does; figure = audio seconds / CPU seconds ("× real time"; target ≥ 2000×).
 *   2. The same audio decoded by multimon-ng (`-a DTMF -t raw`, 22050 Hz as it requires; resampling by
 *      sox done beforehand, not timed), timed around the process, in the same run; and the ratio.
 *   3. RFC 4733 sending with many calls: 1000 DtmfScheduler instances each sending digits, one poll()
 *      each per 20 ms slot: µs of CPU per slot (all 1000 senders), and the share of the 20 ms budget.
 */
import { spawnSync } from 'node:child_process';
import { RealClock } from '../src/util/clock.js';
import { DtmfDetector } from '../src/media/dtmf/detector.js';
import { DtmfScheduler } from '../src/media/dtmf/scheduler.js';
import { synthesizeDtmf } from '../src/media/dtmf/tone.js';
import { decodeUlaw, encodeUlaw } from '../src/media/g711.js';
import { multimonDecode, wavTo22050Raw, writeWav8k } from '../test/unit/media/dtmf/multimon.js';
import { espeakSpeech, readAudio8k, repoSpeechFiles } from '../test/unit/media/dtmf/support.js';

const clock = new RealClock();

function buildAudio(): Int16Array {
  const parts: Int16Array[] = [];
  for (let i = 0; i < 4; i++) parts.push(synthesizeDtmf('0123456789*#ABCD', { padMs: 500 }));
  const files = repoSpeechFiles(process.cwd());
  if (files.length > 0) for (const f of files) parts.push(readAudio8k(f));
  else parts.push(espeakSpeech('Welcome to the voice mail system. Please enter your extension, then press pound.'));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const x = new Int16Array(total);
  let at = 0;
  for (const p of parts) {
    x.set(p, at);
    at += p.length;
  }
  return decodeUlaw(encodeUlaw(x));
}

function detectionSpeed(audio: Int16Array): { xRealTime: number; digits: number } {
  const seconds = audio.length / 8000;
  let best = Infinity;
  let digits = 0;
  for (let rep = 0; rep < 7; rep++) {
    const d = new DtmfDetector();
    const t0 = clock.now();
    let n = 0;
    for (let i = 0; i < audio.length; i += 160) n += d.process(audio.subarray(i, i + 160)).length;
    n += d.flush().length;
    const dt = clock.now() - t0;
    if (rep > 0) best = Math.min(best, dt); // first pass warms the JIT
    digits = n;
  }
  return { xRealTime: seconds / (best / 1000), digits };
}

function multimonSpeed(audio: Int16Array): { xRealTime: number; digits: number } | undefined {
  if (spawnSync('multimon-ng', ['-h']).error !== undefined) return undefined;
  const raw = wavTo22050Raw(writeWav8k(audio));
  const seconds = audio.length / 8000;
  let best = Infinity;
  let digits = 0;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = clock.now();
    digits = multimonDecode(raw).length;
    best = Math.min(best, clock.now() - t0);
  }
  return { xRealTime: seconds / (best / 1000), digits };
}

function sendingCost(calls: number, slots: number): { usPerSlot: number; packetsPerSlot: number } {
  const schedulers: DtmfScheduler[] = [];
  for (let c = 0; c < calls; c++) {
    const s = new DtmfScheduler({ mode: 'rfc4733', initialSilenceMs: (c % 50) * 20 });
    s.enqueue('0123456789*#ABCD'.repeat(4));
    schedulers.push(s);
  }
  let packets = 0;
  const t0 = clock.now();
  for (let slot = 0; slot < slots; slot++) {
    const ts = slot * 160;
    for (let c = 0; c < calls; c++) packets += schedulers[c]!.poll(ts).events.length;
  }
  const dt = clock.now() - t0;
  return { usPerSlot: (dt * 1000) / slots, packetsPerSlot: packets / slots };
}

export async function run(): Promise<void> {
  const audio = buildAudio();
  const ours = detectionSpeed(audio);
  console.log(`DTMF in-band detection: ${(audio.length / 8000).toFixed(1)} s of audio in 20 ms frames, ` +
    `${ours.xRealTime.toFixed(0)}× real time on one core (target ≥ 2000×), ${ours.digits} digits found (64 sent)`);
  const peer = multimonSpeed(audio);
  if (peer) {
    console.log(`multimon-ng -a DTMF on the same audio (22050 Hz raw, process included): ${peer.xRealTime.toFixed(0)}× real time, ` +
      `${peer.digits} digits found`);
    console.log(`ratio umphone / multimon-ng detection speed: ${(ours.xRealTime / peer.xRealTime).toFixed(2)}`);
  } else {
    console.log('multimon-ng not installed: no peer figure');
  }
  sendingCost(1000, 100); // warm-up
  const send = sendingCost(1000, 1500);
  console.log(`RFC 4733 sending: poll() of 1000 senders per 20 ms slot = ${send.usPerSlot.toFixed(0)} µs per slot ` +
    `(${((send.usPerSlot / 20000) * 100).toFixed(2)} % of the slot), ${send.packetsPerSlot.toFixed(0)} event packets per slot`);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
