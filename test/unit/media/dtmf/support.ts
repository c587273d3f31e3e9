/** Test helpers for the DTMF tests: deterministic noise, audio from files via sox, espeak speech. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dbm0ToPeak } from '../../../../src/media/dtmf/tone.js';
import { Rfc4733Sender } from '../../../../src/media/dtmf/rfc4733-sender.js';
import { seededRandom } from '../../../../src/media/analysis/degrade.js';

/** A small seeded PRNG so noise is the same on every run (the media layer's). */
export const rng = seededRandom;

/** Adds white Gaussian noise so that signal power / noise power = snrDb over the tone parts. */
export function addNoise(x: Int16Array, signalPower: number, snrDb: number, seed = 1): Int16Array {
  const r = rng(seed);
  const sigma = Math.sqrt(signalPower / 10 ** (snrDb / 10));
  const out = new Int16Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const g = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    out[i] = Math.max(-32768, Math.min(32767, Math.round(x[i]! + sigma * g)));
  }
  return out;
}

/** Power of a DTMF pair of two tones at `dbm0` each (Int16 scale). */
export function pairPower(dbm0 = -10): number {
  const p = dbm0ToPeak(dbm0);
  return p * p; // two sines of peak p: 2 × p²/2
}

/** Any audio file → 8 kHz mono Int16 via sox. */
export function readAudio8k(path: string): Int16Array {
  const r = spawnSync('sox', [path, '-t', 'raw', '-r', '8000', '-e', 'signed', '-b', '16', '-c', '1', '-L', '-'], {
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`sox failed on ${path}: ${r.stderr.toString()}`);
  const b = r.stdout as Buffer;
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + (b.length & ~1)));
}

/** Speech generated with espeak-ng (several voices and rates), resampled to 8 kHz. */
export function espeakSpeech(text: string, voice = 'en', speed = 160): Int16Array {
  const dir = mkdtempSync(join(tmpdir(), 'dtmf-speech-'));
  const wav = join(dir, 'speech.wav');
  const r = spawnSync('espeak-ng', ['-v', voice, '-s', String(speed), '-w', wav, text]);
  if (r.status !== 0) throw new Error(`espeak-ng failed: ${r.stderr.toString()}`);
  return readAudio8k(wav);
}

export const SPEECH_TEXTS: readonly { text: string; voice: string; speed: number }[] = [
  { text: 'Welcome to Microsoft Exchange. To access your mailbox, enter your extension, then press pound.', voice: 'en', speed: 160 },
  { text: 'You have three new voice messages. First message, received today at nine forty five a m.', voice: 'en-us', speed: 175 },
  { text: 'Please enter your PIN followed by the pound key. Main menu. Press one for voice mail, two for calendar.', voice: 'en+f3', speed: 150 },
  { text: 'Sorry, I did not understand. Transferring your call. Goodbye. Eins zwei drei vier fünf sechs.', voice: 'en+m7', speed: 190 },
  { text: 'Bonjour, vous êtes sur la messagerie vocale. Veuillez laisser un message après le bip sonore.', voice: 'fr', speed: 160 },
  { text: 'Guten Tag, Sie sind mit der Sprachbox verbunden. Bitte sprechen Sie nach dem Signalton.', voice: 'de', speed: 165 },
];

/** The WAV files of audio/ (prompts and samples), for the talk-off corpus. */
export function repoSpeechFiles(root: string): string[] {
  const files: string[] = [];
  const prompts = join(root, 'audio', 'prompts');
  if (existsSync(prompts)) for (const f of readdirSync(prompts)) if (f.endsWith('.wav')) files.push(join(prompts, f));
  for (const f of ['speech-sample.wav', 'message.wav']) {
    const p = join(root, 'audio', f);
    if (existsSync(p)) files.push(p);
  }
  return files;
}

export interface SentPacket {
  slot: number;
  sequence: number;
  timestamp: number;
  marker: boolean;
  payload: Uint8Array;
}

/**
 * Plays the role of an RTP stream around a sender: one poll per slot, timestamps advancing by 160 per
 * slot from ts0, one sequence number per packet sent (audio or event). Returns the event packets and
 * the slots in which audio went out.
 */
export function drive(sender: Rfc4733Sender, slots: number, ts0 = 0x1000, seq0 = 100): { events: SentPacket[]; audioSlots: number[] } {
  const events: SentPacket[] = [];
  const audioSlots: number[] = [];
  let seq = seq0;
  for (let slot = 0; slot < slots; slot++) {
    const ts = (ts0 + slot * sender.unitsPerSlot) >>> 0;
    const r = sender.poll(ts);
    if (r.kind === 'audio') {
      audioSlots.push(slot);
      seq = (seq + 1) & 0xffff;
      continue;
    }
    for (const p of r.packets) {
      events.push({ slot, sequence: seq, timestamp: p.timestampOverride, marker: p.marker, payload: p.payload });
      seq = (seq + 1) & 0xffff;
    }
  }
  return { events, audioSlots };
}
