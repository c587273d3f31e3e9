import { describe, expect, it } from 'vitest';
import { formatDigits, formatRedirectChain, formatResult, formatSummary } from '../../../src/cli/summary.js';
import type { CallSummary } from '../../../src/phone/call-types.js';
import type { CallQuality } from '../../../src/phone/call-quality.js';
import type { LossRunsSummary } from '../../../src/rtp/quality/loss-runs.js';

const runs: LossRunsSummary = {
  packets: 612, lost: 2, p: 2 / 610, q: 1, burstR: 0.9967, lossRuns: 2, meanLossRun: 1, maxLossRun: 1, lossRunHistogram: [0, 2],
  burstDensity: 0, gapDensity: 2 / 612, meanBurstPackets: 0, meanGapPackets: 612,
};
const quality: CallQuality = {
  mos: 4.1234, r: 82.04, codec: { name: 'PCMU', Ie: 0, Bpl: 4.3, plc: false },
  received: {
    packets: 610, expected: 612, lost: 2, late: 1, duplicates: 1, outOfOrder: 0, lossPercent: 0.49, jitterMs: 0.4123, maxJitterMs: 3.2,
    rttMs: 24.6, maxRttMs: 30.1, oneWayDelayMs: 92.3, lossRuns: runs, r: 82.04, mos: 4.1234, peer: { lossPercent: 0, cumulativeLost: 0, jitterMs: 1.1 },
  },
  sent: { lossPercent: 0, jitterMs: 1.1, rttMs: 24.6 },
  perSecond: [],
  postDialDelay: { toRingingMs: 40, toAnswerMs: 230, toFinalMs: 230, finalStatus: 200, invites: 2, redirects: 1 },
  oneWayAudio: { oneWay: false, deadSide: undefined, deadFromMs: undefined, deadForMs: 0, seconds: { sent: [], received: [] } },
};

const answered: CallSummary = {
  target: 'sip:680@um.example.com;transport=tcp',
  callId: 'abc@127.0.0.1',
  state: 'ended',
  status: 200,
  reason: 'OK',
  redirects: [
    { uri: 'sip:680@um.example.com;transport=tcp', depth: 0, status: 302, reason: 'Moved Temporarily' },
    { uri: 'sip:680@10.0.0.9:5065;transport=Tcp', q: 0.5, depth: 1, status: 200, reason: 'OK' },
  ],
  answeredAtMs: 230,
  durationMs: 12_345,
  end: { kind: 'hangup', by: 'remote' },
  endedBy: 'remote (BYE)',
  codec: 'PCMU/8000 (PT 0), telephone-event PT 101',
  remoteRtp: '10.0.0.9:30000',
  rtp: {
    sent: { packets: 617, bytes: 106_124 },
    received: { packets: 610, lost: 2, lossPercent: 0.33, jitterMs: 0.4123, duplicates: 1, outOfOrder: 0 },
  },
  dtmf: {
    sent: [
      { digit: '1', method: 'rfc4733', startMs: 0, durationMs: 100 },
      { digit: '2', method: 'rfc4733', startMs: 200, durationMs: 100 },
      { digit: '#', method: 'info', startMs: 400, durationMs: 100 },
    ],
    received: [],
  },
  recordings: ['greeting.wav'],
};

describe('formatSummary', () => {
  it('prints every part of an answered call', () => {
    expect(formatSummary(answered)).toBe([
      `── Call summary ${'─'.repeat(48)}`,
      '  Target       sip:680@um.example.com;transport=tcp',
      '  Result       answered (200 OK), ended by remote (BYE)',
      '  Call-ID      abc@127.0.0.1',
      '  Redirects    1. sip:680@um.example.com;transport=tcp → 302 Moved Temporarily',
      '               2. sip:680@10.0.0.9:5065;transport=Tcp (q=0.5) [depth 1] → 200 OK',
      '  Answered     after 0.23 s',
      '  Duration     12.35 s',
      '  Codec        PCMU/8000 (PT 0), telephone-event PT 101',
      '  Remote RTP   10.0.0.9:30000',
      '  RTP sent     617 packets, 106124 bytes',
      '  RTP received 610 packets, lost 2 (0.33 %), jitter 0.41 ms, 1 duplicate',
      '  DTMF sent    12 (rfc4733), # (info)',
      '  DTMF recv    none',
      '  Recordings   greeting.wav',
      '',
    ].join('\n'));
  });

  it('prints the quality block: MOS, loss with its runs, jitter, RTT, how the peer hears us, post-dial delay, one-way audio', () => {
    const text = formatSummary({ ...answered, quality });
    expect(text).toContain([
      '  RTP received 610 packets, lost 2 (0.33 %), jitter 0.41 ms, 1 duplicate',
      '  MOS          4.12 (R 82.0; E-model G.107, PCMU, Ie 0, Bpl 4.3, no PLC)',
      '  Loss         0.49 % (2 lost, 1 late of 612; 2 runs, longest 1, burst ratio 1.00)',
      '  Jitter       0.41 ms (max 3.20 ms)',
      '  RTT          24.6 ms (max 30.1 ms), one-way delay est. 92.3 ms',
      '  Peer hears   loss 0.00 %, jitter 1.10 ms (its RTCP)',
      '  Post-dial    18x after 0.04 s, 200 after 0.23 s (2 INVITEs, 1 redirect)',
      '  One-way      no',
      '  DTMF sent',
    ].join('\n'));
    const oneWay = formatSummary({ ...answered, quality: { ...quality, mos: undefined, r: undefined, oneWayAudio: { ...quality.oneWayAudio, oneWay: true, deadSide: 'received', deadFromMs: 1000, deadForMs: 6000 } } });
    expect(oneWay).toMatch(/^ {2}MOS {10}not measured \(no RTP received\)$/m);
    expect(oneWay).toMatch(/^ {2}One-way {6}yes: nothing heard from the far end for 6\.00 s from 1\.00 s$/m);
    // Who hung up stays on the result line.
    expect(oneWay).toMatch(/^ {2}Result {7}answered \(200 OK\), ended by remote \(BYE\)$/m);
  });

  it('prints a failed call without media lines', () => {
    const failed: CallSummary = {
      target: 'sip:680@h', callId: 'x', state: 'ended', status: 486, reason: 'Busy Here',
      redirects: [{ uri: 'sip:680@h', depth: 0, status: 486, reason: 'Busy Here' }],
      durationMs: 0, end: { kind: 'rejected', by: 'remote', status: 486, reason: 'Busy Here' }, endedBy: '486 Busy Here', dtmf: { sent: [], received: [] }, recordings: [],
    };
    const text = formatSummary(failed);
    expect(text).toMatch(/^ {2}Result {7}not answered: 486 Busy Here$/m);
    expect(text).toMatch(/^ {2}Target set {3}1\. sip:680@h → 486 Busy Here$/m);
    expect(text).not.toMatch(/RTP|Codec|Answered/);
    const withPdd = formatSummary({ ...failed, quality: { ...quality, postDialDelay: { toRingingMs: undefined, toAnswerMs: undefined, toFinalMs: 1500, finalStatus: 486, invites: 1, redirects: 0 } } });
    expect(withPdd).toMatch(/^ {2}Post-dial {4}no 18x, 486 after 1\.50 s$/m);
    expect(withPdd).not.toMatch(/MOS|One-way/);
  });
});

describe('pieces', () => {
  it('names a hop without a final response', () => {
    expect(formatRedirectChain([{ uri: 'sip:a@b', depth: 0 }])).toEqual(['1. sip:a@b → no final response']);
  });

  it('groups digits by method in order', () => {
    expect(formatDigits([])).toBe('none');
    expect(formatDigits([
      { digit: '1', method: 'inband', startMs: 0, durationMs: 0 },
      { digit: '2', method: 'rfc4733', startMs: 0, durationMs: 0 },
      { digit: '3', method: 'inband', startMs: 0, durationMs: 0 },
    ])).toBe('1 (inband), 2 (rfc4733), 3 (inband)');
  });

  it('says why a call was not answered', () => {
    expect(formatResult({ ...answered, answeredAtMs: undefined, status: undefined, end: { kind: 'cancelled', by: 'local' }, endedBy: 'local (CANCEL)' } as CallSummary))
      .toBe('not answered: local (CANCEL)');
  });
});
