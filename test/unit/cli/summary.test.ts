import { describe, expect, it } from 'vitest';
import { formatDigits, formatRedirectChain, formatResult, formatSummary } from '../../../src/cli/summary.js';
import type { CallSummary } from '../../../src/phone/call-types.js';

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
