/**
 * What delay does the sound card add? Measured on a private PulseAudio (null sinks spk and mic), with
 * clicks (2 ms bursts of 1 kHz) every 240 ms inside a continuous 20 ms stream, as in a call:
 *
 *  output: click frame given to AudioOutput.write()  → parec sees it on spk.monitor
 *  input:  click frame written to pacat (into mic)   → our AudioInput delivers the frame holding it
 *  tools:  the same click through pacat → parec only (mic.monitor, recorded during the input run):
 *          what the measuring tools themselves add.
 *
 * So "output" includes parec's own capture delay and "input" includes pacat's playback delay; the
 * tools row bounds both (it is pacat + parec). Usage: npx tsx scripts/latency-sound-card.ts [sinkRate=48000] [deviceRate|default] [outputChunkMs=5]
 * Prints median / p95 / max in ms. naudiodon prints its stream settings to stdout: expected.
 */
import { FRAME_SAMPLES } from '../src/media/device/device.js';
import { openAudio } from '../src/media/device/open.js';
import { Player, Recorder, clock, sleep, startVirtualCard } from '../test/unit/media/device/support/virtual-card.js';

const CLICKS = 20;
const EVERY = 12; // frames between clicks (240 ms)
const THRESHOLD = 4000;

function clickFrame(): Int16Array {
  const f = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < 16; i++) f[i] = Math.round(16000 * Math.sin((2 * Math.PI * 1000 * i) / 8000));
  return f;
}

/** Run `frames` 20 ms ticks on a drift-free schedule; returns the times the click frames were sent. */
async function stream(frames: number, send: (frame: Int16Array) => void): Promise<number[]> {
  const sent: number[] = [];
  const start = clock.now();
  for (let n = 0; n < frames; n++) {
    const wait = start + n * 20 - clock.now();
    if (wait > 0) await sleep(wait);
    const isClick = n >= EVERY && n % EVERY === 0;
    if (isClick) sent.push(clock.now());
    send(isClick ? clickFrame() : new Int16Array(FRAME_SAMPLES));
  }
  return sent;
}

/** Arrival times of clicks in a recorder's chunks (a click = first loud sample after 100 ms of quiet). */
function clickArrivals(rec: Recorder): number[] {
  const at: number[] = [];
  let quiet = 0;
  for (const c of rec.chunks) {
    for (const v of c.samples) {
      if (Math.abs(v) > THRESHOLD) {
        if (quiet >= 800) at.push(c.at);
        quiet = 0;
      } else quiet++;
    }
  }
  return at;
}

/** Pair each sent click with the first arrival after it (and before the next click is sent). */
function delays(sent: number[], arrived: number[]): number[] {
  const out: number[] = [];
  sent.forEach((t, i) => {
    const next = sent[i + 1] ?? Infinity;
    const a = arrived.find((x) => x >= t && x < next + 200);
    if (a !== undefined) out.push(a - t);
  });
  return out;
}

function summary(name: string, d: number[]): string {
  if (d.length === 0) return `${name.padEnd(44)} no clicks detected`;
  const s = [...d].sort((a, b) => a - b);
  const q = (p: number): string => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1);
  return `${name.padEnd(44)} median ${q(0.5).padStart(6)} ms  p95 ${q(0.95).padStart(6)} ms  max ${s.at(-1)!.toFixed(1).padStart(6)} ms  (${d.length}/${CLICKS} clicks)`;
}

async function main(): Promise<void> {
  const sinkRate = Number(process.argv[2] ?? 48000);
  const deviceRate = process.argv[3] && process.argv[3] !== 'default' ? Number(process.argv[3]) : undefined;
  const chunkMs = process.argv[4] ? Number(process.argv[4]) : undefined;
  const card = await startVirtualCard(sinkRate);
  process.env.PULSE_SERVER = card.server;
  const lines: string[] = [];
  const frames = (CLICKS + 1) * EVERY - 1; // clicks at frames 12, 24, ... 240
  try {
    // Output: write() → spk.monitor.
    {
      const rec = new Recorder(card, 'spk.monitor');
      await rec.started();
      const audio = await openAudio({ clock, input: false, ...(deviceRate ? { sampleRate: deviceRate } : {}), ...(chunkMs ? { chunkMs } : {}) });
      await sleep(200);
      const sent = await stream(frames, (f) => audio.output.write(f));
      await sleep(300);
      const st = audio.output.stats();
      await audio.close();
      await rec.stop();
      lines.push(summary(`output: write() → parec spk.monitor (${audio.output.deviceRate} Hz, ${chunkMs ?? 5} ms chunks)`, delays(sent, clickArrivals(rec))));
      lines.push(`  output stats: underruns ${st.underruns}, dropped ${st.droppedSamples} samples`);
    }
    // Input: pacat → mic → our AudioInput, with parec on mic.monitor as the tools' reference.
    {
      const audio = await openAudio({ clock, output: false, ...(deviceRate ? { sampleRate: deviceRate } : {}) });
      const ref = new Recorder(card, 'mic.monitor');
      await ref.started();
      const delivered: number[] = [];
      let quiet = 0;
      audio.input.onFrame((f) => {
        let loud = false;
        for (const v of f) if (Math.abs(v) > THRESHOLD) loud = true;
        if (loud && quiet >= 5) delivered.push(clock.now());
        quiet = loud ? 0 : quiet + 1;
      });
      const player = new Player(card, 'mic', 10);
      await sleep(200);
      const sent = await stream(frames, (f) => player.write(f));
      await sleep(300);
      await player.end();
      await ref.stop();
      await audio.close();
      lines.push(summary(`input: pacat → AudioInput frame (${audio.input.deviceRate} Hz)`, delays(sent, delivered)));
      lines.push(summary('tools: pacat → parec mic.monitor (same run)', delays(sent, clickArrivals(ref))));
    }
  } finally {
    await card.stop();
  }
  process.stderr.write(`\nsound card latency, sinks at ${sinkRate} Hz, load average ${(await loadAverage()).toFixed(1)}\n${lines.join('\n')}\n`);
}

async function loadAverage(): Promise<number> {
  const os = await import('node:os');
  return os.loadavg()[0] ?? 0;
}

await main();
