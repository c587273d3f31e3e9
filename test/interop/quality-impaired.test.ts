/**
 * The quality model against an impaired stream and an independent reader: `umphone call` to a SIPp UAS
 * that plays a 6.7 s prompt, through a lossy relay (test/support/lossy-relay.ts: every n-th RTP packet
 * from SIPp dropped, each other delayed by 0..15 ms). The figures of umphone's --json summary are compared
 * with what the relay dropped and with tshark's `-z rtp,streams` on the pcap umphone wrote of the same
 * call: lost packets within 1, max jitter within 0.5 ms. R and MOS fall as loss rises, and --expect turns a
 * breach into exit 1 with the figure.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import type { CallSummary } from '../../src/phone/call-types.js';
import { killAllChildren } from '../support/child-process.js';
import { ROOT, umphone } from '../support/umphone-cli.js';
import { startSipp, scenarioPath } from '../support/sipp.js';
import { writeG711Pcap } from '../support/pcap.js';
import { tsharkFields, tsharkRtpStreams } from '../support/tshark.js';
import { startLossyRelay } from '../support/lossy-relay.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-quality-'));
const prompt = loadWavForPlaybackSync(join(ROOT, 'audio/prompts/greeting-613.wav')).samples;
const audio = join(dir, 'greeting.pcap');
writeG711Pcap(audio, prompt, { law: 'PCMU' });

afterAll(() => killAllChildren());

/** umphone's figures and tshark's agree this closely on the same received stream. */
const LOST_TOLERANCE = 1;
const JITTER_TOLERANCE_MS = 0.5;

interface Run {
  code: number | null;
  stderr: string;
  summary: CallSummary;
  tshark: { lost: number; packets: number; maxJitterMs: number };
  dropped: number;
}

async function impairedCall(name: string, dropEvery: number, expects: string[] = []): Promise<Run> {
  const uas = await startSipp({ scenario: scenarioPath('uas-answer-play-bye.xml'), transport: 'u1', files: { 'audio.pcap': audio }, pauseMs: 6000 });
  const relay = await startLossyRelay({ peerSipPort: uas.localPort, dropEvery, jitterMs: 15 });
  const pcap = join(dir, `${name}.pcap`);
  const json = join(dir, `${name}.json`);
  try {
    const r = await umphone([
      'call', `sip:680@127.0.0.1:${relay.sipPort}`, '--transport', 'udp', '--local-ip', '127.0.0.1', '--no-audio', '-q',
      '--pcap', pcap, '--json', json, ...expects.flatMap((e) => ['--expect', e]),
    ]).exited;
    const summary = JSON.parse(readFileSync(json, 'utf8')) as CallSummary;
    // Our RTP port: the m= port of our offer as it left umphone (the file holds what we sent).
    const ours = Number(tsharkFields(pcap, ['sdp.media.port'], { filter: 'sip.Method == "INVITE"' })[0]![0]);
    const streams = tsharkRtpStreams(pcap);
    const received = streams.find((s) => s.dstPort === ours);
    expect(received, JSON.stringify(streams)).toBeDefined();
    return { code: r.code, stderr: r.stderr, summary, tshark: received!, dropped: relay.counts.dropped };
  } finally {
    await relay.close();
    await uas.kill();
  }
}

function expectAgrees(run: Run): void {
  const q = run.summary.quality!;
  console.info(`quality-impaired: relay dropped ${run.dropped}; umphone lost ${q.received.lost} + late ${q.received.late} of ${q.received.expected} (${q.received.lossPercent.toFixed(2)} %), max jitter ${q.received.maxJitterMs.toFixed(3)} ms, one-way delay ${q.received.oneWayDelayMs} ms, MOS ${q.mos?.toFixed(2)}; tshark lost ${run.tshark.lost} of ${run.tshark.packets + run.tshark.lost}, max jitter ${run.tshark.maxJitterMs} ms`);
  expect(Math.abs(q.received.lost - run.tshark.lost)).toBeLessThanOrEqual(LOST_TOLERANCE);
  expect(Math.abs(q.received.lost - run.dropped)).toBeLessThanOrEqual(LOST_TOLERANCE);
  expect(Math.abs(q.received.maxJitterMs - run.tshark.maxJitterMs)).toBeLessThanOrEqual(JITTER_TOLERANCE_MS);
  // Uniform 0..15 ms delays on top of SIPp's own pacing: an RFC 3550 jitter of some ms, not zero.
  expect(q.received.maxJitterMs).toBeGreaterThan(1);
  expect(q.perSecond.reduce((n, r) => n + r.lost, 0)).toBe(q.received.lost);
}

describe('quality of an impaired stream (SIPp through a lossy relay, checked with tshark)', () => {
  // Two calls of ~8 s each, with process start-ups: well past the default timeout on a loaded machine.
  it('2 % and 10 % loss with 0..15 ms jitter: loss and jitter as tshark reads the pcap; MOS falls as loss rises; --expect fails with the figure', { timeout: 120_000 }, async () => {
    const light = await impairedCall('loss-2', 50, ['mos>=1', 'pdd<5s', 'one_way_audio=false']);
    expect(light.code, light.stderr).toBe(0);
    expectAgrees(light);
    const heavy = await impairedCall('loss-10', 10, ['loss<1%']);
    expectAgrees(heavy);
    expect(heavy.code).toBe(1);
    expect(heavy.stderr).toMatch(/^umphone: quality: loss \d+(\.\d+)?% is not < 1%$/m);
    const [l, h] = [light.summary.quality!, heavy.summary.quality!];
    // The network's loss is the relay's; lossPercent adds the jitter buffer's late discards, which grow
    // with the machine's load (3 to 24 packets seen in these calls), so it is only bounded below.
    const networkLoss = (q: typeof l): number => (q.received.lost / q.received.expected) * 100;
    expect(networkLoss(l)).toBeGreaterThan(1);
    expect(networkLoss(l)).toBeLessThan(3);
    expect(networkLoss(h)).toBeGreaterThan(8);
    expect(networkLoss(h)).toBeLessThan(12);
    expect(l.received.lossPercent).toBeGreaterThanOrEqual(networkLoss(l));
    // MOS falls as loss rises; compared on R, which MOS's floor of 1 would hide on a loaded machine.
    expect(h.r!).toBeLessThan(l.r!);
    expect(h.mos!).toBeLessThanOrEqual(l.mos!);
    expect(l.mos!).toBeLessThan(4.2);
    expect(l.oneWayAudio.oneWay).toBe(false);
    expect(l.postDialDelay.toRingingMs).toBeDefined();
  });
});
