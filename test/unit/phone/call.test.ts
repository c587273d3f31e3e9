/**
 * Call and IncomingCall end to end on the in-memory network with a ManualClock (phone-world.ts): the
 * states a call goes through, how each way of ending reads as a typed end reason on both sides, RTP
 * and DTMF both ways, the waits, and what fails before the media exists.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallFailedError, CallStateError, type CallEvent, type CallState } from '../../../src/phone/call-types.js';
import { callInternals } from '../../../src/phone/call-core.js';
import { Phone } from '../../../src/phone/phone.js';
import { Redirector } from '../../../src/um/redirector.js';
import { WaitTimeoutError } from '../../../src/phone/wait-types.js';
import { phoneWorld, promptAudio, CALLER, type PhoneWorld } from '../../support/phone-world.js';

let w: PhoneWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

function failureOf(p: Promise<unknown>): Promise<CallFailedError> {
  return p.then(() => { throw new Error('the call was answered'); }, (e: unknown) => e as CallFailedError);
}

describe('Call on the memory network', () => {
  it('goes calling → ringing → answered → ended; RTP flows both ways; our BYE ends both sides', async () => {
    w = phoneWorld({ listener: { autoAnswer: 1000 } });
    const call = w.caller.dial(w.calleeUri, { from: '111' });
    const states: CallState[] = [call.state];
    const events: string[] = [];
    call.onEvent((e) => {
      events.push(e.type);
      if (call.state !== states[states.length - 1]) states.push(call.state);
    });
    await w.settle(call.answered);
    await w.run(1000);
    const incoming = w.incoming[0]!;
    expect(incoming.from).toBe(`sip:111@${CALLER}`);
    const summary = await w.settle(call.hangup());
    const far = await w.settle(incoming.ended);
    expect(states).toEqual(['calling', 'ringing', 'answered', 'ended']);
    expect(events).toEqual(['attempt', 'provisional', 'answered', 'ended']);
    expect(summary.end).toEqual({ kind: 'hangup', by: 'local' });
    expect(summary.endedBy).toBe('local (BYE)');
    expect(summary.status).toBe(200);
    expect(summary.codec).toMatch(/^PCMU\/8000 \(PT 0\), telephone-event PT 101$/);
    // The auto-answer delay, plus the clock steps the INVITE and the 200 took to travel.
    expect(summary.answeredAtMs).toBeGreaterThanOrEqual(1000);
    expect(summary.answeredAtMs).toBeLessThan(1020);
    expect(summary.rtp!.received.packets).toBeGreaterThan(40);
    expect(summary.rtp!.sent.packets).toBeGreaterThan(40);
    expect(far.end).toEqual({ kind: 'hangup', by: 'remote' });
    expect(far.rtp!.received.packets).toBeGreaterThan(40);
  });

  it('the far end hangs up: the end is a remote BYE, and waitForEnd resolves', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    const call = await w.settle(w.caller.call(w.calleeUri));
    const end = call.waitForEnd({ timeout: 10_000 });
    void w.incoming[0]!.hangup();
    await w.settle(end);
    expect((await call.ended).end).toEqual({ kind: 'hangup', by: 'remote' });
    expect(call.state).toBe('ended');
  });

  it('a 486 rejects `answered` with CallFailedError: code CALL_FAILED, the end says who and what', async () => {
    w = phoneWorld();
    w.listener.onCall((c) => c.reject({ status: 486 }));
    const call = w.caller.dial(w.calleeUri);
    const err = await w.settle(failureOf(call.answered));
    expect(err).toBeInstanceOf(CallFailedError);
    expect(err.code).toBe('CALL_FAILED');
    expect(err.end).toEqual({ kind: 'rejected', by: 'remote', status: 486, reason: 'Busy Here' });
    expect(err.status).toBe(486);
    expect(err.message).toBe('486 Busy Here');
    expect(err.summary.endedBy).toBe('486 Busy Here');
    expect((await w.incoming[0]!.ended).end).toEqual({ kind: 'rejected', by: 'local', status: 486, reason: 'Busy Here' });
  });

  it('no codec in common: 488, the end is no-codec on both sides', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0, answerOptions: () => ({ codecs: ['PCMU'] }) } });
    const err = await w.settle(failureOf(w.caller.dial(w.calleeUri, { codecs: ['PCMA'] }).answered));
    expect(err.end).toMatchObject({ kind: 'no-codec', by: 'remote', status: 488 });
    expect(err.message).toMatch(/^488 Not Acceptable Here/);
  });

  it('hangup() while ringing sends CANCEL (ringing → ending → ended): cancelled by us here, by the caller there', async () => {
    w = phoneWorld();
    const call = w.caller.dial(w.calleeUri);
    await w.run(200);
    expect(call.state).toBe('ringing');
    const cancelling = call.hangup();
    // The CANCEL is on its way: the call waits for the INVITE to end with 487.
    expect(call.state).toBe('ending');
    const summary = await w.settle(cancelling);
    expect(summary.end).toEqual({ kind: 'cancelled', by: 'local' });
    const err = await failureOf(call.answered);
    expect(err.message).toBe('the call was cancelled before it was answered');
    expect((await w.settle(w.incoming[0]!.ended)).end).toEqual({ kind: 'cancelled', by: 'remote' });
    expect(w.net.summaries()).toContain('CANCEL');
  });

  it('nobody answers over UDP: Timer B ends it after 64·T1 = 32 s, not before', async () => {
    w = phoneWorld();
    const phone = new Phone(w.net.phoneTransports('192.0.2.7', 5060, 'udp'), { localIp: '192.0.2.7', transport: 'udp' });
    const call = phone.dial('sip:1@192.0.2.99:5060');
    await w.run(31_900);
    expect(call.state).toBe('calling');
    const err = await w.settle(failureOf(call.answered));
    expect(err.end).toEqual({ kind: 'timeout', timer: 'B', message: '408 Request Timeout (no response: Timer B)' });
    expect(w.clock.now()).toBeGreaterThanOrEqual(32_000);
    await w.settle(phone.close());
  });

  it('a refused TCP connection ends it as a transport error', async () => {
    w = phoneWorld();
    const err = await w.settle(failureOf(w.caller.dial('sip:1@192.0.2.99:5060;transport=tcp').answered));
    expect(err.end.kind).toBe('transport');
    expect(err.message).toMatch(/^503 Service Unavailable \(transport: Connection refused/);
  });

  it('follows a 302 to the worker; a 302 back to the same place is a redirect loop', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    const front = new Redirector({ clock: w.clock, address: '192.0.2.3', sip: w.net.createTransport('192.0.2.3', 5060, 'tcp'), next: { host: '192.0.2.2', port: 5060 }, role: 'UM service' });
    const call = await w.settle(w.caller.call('sip:680@192.0.2.3:5060;transport=tcp'));
    expect(call.summary().redirects.map((r) => r.status)).toEqual([302, 200]);
    expect(w.incoming[0]!.requestUri).toMatch(/^sip:680@192\.0\.2\.2:5060;transport=Tcp/);
    const loop = new Redirector({ clock: w.clock, address: '192.0.2.4', sip: w.net.createTransport('192.0.2.4', 5060, 'tcp'), next: { host: '192.0.2.4', port: 5060 }, role: 'UM service' });
    const err = await w.settle(failureOf(w.caller.dial('sip:680@192.0.2.4:5060;transport=tcp').answered));
    expect(err.end).toMatchObject({ kind: 'redirect', problem: 'loop', status: 302 });
    expect(err.message).toMatch(/^redirect loop/);
    await Promise.all([front.close(), loop.close()]);
  });

  it('no RTP for rtpTimeout while answered: BYE, and the end is media-timeout', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0, answerOptions: () => ({ rtpTimeout: 0 }) } });
    const call = await w.settle(w.caller.call(w.calleeUri, { rtpTimeout: 5_000 }));
    const warnings: string[] = [];
    call.onEvent((e) => { if (e.type === 'warning') warnings.push(e.message); });
    await w.run(1_000);
    w.net.setMediaLoss(() => true);
    const summary = await w.settle(call.ended, 20_000);
    expect(summary.end).toEqual({ kind: 'media-timeout', after: 5_000 });
    expect(summary.endedBy).toBe('media timeout (no RTP for 5 s)');
    expect(warnings).toEqual(['no RTP received for 5 s: hanging up']);
    expect((await w.settle(w.incoming[0]!.ended)).end).toEqual({ kind: 'hangup', by: 'remote' });
  });

  it('DTMF both ways by RFC 4733: digit events, and both summaries list them', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0 } });
    const call = await w.settle(w.caller.call(w.calleeUri));
    const incoming = w.incoming[0]!;
    const heard: string[] = [];
    const theyHeard: string[] = [];
    call.onEvent((e: CallEvent) => { if (e.type === 'digit') heard.push(e.digit.digit); });
    incoming.onEvent((e: CallEvent) => { if (e.type === 'digit') theyHeard.push(e.digit.digit); });
    await w.settle(call.sendDtmf('12#'));
    await w.settle(incoming.sendDtmf('9'));
    await w.run(500);
    expect(theyHeard).toEqual(['1', '2', '#']);
    expect(heard).toEqual(['9']);
    const summary = await w.settle(call.hangup());
    expect(summary.dtmf.sent.map((d) => `${d.digit} ${d.method}`)).toEqual(['1 rfc4733', '2 rfc4733', '# rfc4733']);
    expect(summary.dtmf.received.map((d) => d.digit)).toEqual(['9']);
  });

  it('waits on what the far end says: its prompt is speech, then silence; a wait that times out says what was heard', async () => {
    w = phoneWorld({ listener: { autoAnswer: 0, answerOptions: () => ({ play: promptAudio('enter-pin.wav') }) } });
    const call = await w.settle(w.caller.call(w.calleeUri));
    const speech = await w.settle(call.waitForSpeech({ timeout: 5_000 }));
    expect(speech.detail).toMatch(/^speech (after|going on)/);
    const silence = await w.settle(call.waitForSilence({ duration: 1_000, timeout: 15_000 }));
    expect(silence.detail).toMatch(/^silence after .* of speech$/);
    const tone = await w.settle(call.waitForTone({ frequencies: [1000], timeout: 2_000 }).catch((e: unknown) => e));
    expect(tone).toBeInstanceOf(WaitTimeoutError);
    expect((tone as WaitTimeoutError).code).toBe('WAIT_TIMEOUT');
    expect((tone as Error).message).toBe('timed out after 2 s waiting for a 1000 Hz tone: heard silence for 2.0 s');
  });

  it('before the media exists, DTMF and waits fail with CallStateError (CALL_STATE)', async () => {
    w = phoneWorld();
    const call = w.caller.dial(w.calleeUri);
    const dtmf = await call.sendDtmf('1').catch((e: unknown) => e);
    expect(dtmf).toBeInstanceOf(CallStateError);
    expect((dtmf as CallStateError).code).toBe('CALL_STATE');
    expect(await call.waitForSpeech().catch((e: unknown) => e)).toBeInstanceOf(CallStateError);
    await expect(call.record('x.wav', { until: 'silence' })).rejects.toBeInstanceOf(CallStateError);
    expect(() => call.startRecording('x.wav')).toThrow(CallStateError);
    await expect(call.play('audio/message.wav')).rejects.toBeInstanceOf(CallStateError);
    expect(callInternals(call).media).toBeUndefined();
  });

  it('waitForEnd needs no media: it follows a ringing call to its end', async () => {
    w = phoneWorld();
    w.listener.onCall((c) => void w!.clock.setTimeout(() => c.reject({ status: 603 }), 2_000));
    const call = w.caller.dial(w.calleeUri);
    const end = await w.settle(call.waitForEnd({ timeout: 10_000 }));
    expect(end.detail).toBe('call ended (603 Decline)');
    expect(call.summary().end).toEqual({ kind: 'rejected', by: 'remote', status: 603, reason: 'Decline' });
  });

  it('an RTP port that cannot be opened ends the call as an error: `answered` rejects, nothing is sent', async () => {
    w = phoneWorld();
    const transports = w.net.phoneTransports('192.0.2.8');
    transports.media = { ...transports.media, openSocketPair: () => Promise.reject(new Error('no free RTP port in 16384-16385')) };
    const phone = new Phone(transports, { localIp: '192.0.2.8' });
    const sent = w.net.log.length;
    const err = await w.settle(failureOf(phone.dial(w.calleeUri).answered));
    expect(err.end).toEqual({ kind: 'error', message: 'no free RTP port in 16384-16385' });
    expect(w.net.log.length).toBe(sent);
    await w.settle(phone.close());
  });
});
