/**
 * In-band DTMF detection quality: prints a markdown table of detection rate and false digits over a
 * matrix of frequency offsets, twist, tone lengths, SNR and a talk-off corpus (audio/ prompts + espeak-ng
 * speech), for our detector and, on the same audio, for multimon-ng (an independent decoder).
 *
 *   npx tsx scripts/dtmf-quality.ts
 *
 * Every condition sends the 16 keys 0123456789*#ABCD, five times (different noise seeds / alignments),
 * through G.711 μ-law (the channel a call really has). "Detected" counts keys found in order (longest
 * common subsequence with what was sent); "false" counts every other digit reported.
 */
import { spawnSync } from 'node:child_process';
import { detectDtmf } from '../src/media/dtmf/detector.js';
import { DTMF_TONE_KEYS } from '../src/media/dtmf/keys.js';
import { synthesizeDtmf, type SynthesizeOptions } from '../src/media/dtmf/tone.js';
import { decodeUlaw, encodeUlaw } from '../src/media/g711.js';
import { multimonDecode, wavTo22050Raw, writeWav8k } from '../test/unit/media/dtmf/multimon.js';
import { addNoise, espeakSpeech, pairPower, readAudio8k, repoSpeechFiles, SPEECH_TEXTS } from '../test/unit/media/dtmf/support.js';

const KEYS = DTMF_TONE_KEYS.join('');
const RUNS = 5;
const haveMultimon = spawnSync('multimon-ng', ['-h']).error === undefined;

function lcs(a: string, b: string): number {
  const dp = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let prev = 0;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = a[i - 1] === b[j - 1] ? prev + 1 : Math.max(dp[j]!, dp[j - 1]!);
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

interface Score { sent: number; hit: number; falseDigits: number }

function multimon(pcm: Int16Array): string {
  return multimonDecode(wavTo22050Raw(writeWav8k(pcm)));
}

function condition(opts: SynthesizeOptions, snrDb?: number): { ours: Score; peer: Score | undefined } {
  const ours: Score = { sent: 0, hit: 0, falseDigits: 0 };
  const peer: Score = { sent: 0, hit: 0, falseDigits: 0 };
  for (let run = 0; run < RUNS; run++) {
    // Shift the start by a few samples per run so tones meet the analysis grid at different phases.
    let x = synthesizeDtmf(KEYS, { ...opts, padMs: (opts.padMs ?? 100) + run * 0.875 });
    if (snrDb !== undefined) x = addNoise(x, pairPower(opts.levelDbm0 ?? -10), snrDb, run + 1);
    x = decodeUlaw(encodeUlaw(x));
    const got = detectDtmf(x).map((d) => d.digit).join('');
    const h = lcs(KEYS, got);
    ours.sent += KEYS.length;
    ours.hit += h;
    ours.falseDigits += got.length - h;
    if (haveMultimon) {
      const m = multimon(x);
      const hm = lcs(KEYS, m);
      peer.sent += KEYS.length;
      peer.hit += hm;
      peer.falseDigits += m.length - hm;
    }
  }
  return { ours, peer: haveMultimon ? peer : undefined };
}

const pct = (s: Score): string => `${((100 * s.hit) / s.sent).toFixed(1)} %`;
const rows: string[] = [];
function row(group: string, cond: string, expect: string, r: { ours: Score; peer: Score | undefined }): void {
  rows.push(`| ${group} | ${cond} | ${expect} | ${pct(r.ours)} | ${r.ours.falseDigits} | ${r.peer ? pct(r.peer) : 'n/a'} | ${r.peer ? r.peer.falseDigits : 'n/a'} |`);
}

for (const off of [0, -1, 1, -1.5, 1.5, -2, 2, -3.5, 3.5, -5, 5]) {
  const expect = Math.abs(off) <= 1.5 ? 'accept' : Math.abs(off) >= 3.5 ? 'reject' : 'either';
  row('frequency offset', `${off > 0 ? '+' : ''}${off} %`, expect, condition({ frequencyScale: 1 + off / 100 }));
}
for (const tw of [-12, -10, -8, -4, 0, 4, 6, 8]) {
  const expect = tw >= -8 && tw <= 4 ? 'accept' : 'reject';
  row('twist (high - low)', `${tw > 0 ? '+' : ''}${tw} dB`, expect, condition({ twistDb: tw }));
}
for (const ms of [20, 30, 35, 40, 60]) {
  const expect = ms >= 40 ? 'accept' : ms <= 30 ? 'reject' : 'either';
  row('tone length (gap 60 ms)', `${ms} ms`, expect, condition({ durationMs: ms, gapMs: 60 }));
}
for (const ms of [20, 30, 40]) {
  row('pause length (tones 60 ms)', `${ms} ms`, ms >= 40 ? 'accept' : 'either', condition({ durationMs: 60, gapMs: ms }));
}
for (const snr of [30, 20, 15, 12, 10]) {
  row('SNR (white noise)', `${snr} dB`, snr >= 15 ? 'accept' : 'either', condition({}, snr));
}
for (const lvl of [-5, -20, -28, -36]) {
  row('level per tone', `${lvl} dBm0`, lvl >= -28 ? 'accept' : 'reject', condition({ levelDbm0: lvl }));
}

// Talk-off: speech must give no digit at all.
const talk: string[] = [];
let totalSeconds = 0, totalOurs = 0, totalPeer = 0;
const corpus: { name: string; pcm: Int16Array }[] = repoSpeechFiles(process.cwd()).map((f) => ({ name: f.replace(`${process.cwd()}/`, ''), pcm: readAudio8k(f) }));
SPEECH_TEXTS.forEach((t, i) => corpus.push({ name: `espeak-ng ${t.voice} #${i + 1}`, pcm: espeakSpeech(t.text, t.voice, t.speed) }));
for (const { name, pcm } of corpus) {
  const x = decodeUlaw(encodeUlaw(pcm));
  const ours = detectDtmf(x).length;
  const peer = haveMultimon ? multimon(x).length : NaN;
  totalSeconds += x.length / 8000;
  totalOurs += ours;
  totalPeer += peer;
  talk.push(`| ${name} | ${(x.length / 8000).toFixed(1)} s | ${ours} | ${haveMultimon ? peer : 'n/a'} |`);
}

console.log(`## In-band DTMF detection quality (${RUNS} × 16 keys per condition, through G.711 μ-law; defaults: -10 dBm0 per tone, 100 ms tones, 70 ms gaps)\n`);
console.log('| condition | value | Q.24 expectation | umphone detected | umphone false | multimon-ng detected | multimon-ng false |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log('\n## Talk-off (false digits over speech; must be 0)\n');
console.log('| speech | length | umphone false digits | multimon-ng false digits |');
console.log('|---|---|---|---|');
for (const r of talk) console.log(r);
console.log(`| **total** | ${totalSeconds.toFixed(1)} s | **${totalOurs}** | ${haveMultimon ? totalPeer : 'n/a'} |`);
