/**
 * The script runner against a far end on the memory network (phone-world.ts), on a ManualClock: a
 * script that passes, one whose step fails (the rest skipped, the call hung up), a call that cannot be
 * set up (exit 3, unless the script expects the SIP status), and a `listen:` script taking a call.
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseScript } from '../../../src/script/parse.js';
import { runScript } from '../../../src/script/runner.js';
import { RunExit, type RunResult } from '../../../src/script/results.js';
import { phoneWorld, promptAudio, type PhoneWorld } from '../../support/phone-world.js';

const root = resolve(__dirname, '../../..');
const script = (text: string) => parseScript(text, resolve(root, 'test.yaml'));

let w: PhoneWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

/** Run a script on the caller phone, the clock running until it is done. */
function run(world: PhoneWorld, text: string): Promise<RunResult> {
  return world.settle(runScript(script(text), { phone: world.caller, clock: world.clock }), 120_000);
}

const CALL = 'call: { target: "sip:613@192.0.2.2:5060;transport=tcp", from: "111" }';

describe('runScript on the memory network', () => {
  it('passes a script that listens, expects the prompt, sends and expects DTMF, and hangs up', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0, answerOptions: () => ({ play: promptAudio('enter-pin.wav') }) } });
    w.listener.onCall((c) => {
      let keys = '';
      c.onEvent((e) => {
        if (e.type === 'digit' && (keys += e.digit.digit).endsWith('#')) void c.sendDtmf('9');
      });
    });
    const r = await run(w, `${CALL}
steps:
  - wait_for: speech
    timeout: 5s
  - expect: { prompt: audio/prompts/enter-pin.wav }
  - dtmf: "1234#"
  - expect: { dtmf: "9" }
  - hangup
`);
    const it0 = r.iterations[0]!;
    expect(it0.steps.map((s) => `${s.label}: ${s.status}`)).toEqual([
      'wait_for speech: passed',
      'expect prompt enter-pin.wav: passed',
      'dtmf 1234#: passed',
      'expect dtmf 9: passed',
      'hangup: passed',
    ]);
    expect(r.passed).toBe(true);
    expect(r.exitCode).toBe(RunExit.passed);
    expect(it0.call).toMatchObject({ status: 200, answered: true, end: { kind: 'hangup', by: 'local' }, endedBy: 'local (BYE)' });
    expect(it0.dtmf.sent.map((d) => d.digit).join('')).toBe('1234#');
    expect(it0.dtmf.received.map((d) => `${d.digit} ${d.method}`)).toEqual(['9 rfc4733']);
    expect(it0.speech.length).toBeGreaterThanOrEqual(1);
    expect(it0.steps[1]!.score).toBeGreaterThanOrEqual(0.5);
    expect(it0.timeline.map((l) => l.trim().split(/\s+/)[1])).toEqual(['▶', '✓', '✓', '✓', '✓', '✓', '■']);
  });

  it('expect: quality thresholds at a step and after hangup; a breach fails the step with the figure; the JSON carries the quality', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0, answerOptions: () => ({ play: promptAudio('enter-pin.wav'), loop: true }) } });
    let n = 0;
    w.net.setMediaLoss((d) => d.from.address === '192.0.2.2' && d.bytes.length > 100 && ++n % 20 === 0);
    const r = await run(w, `${CALL}
steps:
  - pause: 3s
  - expect: { one_way_audio: false, post_dial_delay: "< 2s", jitter: "< 30ms" }
  - hangup
  - expect: { loss: "< 1%", mos: ">= 4.0" }
`);
    const it0 = r.iterations[0]!;
    expect(it0.steps[1]).toMatchObject({ status: 'passed', detail: expect.stringMatching(/^one_way_audio is false, post_dial_delay [\d.]+ms < 2s, jitter [\d.]+ms < 30ms$/) });
    expect(it0.steps[3]).toMatchObject({ status: 'failed', error: expect.stringMatching(/^loss [45](\.\d+)?% is not < 1%; mos [\d.]+ is not >= 4\.0$/) });
    expect(r.exitCode).toBe(RunExit.stepFailed);
    expect(it0.call.quality!.received.lossPercent).toBeCloseTo(5, 0);
    expect(it0.call.quality!.perSecond.length).toBeGreaterThanOrEqual(3);
  });

  it('a failing step fails the iteration (exit 1): the rest is skipped and the call hung up', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    const r = await run(w, `${CALL}
steps:
  - wait_for: speech
    timeout: 2s
  - dtmf: "1"
`);
    const it0 = r.iterations[0]!;
    expect(r.exitCode).toBe(RunExit.stepFailed);
    expect(it0.setupFailed).toBe(false);
    expect(it0.steps[0]).toMatchObject({ status: 'failed', errorType: 'WaitTimeoutError', error: 'timed out after 2 s waiting for speech: heard silence for 2.0 s' });
    expect(it0.steps[1]).toMatchObject({ status: 'skipped', detail: 'skipped: an earlier step failed' });
    expect(it0.call.end).toEqual({ kind: 'hangup', by: 'local' });
    expect((await w.incoming[0]!.ended).end).toEqual({ kind: 'hangup', by: 'remote' });
  });

  it('a call that cannot be set up is a setup failure (exit 3) with its end, unless the script expects that status', async () => {
    w = phoneWorld();
    w.listener.onCall((c) => c.reject({ status: 486 }));
    const failed = await run(w, `${CALL}
steps:
  - dtmf: "1"
`);
    const it0 = failed.iterations[0]!;
    expect(failed.exitCode).toBe(RunExit.setupFailed);
    expect(it0.setupFailed).toBe(true);
    expect(it0.call).toMatchObject({ status: 486, failureKind: 'rejected', setupError: '486 Busy Here', end: { kind: 'rejected', by: 'remote', status: 486 } });
    const expected = await run(w, `${CALL}
steps:
  - expect: { sip: 486 }
`);
    expect(expected.exitCode).toBe(RunExit.passed);
    expect(expected.iterations[0]!.steps[0]).toMatchObject({ status: 'passed', detail: '486 Busy Here' });
  });

  it('a listen: script takes the call, answers it and checks what the caller sends', async () => {
    w = phoneWorld();
    // The script runs on the callee phone, taking the calls of its listener.
    const callee = runScript(script(`listen: { timeout: 10s }
steps:
  - expect: { dtmf: "42" }
  - wait_for: hangup
`), { phone: w.callee, clock: w.clock, nextCall: (timeoutMs) => w!.listener.nextCall({ timeout: timeoutMs }) });
    const call = w.caller.dial(w.calleeUri, { from: '555' });
    await w.settle(call.answered);
    await w.settle(call.sendDtmf('42'));
    await w.run(500);
    await w.settle(call.hangup());
    const r = await w.settle(callee);
    const it0 = r.iterations[0]!;
    expect(r.exitCode).toBe(RunExit.passed);
    expect(it0.call).toMatchObject({ direction: 'incoming', target: 'sip:613@192.0.2.2:5060;transport=tcp', answered: true, end: { kind: 'hangup', by: 'remote' } });
    expect(it0.timeline.some((l) => l.includes(`incoming call from sip:555@192.0.2.1 to sip:613@192.0.2.2:5060;transport=tcp`))).toBe(true);
  });
});
