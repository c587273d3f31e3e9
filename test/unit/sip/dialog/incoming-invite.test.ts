import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/util/clock.js';
import { nameAddr, parseUri } from '../../../../src/sip/message/index.js';
import { SipEndpoint } from '../../../../src/sip/transaction/endpoint.js';
import { IncomingInvite } from '../../../../src/sip/dialog/incoming-invite.js';
import { OutgoingInvite, type InviteOutcome } from '../../../../src/sip/dialog/outgoing-invite.js';
import type { InviteSession, SessionEndReason } from '../../../../src/sip/dialog/invite-session.js';
import { UserAgent } from '../../../../src/sip/dialog/user-agent.js';
import type { TransportProtocol } from '../../../../src/sip/transport/transport.js';
import { MemoryNetwork } from '../../../support/memory-network.js';

function world(protocol: TransportProtocol) {
  const clock = new ManualClock();
  const net = new MemoryNetwork(clock);
  const validation = { supported: ['timer'], acceptTypes: ['application/sdp'] };
  const ua = (address: string) =>
    new UserAgent({ endpoint: new SipEndpoint({ clock, transports: [net.createTransport(address, 5060, protocol)], validation }), clock });
  const caller = ua('192.0.2.1');
  const callee = ua('192.0.2.2');
  const flush = async (ms = 0) => {
    for (let i = 0; i < 20; i++) {
      await Promise.resolve();
      clock.advance(i === 0 ? ms : 0);
    }
  };
  const dial = (extra: Partial<ConstructorParameters<typeof OutgoingInvite>[0]> = {}) => {
    let outcome: InviteOutcome | undefined;
    const inv = new OutgoingInvite({
      ua: caller, target: parseUri(`sip:uas@192.0.2.2:5060;transport=${protocol}`), protocol,
      from: nameAddr('sip:111@192.0.2.1'), to: nameAddr('sip:uas@192.0.2.2'),
      offer: { body: Buffer.from('offer'), contentType: 'application/sdp' }, ...extra,
    });
    void inv.start().then((o) => { outcome = o; });
    return { inv, get outcome() { return outcome; } };
  };
  return { clock, net, caller, callee, flush, dial };
}

describe('IncomingInvite', () => {
  it('rings, answers, gets the ACK, and ends on the caller\'s BYE', async () => {
    const w = world('tcp');
    let incoming: IncomingInvite | undefined;
    w.callee.onInvite((r) => { incoming = new IncomingInvite(w.callee, r, 'tcp'); incoming.ring(); });
    const provisional: number[] = [];
    const d = w.dial({ onProvisional: (r) => provisional.push(r.status) });
    await w.flush();
    expect(provisional).toEqual([180]);
    expect(incoming!.request.body.toString()).toBe('offer');
    const uas = incoming!.accept({ body: Buffer.from('answer'), contentType: 'application/sdp' })!;
    await w.flush();
    expect(d.outcome?.kind).toBe('answered');
    const ended: SessionEndReason[] = [];
    uas.handlers.onEnded = (r) => ended.push(r);
    void (d.outcome as { session: InviteSession }).session.bye();
    await w.flush();
    expect(ended).toEqual([{ by: 'remote', request: 'BYE' }]);
    expect(w.net.summaries()).toEqual(['INVITE', '180', '200', 'ACK', 'BYE', '200']);
  });

  it('copies the INVITE\'s Record-Route values, in order, into the 180 and the 200 (RFC 3261 §12.1.1)', async () => {
    const w = world('tcp');
    let incoming: IncomingInvite | undefined;
    w.callee.onInvite((r) => { incoming = new IncomingInvite(w.callee, r, 'tcp'); incoming.ring(); });
    const rr = ['<sip:192.0.2.2:5060;transport=tls;r2=on;lr>', '<sip:192.0.2.2:5060;transport=tcp;r2=on;lr>'];
    w.dial({ headers: rr.map((v): [string, string] => ['Record-Route', v]) });
    await w.flush();
    incoming!.accept({ body: Buffer.from('answer'), contentType: 'application/sdp' });
    await w.flush();
    const responses = w.net.log.filter((p) => p.summary === '180' || p.summary === '200').map((p) => p.bytes.toString());
    expect(responses.length).toBeGreaterThanOrEqual(2);
    for (const text of responses.slice(0, 2)) {
      expect([...text.matchAll(/^Record-Route: (.+)\r$/gm)].map((m) => m[1])).toEqual(rr);
    }
  });

  it('over UDP retransmits the 2xx until the ACK arrives (RFC 3261 §13.3.1.4)', async () => {
    const w = world('udp');
    w.callee.onInvite((r) => { new IncomingInvite(w.callee, r, 'udp').accept({ body: Buffer.from('a'), contentType: 'application/sdp' }); });
    w.net.setLoss((p) => p.summary === 'ACK' && p.at < 1000);
    w.dial();
    await w.flush();
    await w.flush(500);
    await w.flush(1000);
    const sent = w.net.log.map((p) => `${p.summary}@${p.at}${p.dropped ? ' (lost)' : ''}`);
    expect(sent).toEqual(['INVITE@0', '200@0', 'ACK@0 (lost)', '200@500', 'ACK@500 (lost)', '200@1500', 'ACK@1500']);
    await w.flush(30_000);
    expect(w.net.log).toHaveLength(7); // no more 200s and no BYE once ACKed
  });

  it('answers a CANCEL with 200 and the INVITE with 487', async () => {
    const w = world('tcp');
    let incoming: IncomingInvite | undefined;
    w.callee.onInvite((r) => { incoming = new IncomingInvite(w.callee, r, 'tcp'); incoming.ring(); });
    const d = w.dial();
    await w.flush();
    let cancelled = false;
    void incoming!.whenCancelled().then(() => { cancelled = true; });
    d.inv.cancel();
    await w.flush();
    expect(cancelled).toBe(true);
    expect(incoming!.state).toBe('cancelled');
    expect(d.outcome?.kind).toBe('cancelled');
    expect(w.net.summaries()).toEqual(['INVITE', '180', 'CANCEL', '200', '487', 'ACK']);
  });
});
