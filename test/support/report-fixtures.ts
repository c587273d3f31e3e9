/** Call summaries and runs for the report's tests: a 302 call, hostile SIP text, no answer, a failed step. */
import type { SipRecord } from '../../src/phone/call-evidence.js';
import type { CallSummaryWithEvidence } from '../../src/report/model.js';
import type { IterationWithEvidence } from '../../src/report/model.js';
import type { RunResult } from '../../src/script/results.js';
import type { CallQuality } from '../../src/phone/call-quality.js';
import type { SecondRow } from '../../src/rtp/quality/stream-quality.js';

const US = '10.0.0.20:5070';
const FRONT = '10.0.0.5:5060';
const WORKER = '10.0.0.5:5065';

export function sip(atMs: number, direction: 'in' | 'out', remote: string, text: string, local = US): SipRecord {
  return { atMs, wallMs: 1_700_000_000_000 + atMs, direction, transport: 'TCP', local, remote, text, bytes: Buffer.byteLength(text) };
}

const msg = (start: string, cseq: string, extra = ''): string => `${start}\r\nCall-ID: abc@10.0.0.20\r\nCSeq: ${cseq}\r\n${extra}Content-Length: 0\r\n\r\n`;

/** INVITE → 302 → ACK → INVITE → 200 → ACK → BYE → 200, the second leg to the worker. */
export function redirectedCall(): CallSummaryWithEvidence {
  return {
    target: 'sip:680@10.0.0.5;transport=tcp', callId: 'abc@10.0.0.20', state: 'ended', status: 200, reason: 'OK',
    redirects: [{ uri: 'sip:680@10.0.0.5;transport=tcp', depth: 0, status: 302, reason: 'Moved Temporarily' }, { uri: 'sip:680@10.0.0.5:5065;transport=tcp', depth: 1, status: 200, reason: 'OK' }],
    answeredAtMs: 180, durationMs: 4000, endedBy: 'local (BYE)', codec: 'PCMU/8000', remoteRtp: '10.0.0.5:30000',
    rtp: { sent: { packets: 200, bytes: 34400 }, received: { packets: 199, lost: 1, lossPercent: 0.5, jitterMs: 1.25, duplicates: 0, outOfOrder: 0 } },
    dtmf: { sent: [{ digit: '1', method: 'rfc4733', startMs: 1000, durationMs: 100 }], received: [] },
    recordings: [],
    evidence: {
      startedAtWallMs: 1_700_000_000_000,
      sip: [
        sip(10, 'out', FRONT, msg('INVITE sip:680@10.0.0.5;transport=tcp SIP/2.0', '1 INVITE', 'Content-Type: application/sdp\r\n')),
        sip(40, 'in', FRONT, msg('SIP/2.0 302 Moved Temporarily', '1 INVITE', 'Contact: <sip:680@10.0.0.5:5065;transport=Tcp>\r\n')),
        sip(41, 'out', FRONT, msg('ACK sip:680@10.0.0.5;transport=tcp SIP/2.0', '1 ACK')),
        sip(42, 'out', WORKER, msg('INVITE sip:680@10.0.0.5:5065;transport=tcp SIP/2.0', '2 INVITE')),
        sip(180, 'in', WORKER, msg('SIP/2.0 200 OK', '2 INVITE', 'Content-Type: application/sdp\r\n')),
        sip(181, 'out', WORKER, msg('ACK sip:10.0.0.5:5065 SIP/2.0', '2 ACK')),
        sip(4180, 'out', WORKER, msg('BYE sip:10.0.0.5:5065 SIP/2.0', '3 BYE')),
        sip(4190, 'in', WORKER, msg('SIP/2.0 200 OK', '3 BYE')),
      ],
      events: [
        { atMs: 5, kind: 'attempt', text: 'INVITE sip:680@10.0.0.5;transport=tcp' },
        { atMs: 180, kind: 'answered', text: 'answered 200, PCMU' },
        { atMs: 400, endMs: 2400, kind: 'speech', text: 'speech' },
        { atMs: 1180, kind: 'dtmf-sent', text: 'DTMF 1 sent (rfc4733)', digit: '1', method: 'rfc4733' },
        { atMs: 4180, kind: 'ended', text: 'ended' },
      ],
      droppedSip: 0,
      droppedEvents: 0,
    },
  };
}

/** What a hostile far end can put in SIP text: markup, a script end tag, quotes that close attributes. */
export const HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">';

export function hostileCall(): CallSummaryWithEvidence {
  const c = redirectedCall();
  const peer = `10.0.0.5:5060"><img src=x onerror=alert(1)>`;
  c.reason = `Busy ${HOSTILE}`;
  c.target = `sip:680@10.0.0.5;x=${HOSTILE}`;
  c.endedBy = `remote ${HOSTILE}`;
  c.redirects = [{ uri: `sip:${HOSTILE}@10.0.0.5`, depth: 0, status: 302, reason: HOSTILE }];
  c.evidence!.sip = [
    sip(10, 'out', peer, `INVITE sip:680@10.0.0.5 SIP/2.0\r\nSubject: ${HOSTILE}</pre></div></script>\r\nCSeq: 1 INVITE\r\n\r\n`),
    sip(20, 'in', peer, `SIP/2.0 486 ${HOSTILE}\r\nCSeq: 1 INVITE\r\n\r\n`),
  ];
  c.evidence!.events = [{ atMs: 20, kind: 'warning', text: HOSTILE }];
  return c;
}

/** INVITE → 100 → 486 → ACK: never answered, no media, no recording. */
export function unansweredCall(): CallSummaryWithEvidence {
  return {
    target: 'sip:200@pbx.example.com', callId: 'busy@1', state: 'ended', status: 486, reason: 'Busy Here', redirects: [{ uri: 'sip:200@pbx.example.com', depth: 0, status: 486, reason: 'Busy Here' }],
    durationMs: 0, end: { kind: 'rejected', by: 'remote', status: 486, reason: 'Busy Here' } as never, endedBy: '486 Busy Here',
    dtmf: { sent: [], received: [] }, recordings: [],
    evidence: {
      startedAtWallMs: 1_700_000_000_000,
      sip: [
        sip(5, 'out', '192.0.2.1:5060', msg('INVITE sip:200@pbx.example.com SIP/2.0', '1 INVITE'), '192.0.2.9:5060'),
        sip(15, 'in', '192.0.2.1:5060', msg('SIP/2.0 100 Trying', '1 INVITE'), '192.0.2.9:5060'),
        sip(25, 'in', '192.0.2.1:5060', msg('SIP/2.0 486 Busy Here', '1 INVITE'), '192.0.2.9:5060'),
        sip(26, 'out', '192.0.2.1:5060', msg('ACK sip:200@pbx.example.com SIP/2.0', '1 ACK'), '192.0.2.9:5060'),
      ],
      events: [{ atMs: 25, kind: 'ended', text: 'ended' }],
      droppedSip: 0,
      droppedEvents: 0,
    },
  };
}

/** A run of one call whose third step (a prompt) failed, the fourth skipped. */
export function failedRun(): RunResult & { iterations: IterationWithEvidence[] } {
  const call = redirectedCall();
  return {
    script: 'greeting.yaml', name: 'greeting', startedAt: new Date(1_700_000_000_000).toISOString(), durationMs: 5000, passed: false, exitCode: 1,
    iterations: [{
      index: 1, name: 'greeting', vars: {}, startedAt: new Date(1_700_000_000_000).toISOString(), durationMs: 5000, passed: false, setupFailed: false,
      call: { direction: 'outgoing', target: call.target, callId: call.callId, answered: true, status: 200, reason: 'OK', redirects: call.redirects, durationMs: 4000, endedBy: 'local (BYE)' },
      steps: [
        { index: 1, line: 9, label: 'expect sip 302 → 200', kind: 'expect_sip', status: 'passed', startMs: 180, durationMs: 0, detail: '302 → 200' },
        { index: 2, line: 10, label: 'wait_for speech', kind: 'wait_speech', status: 'passed', startMs: 180, durationMs: 220, detail: 'speech after 0.22 s' },
        { index: 3, line: 12, label: 'expect prompt enter-pin.wav', kind: 'expect_prompt', status: 'failed', startMs: 400, durationMs: 2000, error: 'heard another prompt (score 0.21 < 0.5)', score: 0.21, threshold: 0.5 },
        { index: 4, line: 14, label: 'hangup', kind: 'hangup', status: 'skipped', startMs: 2400, durationMs: 0, detail: 'skipped: an earlier step failed' },
      ],
      dtmf: { sent: [], received: [{ digit: '5', method: 'inband', atMs: 3000, durationMs: 80 }] },
      speech: [{ startMs: 400, endMs: 2400 }], tones: [], recordings: [], timeline: [],
      evidence: call.evidence!,
    }],
  };
}

/** A call's quality block (CallSummary.quality): four seconds, the third with 2 % loss. */
export function quality(): CallQuality {
  const row = (i: number): SecondRow => ({
    second: i, startMs: 180 + i * 1000, packets: 50, expected: 50, lost: i === 2 ? 1 : 0, late: 0, lossPercent: i === 2 ? 2 : 0,
    jitterMs: 1 + i / 10, maxJitterMs: 2 + i / 10, rttMs: undefined, r: i === 2 ? 80 : 93, mos: i === 2 ? 3.9 : 4.4,
  });
  return {
    mos: 4.38, r: 92.6, codec: { name: 'PCMU', Ie: 0, Bpl: 4.3, plc: false },
    received: {
      packets: 199, expected: 200, lost: 1, late: 0, duplicates: 0, outOfOrder: 0, lossPercent: 0.5, jitterMs: 1.25, maxJitterMs: 3.5,
      rttMs: undefined, maxRttMs: undefined, oneWayDelayMs: 90, r: 92.6, mos: 4.38, peer: undefined,
      lossRuns: { packets: 200, lost: 1, p: 0.005, q: 1, burstR: 1, lossRuns: 1, meanLossRun: 1, maxLossRun: 1, lossRunHistogram: [0, 1], burstDensity: 0, gapDensity: 0.005, meanBurstPackets: 0, meanGapPackets: 200 },
    },
    perSecond: [0, 1, 2, 3].map(row),
    postDialDelay: { toRingingMs: undefined, toAnswerMs: 180, toFinalMs: 180, finalStatus: 200, invites: 2, redirects: 1 },
    oneWayAudio: { oneWay: false, deadSide: undefined, deadFromMs: undefined, deadForMs: 0, seconds: { sent: [], received: ['heard', 'heard', 'heard', 'heard'] } },
  };
}
