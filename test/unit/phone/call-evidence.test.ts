/** The call's evidence: only its own SIP messages, on the evidence's time base, bounded; events in order. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { CallEvidence, MAX_SIP, MAX_TEXT } from '../../../src/phone/call-evidence.js';
import type { TraceEvent } from '../../../src/sip/transport/transport.js';

function trace(clock: ManualClock, callId: string, start: string, direction: 'in' | 'out' = 'out', body = ''): TraceEvent {
  return {
    direction, timestamp: clock.wallNow(), protocol: 'tcp',
    local: { address: '10.0.0.20', port: 5070 }, remote: { address: '10.0.0.5', port: 5060 },
    bytes: Buffer.from(`${start}\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContent-Length: ${body.length}\r\n\r\n${body}`),
  };
}

describe('CallEvidence', () => {
  it('keeps the call\'s messages (not another call\'s, not keep-alives) with time, direction, addresses and text', () => {
    const clock = new ManualClock();
    const ev = new CallEvidence(clock, () => 'a@1');
    clock.advance(25);
    ev.sip(trace(clock, 'a@1', 'INVITE sip:680@10.0.0.5 SIP/2.0'));
    ev.sip(trace(clock, 'other@1', 'INVITE sip:681@10.0.0.5 SIP/2.0'));
    ev.sip({ ...trace(clock, 'a@1', ''), bytes: Buffer.from('\r\n\r\n') });
    clock.advance(10);
    ev.sip(trace(clock, 'a@1', 'SIP/2.0 302 Moved Temporarily', 'in'));
    const data = ev.toJSON();
    expect(data.sip.map((m) => [m.atMs, m.direction, m.local, m.remote, m.text.split('\r\n')[0]])).toEqual([
      [25, 'out', '10.0.0.20:5070', '10.0.0.5:5060', 'INVITE sip:680@10.0.0.5 SIP/2.0'],
      [35, 'in', '10.0.0.20:5070', '10.0.0.5:5060', 'SIP/2.0 302 Moved Temporarily'],
    ]);
    expect(data.sip[0]!.transport).toBe('TCP');
  });

  it('keeps nothing before the Call-ID is known', () => {
    const clock = new ManualClock();
    const ev = new CallEvidence(clock, () => '');
    ev.sip(trace(clock, 'a@1', 'INVITE sip:680@10.0.0.5 SIP/2.0'));
    expect(ev.toJSON().sip).toEqual([]);
  });

  it('is bounded: messages beyond MAX_SIP are counted, not kept; a huge one is cut', () => {
    const clock = new ManualClock();
    const ev = new CallEvidence(clock, () => 'a@1');
    ev.sip(trace(clock, 'a@1', 'MESSAGE sip:x SIP/2.0', 'out', 'x'.repeat(MAX_TEXT + 100)));
    for (let i = 0; i < MAX_SIP + 5; i++) ev.sip(trace(clock, 'a@1', 'OPTIONS sip:x SIP/2.0'));
    const data = ev.toJSON();
    expect(data.sip).toHaveLength(MAX_SIP);
    expect(data.droppedSip).toBe(6);
    expect(data.sip[0]!.text).toHaveLength(MAX_TEXT);
    expect(data.sip[0]!.truncated).toBe(true);
  });

  it('turns call events and DTMF into timeline entries in time order, with the method', () => {
    const clock = new ManualClock();
    const ev = new CallEvidence(clock, () => 'a@1');
    clock.advance(5);
    ev.callEvent({ type: 'attempt', uri: 'sip:680@10.0.0.5', depth: 0 });
    clock.advance(100);
    ev.callEvent({ type: 'redirect', status: 302, reason: 'Moved Temporarily', targets: ['sip:680@10.0.0.5:5065'] });
    clock.advance(100);
    ev.dtmf('sent', { digit: '#', method: 'rfc4733', startMs: 0, durationMs: 100 });
    ev.heard(150, [{ startMs: 10, endMs: 30 }], [{ frequency: 1000, startMs: 40, endMs: undefined }]);
    const events = ev.toJSON().events;
    expect(events.map((e) => [e.atMs, e.kind, e.text])).toEqual([
      [5, 'attempt', 'INVITE sip:680@10.0.0.5'],
      [105, 'redirect', '302 Moved Temporarily → sip:680@10.0.0.5:5065'],
      [160, 'speech', 'speech'],
      [190, 'tone', '1000 Hz tone'],
      [205, 'dtmf-sent', 'DTMF # sent (rfc4733)'],
    ]);
    expect(events[3]!.endMs).toBe(205);
    expect(events[4]!.method).toBe('rfc4733');
  });
});
