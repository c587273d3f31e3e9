import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/util/clock.js';
import {
  createResponse, getCSeq, getCallId, getFrom, nameAddr, parseUri, randomTag, type SipRequest,
} from '../../../../src/sip/message/index.js';
import { SipEndpoint, type IncomingRequest } from '../../../../src/sip/transaction/endpoint.js';
import { OutgoingInvite, type InviteOutcome, type OutgoingInviteOptions } from '../../../../src/sip/dialog/outgoing-invite.js';
import { UserAgent } from '../../../../src/sip/dialog/user-agent.js';
import { MemoryNetwork } from '../../../support/memory-network.js';

const validation = { supported: ['timer'], acceptTypes: ['application/sdp'] };

function world() {
  const clock = new ManualClock();
  const net = new MemoryNetwork(clock);
  const mk = (address: string, port: number) =>
    new SipEndpoint({ clock, transports: [net.createTransport(address, port, 'tcp')], validation });
  const phone = new UserAgent({ endpoint: mk('192.0.2.1', 5070), clock, credentials: { username: '111', password: 'pw' } });
  const router = mk('192.0.2.2', 5060);
  const worker = mk('192.0.2.3', 5065);
  const acks: SipRequest[] = [];
  worker.onAck((a) => acks.push(a));
  router.onAck((a) => acks.push(a));
  const flush = async () => {
    for (let i = 0; i < 20; i++) {
      await Promise.resolve();
      clock.advance(0);
    }
  };
  return { clock, net, phone, router, worker, acks, flush };
}

function call(phone: UserAgent, uri = 'sip:680@192.0.2.2:5060;transport=tcp', extra: Partial<OutgoingInviteOptions> = {}) {
  return new OutgoingInvite({
    ...extra,
    ua: phone,
    target: parseUri(uri),
    protocol: 'tcp',
    from: nameAddr('sip:111@192.0.2.1', 'Test Phone'),
    to: nameAddr('sip:680@192.0.2.2'),
    contactUser: '111',
    headers: [['Diversion', '<sip:613@192.0.2.2>;reason=no-answer;counter=1']],
    offer: { body: Buffer.from('v=0\r\n'), contentType: 'application/sdp' },
  });
}

const redirectTo = (contact: string) => (r: IncomingRequest) =>
  r.transaction.respond(createResponse(r.request, 302, 'Moved Temporarily', { toTag: randomTag(), headers: [['CONTACT', contact]] }));

const answerOk = (r: IncomingRequest) =>
  r.transaction.respond(createResponse(r.request, 200, 'OK', {
    toTag: 'wtag', headers: [['Contact', '<sip:680@192.0.2.3:5065;transport=tcp>']],
    body: Buffer.from('v=0\r\n'), contentType: 'application/sdp',
  }));

describe('OutgoingInvite', () => {
  it('follows a 302 to the worker with the same Call-ID and From tag, a new branch and CSeq, then ACKs and BYEs', async () => {
    const { phone, router, worker, acks, flush } = world();
    const seen: SipRequest[] = [];
    router.onRequest((r) => { seen.push(r.request); redirectTo('<sip:680@192.0.2.3:5065;transport=Tcp>')(r); });
    const byes: SipRequest[] = [];
    worker.onRequest((r) => {
      seen.push(r.request);
      if (r.request.method === 'BYE') { byes.push(r.request); r.transaction.respond(createResponse(r.request, 200)); return; }
      answerOk(r);
    });
    const inv = call(phone);
    let outcome: InviteOutcome | undefined;
    void inv.start().then((o) => { outcome = o; });
    await flush();
    expect(outcome?.kind).toBe('answered');
    expect(seen.map((r) => r.uri)).toEqual(['sip:680@192.0.2.2:5060;transport=tcp', 'sip:680@192.0.2.3:5065;transport=Tcp']);
    const [first, second] = seen as [SipRequest, SipRequest];
    expect(getCallId(second)).toBe(getCallId(first));
    expect(getFrom(second).params.get('tag')).toBe(getFrom(first).params.get('tag'));
    expect(getCSeq(second).seq).toBe(getCSeq(first).seq + 1);
    expect(second.headers.get('Via')).not.toBe(first.headers.get('Via'));
    expect(second.headers.get('Diversion')).toBe('<sip:613@192.0.2.2>;reason=no-answer;counter=1');
    // The 302 was ACKed by the transaction (to the router); the 2xx by us, to the worker's Contact.
    const ack2xx = acks.find((a) => a.uri === 'sip:680@192.0.2.3:5065;transport=tcp')!;
    expect(getCSeq(ack2xx)).toEqual({ seq: getCSeq(second).seq, method: 'ACK' });
    expect(ack2xx.headers.get('To')).toContain('tag=wtag');
    expect(inv.targets.chain()).toBe('sip:680@192.0.2.2:5060;transport=tcp (302) → sip:680@192.0.2.3:5065;transport=Tcp (200)');
    if (outcome?.kind !== 'answered') throw new Error('not answered');
    void outcome.session.bye();
    await flush();
    expect(byes).toHaveLength(1);
    expect(getCSeq(byes[0]!).seq).toBe(getCSeq(second).seq + 1);
  });

  it('answers a 407 challenge once with Proxy-Authorization and a higher CSeq', async () => {
    const { phone, router, flush } = world();
    const seen: SipRequest[] = [];
    router.onRequest((r) => {
      seen.push(r.request);
      if (!r.request.headers.has('Proxy-Authorization')) {
        r.transaction.respond(createResponse(r.request, 407, undefined, {
          toTag: randomTag(), headers: [['Proxy-Authenticate', 'Digest realm="um", nonce="abc", qop="auth"']],
        }));
      } else {
        r.transaction.respond(createResponse(r.request, 486, 'Busy Here', { toTag: randomTag() }));
      }
    });
    const inv = call(phone);
    let outcome: InviteOutcome | undefined;
    void inv.start().then((o) => { outcome = o; });
    await flush();
    expect(seen).toHaveLength(2);
    expect(seen[1]!.headers.get('Proxy-Authorization')).toMatch(/^Digest username="111", realm="um", nonce="abc", uri="sip:680@192.0.2.2:5060;transport=tcp", response="[0-9a-f]{32}"/);
    expect(getCSeq(seen[1]!).seq).toBe(getCSeq(seen[0]!).seq + 1);
    expect(outcome).toMatchObject({ kind: 'failed', status: 486, reason: 'Busy Here' });
  });

  it('ends a 302 loop with a redirect error, not an endless call', async () => {
    const { phone, router, flush } = world();
    let n = 0;
    router.onRequest((r) => { n++; redirectTo('<sip:680@192.0.2.2:5060;transport=TCP>')(r); });
    let outcome: InviteOutcome | undefined;
    void call(phone).start().then((o) => { outcome = o; });
    await flush();
    expect(n).toBe(1);
    expect(outcome).toMatchObject({ kind: 'failed', status: 302 });
    if (outcome?.kind === 'failed') expect(outcome.error?.code).toBe('SIP_REDIRECT_LOOP');
  });

  it('CANCELs after the 180 and ends with cancelled when the 487 comes', async () => {
    const { phone, router, flush } = world();
    const seen: string[] = [];
    let pending: IncomingRequest | undefined;
    router.onRequest((r) => {
      seen.push(r.request.method);
      if (r.request.method === 'INVITE') {
        pending = r;
        r.transaction.respond(createResponse(r.request, 180, 'Ringing', { toTag: 'rt' }));
      } else if (r.cancels) {
        r.transaction.respond(createResponse(r.request, 200));
        r.cancels.respond(createResponse(pending!.request, 487, undefined, { toTag: 'rt' }));
      }
    });
    const ringing: number[] = [];
    let outcome: InviteOutcome | undefined;
    const o = call(phone, undefined, { onProvisional: (r) => ringing.push(r.status) });
    void o.start().then((x) => { outcome = x; });
    await flush();
    expect(ringing).toEqual([180]);
    o.cancel();
    await flush();
    expect(seen).toEqual(['INVITE', 'CANCEL']);
    expect(outcome?.kind).toBe('cancelled');
  });
});
