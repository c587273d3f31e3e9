/**
 * The listener (gateway mode) and IncomingCall over the memory network on a ManualClock: OPTIONS,
 * the allow list (403), --max-calls (486), 488 with Warning, CANCEL (487), auto-answer delay (and the
 * options asked at that moment), hold by
 * re-INVITE, INFO DTMF, REFER (202 + NOTIFY sipfrag; Refer-Sub: false echoed, no NOTIFY; 403 outside a
 * dialog), message-summary NOTIFY, nextCall timeout.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/util/clock.js';
import { createRequest, nameAddr, parseUri, randomBranch, randomTag, type SipResponse } from '../../../src/sip/message/index.js';
import { SipEndpoint } from '../../../src/sip/transaction/endpoint.js';
import { OutgoingInvite, type InviteOutcome } from '../../../src/sip/dialog/outgoing-invite.js';
import type { InviteSession } from '../../../src/sip/dialog/invite-session.js';
import { UserAgent } from '../../../src/sip/dialog/user-agent.js';
import { createOffer, parseSdp } from '../../../src/sdp/index.js';
import { Listener, ListenerTimeoutError, OUT_OF_DIALOG_REFER, type ListenerEvent } from '../../../src/phone/listener.js';
import { AddressFilter } from '../../../src/phone/address-filter.js';
import type { AnswerOptions, IncomingCall } from '../../../src/phone/incoming-call.js';
import { NullAudioOutput } from '../../../src/media/device/null.js';
import { callInternals } from '../../../src/phone/call-core.js';
import type { CallEvent } from '../../../src/phone/call-types.js';
import { Phone } from '../../../src/phone/phone.js';
import { MemoryNetwork } from '../../support/memory-network.js';

function world(opts: { allow?: string; maxCalls?: number; autoAnswer?: number; callerAddress?: string; atAnswer?: (call: IncomingCall) => AnswerOptions } = {}) {
  const clock = new ManualClock();
  const net = new MemoryNetwork(clock);
  const validation = { supported: ['timer', 'norefersub'], acceptTypes: ['application/sdp', 'message/sipfrag', 'application/simple-message-summary', 'application/dtmf-relay'] };
  const mk = (address: string) =>
    new UserAgent({ endpoint: new SipEndpoint({ clock, transports: [net.createTransport(address, 5060, 'tcp')], validation }), clock, advertisedAddress: address });
  const caller = mk(opts.callerAddress ?? '192.0.2.1');
  const phone = new Phone(net.phoneTransports('192.0.2.2'), { localIp: '192.0.2.2' });
  const listener = new Listener(phone, {
    ...(opts.allow ? { allow: AddressFilter.parse(opts.allow) } : {}),
    ...(opts.maxCalls !== undefined ? { maxCalls: opts.maxCalls } : {}),
    ...(opts.autoAnswer !== undefined ? { autoAnswer: opts.autoAnswer } : {}),
    ...(opts.atAnswer ? { atAnswer: opts.atAnswer } : {}),
    answerOptions: () => ({ rtpTimeout: 0 }),
  });
  const events: ListenerEvent[] = [];
  listener.onEvent((e) => events.push(e));
  const flush = async (ms = 0) => {
    for (let i = 0; i < 30; i++) {
      await Promise.resolve();
      clock.advance(i === 0 ? ms : 0);
    }
  };
  const target = { protocol: 'tcp' as const, address: '192.0.2.2', port: 5060 };
  const dial = (codecs: string = 'PCMU') => {
    let outcome: InviteOutcome | undefined;
    const offer = codecs === 'PCMU'
      ? createOffer({ address: '192.0.2.1', port: 4000, codecs: ['PCMU'] })
      : 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n';
    const provisional: number[] = [];
    const inv = new OutgoingInvite({
      ua: caller, target: parseUri('sip:613@192.0.2.2:5060;transport=tcp'), protocol: 'tcp',
      from: nameAddr('sip:exchange@192.0.2.1'), to: nameAddr('sip:613@192.0.2.2'),
      offer: { body: Buffer.from(offer), contentType: 'application/sdp' },
      onProvisional: (r) => provisional.push(r.status),
    });
    void inv.start().then((o) => { outcome = o; });
    return { inv, provisional, get outcome() { return outcome; }, get session() { return (outcome as { session: InviteSession }).session; } };
  };
  const send = async (method: string, uri: string, headers: Array<[string, string]> = [], body?: { body: string; type: string }) => {
    let res: SipResponse | undefined;
    const req = createRequest({
      method, uri,
      headers: [['Via', `SIP/2.0/TCP 192.0.2.1:5060;branch=${randomBranch()}`], ['From', `<sip:exchange@192.0.2.1>;tag=${randomTag()}`], ['To', `<${uri}>`],
        ['Call-ID', `${randomTag()}@192.0.2.1`], ['CSeq', `1 ${method}`], ['Max-Forwards', '70'], ...headers],
      ...(body ? { body: Buffer.from(body.body), contentType: body.type } : {}),
    });
    void caller.request(req, target).then((o) => { if (o.kind === 'response') res = o.response; });
    await flush();
    return () => res;
  };
  return { clock, net, caller, listener, events, flush, dial, send };
}

const calls = (events: ListenerEvent[]): IncomingCall[] => events.flatMap((e) => (e.type === 'call' ? [e.call] : []));

describe('Listener', () => {
  it('answers Exchange\'s gateway ping (OPTIONS sip:<ip>:5060;transport=TCP, no user part) with 200 and capabilities', async () => {
    const w = world();
    const res = await w.send('OPTIONS', 'sip:192.0.2.2:5060;transport=TCP');
    expect(res()?.status).toBe(200);
    expect(res()?.headers.get('Allow')).toContain('INVITE');
    expect(res()?.headers.get('Allow')).toContain('REFER');
    expect(res()?.headers.get('Accept')).toContain('application/sdp');
    expect(res()?.headers.get('Supported')).toContain('timer');
    expect(w.events).toContainEqual({ type: 'options', source: 'TCP 192.0.2.1:5060', uri: 'sip:192.0.2.2:5060;transport=TCP' });
  });

  it('refuses requests from outside the allow list with 403 and reports them', async () => {
    const w = world({ allow: '10.0.0.5,10.0.0.0/24' });
    const res = await w.send('OPTIONS', 'sip:192.0.2.2:5060;transport=TCP');
    expect(res()?.status).toBe(403);
    const d = w.dial();
    await w.flush();
    expect(d.outcome?.kind).toBe('failed');
    expect((d.outcome as { status: number }).status).toBe(403);
    expect(w.events.filter((e) => e.type === 'refused').map((e) => (e as { method: string }).method)).toEqual(['OPTIONS', 'INVITE']);
    expect(calls(w.events)).toHaveLength(0);
  });

  it('lets an allowed source in', async () => {
    const w = world({ allow: '192.0.2.0/24', autoAnswer: 0 });
    const d = w.dial();
    await w.flush();
    expect(d.outcome?.kind).toBe('answered');
  });

  it('auto-answers after the delay: 180 at once, 200 after 2 s; the SDP answer has our port and the offer\'s codec', async () => {
    const w = world({ autoAnswer: 2000 });
    const d = w.dial();
    await w.flush();
    expect(d.provisional).toEqual([180]);
    expect(d.outcome).toBeUndefined();
    await w.flush(1999);
    expect(d.outcome).toBeUndefined();
    await w.flush(1);
    expect(d.outcome?.kind).toBe('answered');
    const answer = parseSdp((d.outcome as { response: SipResponse }).response.body);
    expect(answer.media[0]!.port).toBe(40000);
    expect(answer.media[0]!.formats).toEqual(['0', '101']);
    const call = calls(w.events)[0]!;
    expect(call.state).toBe('answered');
    expect(call.from).toBe('sip:exchange@192.0.2.1');
    expect(call.requestUri).toBe('sip:613@192.0.2.2:5060;transport=tcp');
    expect(callInternals(call).media?.negotiatedAudio.remoteRtp).toEqual({ address: '192.0.2.1', port: 4000 });
    void d.session.bye();
    await w.flush();
    const summary = await call.ended;
    expect(summary.endedBy).toBe('remote (BYE)');
    expect(summary.status).toBe(200);
    expect(summary.codec).toMatch(/^PCMU\/8000 \(PT 0\)/);
  });

  it('asks atAnswer for more options when it answers (not when the call arrives): the call plays to the output it gives', async () => {
    const output = new NullAudioOutput();
    const asked: IncomingCall[] = [];
    const w = world({ autoAnswer: 2000, atAnswer: (call) => { asked.push(call); return { output }; } });
    const d = w.dial();
    await w.flush(1999);
    expect(asked).toEqual([]);
    await w.flush(1);
    expect(d.outcome?.kind).toBe('answered');
    expect(asked).toEqual(calls(w.events));
    await w.flush(200);
    expect(output.stats().framesWritten).toBeGreaterThan(0);
    void d.session.bye();
    await w.flush();
  });

  it('answers 486 Busy Here beyond --max-calls', async () => {
    const w = world({ maxCalls: 1, autoAnswer: 0 });
    const first = w.dial();
    await w.flush();
    expect(first.outcome?.kind).toBe('answered');
    const second = w.dial();
    await w.flush();
    expect((second.outcome as { status: number }).status).toBe(486);
    // Once the first call ends, a new one gets in.
    void first.session.bye();
    await w.flush();
    const third = w.dial();
    await w.flush();
    expect(third.outcome?.kind).toBe('answered');
  });

  it('answers 488 with a Warning when no codec fits, before ringing', async () => {
    const w = world({ autoAnswer: 0 });
    const d = w.dial('G729');
    await w.flush();
    expect(d.provisional).toEqual([]);
    expect((d.outcome as { status: number }).status).toBe(488);
    const res = (d.outcome as { response: SipResponse }).response;
    expect(res.headers.get('Warning')).toMatch(/^305 192\.0\.2\.2 "Incompatible media format: .*G729/);
  });

  it('a CANCEL while ringing gets 200, the INVITE 487, and the call ends as cancelled', async () => {
    const w = world();
    const d = w.dial();
    await w.flush();
    const call = await w.listener.nextCall();
    d.inv.cancel();
    await w.flush();
    expect(d.outcome?.kind).toBe('cancelled');
    const s = await call.ended;
    expect(s.endedBy).toBe('remote (CANCEL)');
    expect(s.status).toBe(487);
    await expect(call.answered).rejects.toMatchObject({ end: { kind: 'cancelled', by: 'remote' }, status: 487 });
    expect(w.net.summaries()).toEqual(['INVITE', '180', 'CANCEL', '200', '487', 'ACK']);
  });

  it('nextCall waits for the next call and times out on the clock', async () => {
    const w = world();
    const waiting = w.listener.nextCall({ timeout: 5000 });
    const none = w.listener.nextCall({ timeout: 1000 });
    await w.flush(1000);
    await expect(none).rejects.toBeInstanceOf(ListenerTimeoutError);
    w.dial();
    await w.flush();
    const call = await waiting;
    expect(call.state).toBe('ringing');
    await call.answer();
    expect(call.state).toBe('answered');
  });

  it('answers a hold re-INVITE with recvonly and reports hold and resume', async () => {
    const w = world({ autoAnswer: 0 });
    const d = w.dial();
    await w.flush();
    const call = calls(w.events)[0]!;
    const ev: CallEvent[] = [];
    call.onEvent((e) => ev.push(e));
    const hold = createOffer({ address: '192.0.2.1', port: 4000, codecs: ['PCMU'], direction: 'sendonly' });
    let res: SipResponse | undefined;
    void d.session.send('INVITE', { body: Buffer.from(hold), contentType: 'application/sdp' }).then((o) => { if (o.kind === 'response') res = o.response; });
    await w.flush();
    expect(res?.status).toBe(200);
    expect(res!.body.toString()).toContain('a=recvonly');
    expect(ev).toContainEqual({ type: 'hold', onHold: true });
    const resume = createOffer({ address: '192.0.2.1', port: 4000, codecs: ['PCMU'] });
    void d.session.send('UPDATE', { body: Buffer.from(resume), contentType: 'application/sdp' }).then((o) => { if (o.kind === 'response') res = o.response; });
    await w.flush();
    expect(res!.body.toString()).toContain('a=sendrecv');
    expect(ev).toContainEqual({ type: 'hold', onHold: false });
  });

  it('feeds INFO DTMF (application/dtmf-relay) to the media session', async () => {
    const w = world({ autoAnswer: 0 });
    const d = w.dial();
    await w.flush();
    const call = calls(w.events)[0]!;
    const digits: string[] = [];
    call.onEvent((e) => { if (e.type === 'digit') digits.push(e.digit.digit); });
    let status: number | undefined;
    void d.session.send('INFO', { body: Buffer.from('Signal=5\r\nDuration=160\r\n'), contentType: 'application/dtmf-relay' })
      .then((o) => { if (o.kind === 'response') status = o.response.status; });
    await w.flush();
    expect(status).toBe(200);
    expect(digits).toEqual(['5']);
    expect(call.summary().dtmf.received.map((x) => x.digit)).toEqual(['5']);
  });

  it('accepts REFER with 202, sends NOTIFY 100 Trying then the final status, and reports the target', async () => {
    const w = world({ autoAnswer: 0 });
    const d = w.dial();
    await w.flush();
    const call = calls(w.events)[0]!;
    const notifies: Array<{ event: string; state: string; type: string; body: string }> = [];
    d.session.handlers.onNotify = (req) => {
      notifies.push({ event: req.headers.get('Event')!, state: req.headers.get('Subscription-State')!, type: req.headers.get('Content-Type')!, body: req.body.toString() });
      return 200;
    };
    const targets: string[] = [];
    call.onEvent((e) => {
      if (e.type === 'transfer') {
        targets.push(e.transfer.target);
        e.transfer.claim();
        void e.transfer.notify(180, 'Ringing').then(() => e.transfer.notify(200, 'OK'));
      }
    });
    let status: number | undefined;
    void d.session.send('REFER', undefined, [['Refer-To', '<sip:op@127.0.0.1:5099;transport=tcp>'], ['Referred-By', '<sip:aa@192.0.2.1>']])
      .then((o) => { if (o.kind === 'response') status = o.response.status; });
    await w.flush();
    await w.flush();
    expect(status).toBe(202);
    expect(targets).toEqual(['sip:op@127.0.0.1:5099;transport=tcp']);
    expect(notifies.map((n) => n.body)).toEqual(['SIP/2.0 100 Trying\r\n', 'SIP/2.0 180 Ringing\r\n', 'SIP/2.0 200 OK\r\n']);
    expect(notifies[0]!.event).toMatch(/^refer;id=\d+$/);
    expect(notifies[0]!.type).toBe('message/sipfrag;version=2.0');
    expect(notifies.map((n) => n.state)).toEqual(['active;expires=60', 'active;expires=60', 'terminated;reason=noresource']);
  });

  it('declines a REFER nobody takes with a final NOTIFY 603, and refuses one without Refer-To with 400', async () => {
    const w = world({ autoAnswer: 0 });
    const d = w.dial();
    await w.flush();
    const bodies: string[] = [];
    d.session.handlers.onNotify = (req) => { bodies.push(req.body.toString()); return 200; };
    let status: number | undefined;
    void d.session.send('REFER', undefined, [['Refer-To', 'sip:op@127.0.0.1']]).then((o) => { if (o.kind === 'response') status = o.response.status; });
    await w.flush();
    await w.flush();
    expect(status).toBe(202);
    expect(bodies).toEqual(['SIP/2.0 100 Trying\r\n', 'SIP/2.0 603 Declined\r\n']);
    void d.session.send('REFER').then((o) => { if (o.kind === 'response') status = o.response.status; });
    await w.flush();
    expect(status).toBe(400);
  });

  it.each(['false', 'FALSE;x=1'])('answers a REFER with Refer-Sub: %s by 202 + Refer-Sub: false and sends no NOTIFY (RFC 4488)', async (value) => {
    const w = world({ autoAnswer: 0 });
    const d = w.dial();
    await w.flush();
    const call = calls(w.events)[0]!;
    const notifies: string[] = [];
    d.session.handlers.onNotify = (req) => { notifies.push(req.body.toString()); return 200; };
    const targets: string[] = [];
    call.onEvent((e) => {
      if (e.type !== 'transfer') return;
      targets.push(e.transfer.target);
      e.transfer.claim();
      void e.transfer.notify(200, 'OK');
    });
    let res: SipResponse | undefined;
    void d.session.send('REFER', undefined, [['Refer-To', '<sip:op@127.0.0.1>'], ['Refer-Sub', value]])
      .then((o) => { if (o.kind === 'response') res = o.response; });
    await w.flush();
    await w.flush();
    expect(res?.status).toBe(202);
    expect(res?.headers.get('Refer-Sub')).toBe('false');
    expect(targets).toEqual(['sip:op@127.0.0.1']);
    expect(notifies).toEqual([]);
    expect(w.net.summaries().filter((m) => m === 'NOTIFY')).toEqual([]);
  });

  it('a REFER with Refer-Sub: true gets a plain 202 and the NOTIFYs', async () => {
    const w = world({ autoAnswer: 0 });
    const d = w.dial();
    await w.flush();
    const notifies: string[] = [];
    d.session.handlers.onNotify = (req) => { notifies.push(req.body.toString()); return 200; };
    let res: SipResponse | undefined;
    void d.session.send('REFER', undefined, [['Refer-To', '<sip:op@127.0.0.1>'], ['Refer-Sub', 'true']])
      .then((o) => { if (o.kind === 'response') res = o.response; });
    await w.flush();
    await w.flush();
    expect(res?.status).toBe(202);
    expect(res?.headers.get('Refer-Sub')).toBeUndefined();
    expect(notifies).toEqual(['SIP/2.0 100 Trying\r\n', 'SIP/2.0 603 Declined\r\n']);
  });

  it('refuses a REFER outside a dialog with 403 and reports why', async () => {
    const w = world({ autoAnswer: 0 });
    const res = await w.send('REFER', 'sip:613@192.0.2.2', [['Refer-To', '<sip:+15551234@192.0.2.9>']]);
    expect(res()?.status).toBe(403);
    expect(res()?.reason).toBe('Forbidden (REFER outside a call)');
    expect(w.events).toContainEqual({ type: 'refused', status: 403, method: 'REFER', source: 'TCP 192.0.2.1:5060', why: OUT_OF_DIALOG_REFER });
    expect(calls(w.events)).toHaveLength(0);
  });

  it('accepts a message-summary NOTIFY outside a dialog (200) and reports the counts', async () => {
    const w = world();
    const res = await w.send('NOTIFY', 'sip:613@192.0.2.2', [['Event', 'message-summary'], ['Subscription-State', 'active']],
      { body: 'Messages-Waiting: yes\r\nMessage-Account: sip:613@192.0.2.1\r\nVoice-Message: 2/8 (0/2)\r\n', type: 'application/simple-message-summary' });
    expect(res()?.status).toBe(200);
    const vm = w.events.find((e) => e.type === 'voicemail') as Extract<ListenerEvent, { type: 'voicemail' }>;
    expect(vm.summary.voice).toEqual({ newMessages: 2, oldMessages: 8, newUrgent: 0, oldUrgent: 2 });
    expect(vm.summary.account).toBe('sip:613@192.0.2.1');
  });

  it('close() hangs up active calls with BYE and answers new INVITEs 480', async () => {
    const w = world({ autoAnswer: 0 });
    w.dial();
    await w.flush();
    const call = calls(w.events)[0]!;
    let closed = false;
    void w.listener.close().then(() => { closed = true; });
    await w.flush();
    await w.flush();
    expect(closed).toBe(true);
    expect((await call.ended).endedBy).toBe('local (BYE)');
    expect(w.net.summaries()).toContain('BYE');
    const d = w.dial();
    await w.flush();
    expect((d.outcome as { status: number }).status).toBe(480);
  });
});
