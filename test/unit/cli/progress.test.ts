import { describe, expect, it } from 'vitest';
import { ProgressFormatter } from '../../../src/cli/progress.js';
import type { CallEvent } from '../../../src/phone/call-types.js';

function lines(events: CallEvent[], elapsed = 0): string[] {
  const f = new ProgressFormatter();
  return events.flatMap((e) => f.format(e, elapsed));
}

describe('ProgressFormatter', () => {
  it('follows an Exchange UM style redirect hop by hop', () => {
    expect(lines([
      { type: 'attempt', uri: 'sip:680@um.example.com;transport=tcp', depth: 0 },
      { type: 'provisional', status: 100, reason: 'Trying' },
      { type: 'redirect', status: 302, reason: 'Moved Temporarily', targets: ['sip:680@10.0.0.9:5065;transport=Tcp'] },
      { type: 'attempt', uri: 'sip:680@10.0.0.9:5065;transport=Tcp', q: 0.5, depth: 1 },
      { type: 'provisional', status: 180, reason: 'Ringing' },
      { type: 'provisional', status: 180, reason: 'Ringing' },
      { type: 'provisional', status: 183, reason: 'Session Progress' },
    ])).toEqual([
      'Calling sip:680@um.example.com;transport=tcp',
      '→ 302 Moved Temporarily, following to sip:680@10.0.0.9:5065;transport=Tcp (q=0.5)',
      '… 180 Ringing (ringing)',
      '… 183 Session Progress (session progress)',
    ]);
  });

  it('says when the next target is tried after a failure', () => {
    expect(lines([
      { type: 'attempt', uri: 'sip:a@h1', depth: 1 },
      { type: 'attempt', uri: 'sip:a@h2', depth: 1 },
    ]).at(-1)).toBe('→ trying the next target sip:a@h2');
  });

  it('prints the answer with codec and elapsed time, digits, warnings and the end', () => {
    expect(lines([
      { type: 'answered', status: 200, codec: 'PCMA', remote: '10.0.0.9:30000' },
      { type: 'digit', digit: { digit: '5', method: 'rfc4733', startMs: 0, durationMs: 160.2 } },
      { type: 'warning', message: 'late RTP' },
      { type: 'ended', end: { kind: 'hangup', by: 'remote' } },
    ], 1234)).toEqual([
      '✓ answered: 200, codec PCMA, RTP to 10.0.0.9:30000 (after 1.23 s)',
      '◀ DTMF 5 received (rfc4733, 160 ms)',
      '! warning: late RTP',
      'call ended: remote (BYE)',
    ]);
  });
});
