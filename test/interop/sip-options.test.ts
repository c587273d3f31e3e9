/**
 * OPTIONS both ways between our transports + transaction layer and real SIPp 3.6.1 on 127.0.0.1,
 * over UDP and TCP:
 * - our SipEndpoint sends OPTIONS to a SIPp UAS (uas-options.xml) and must get its 200;
 * - a SIPp UAC (uac-options.xml, which fails the call unless the 200 carries Allow, Accept and
 *   Supported, via <ereg check_it="true">) sends OPTIONS to our endpoint, and SIPp must exit 0.
 * SIPp instances come from test/support/sipp.ts (distinct -p/-mp/-cp, -ci 127.0.0.1, own -timeout).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../src/util/clock.js';
import { createRequest, createResponse, randomCallId, randomTag, type SipResponse } from '../../src/sip/message/index.js';
import { SipEndpoint } from '../../src/sip/transaction/endpoint.js';
import type { TransactionTimeoutError } from '../../src/sip/transaction/transaction.js';
import { TcpTransport } from '../../src/sip/transport/tcp.js';
import type { TraceEvent, TransportError } from '../../src/sip/transport/transport.js';
import { UdpTransport } from '../../src/sip/transport/udp.js';
import { killAllChildren } from '../support/child-process.js';
import { SippStartError, scenarioPath, startSipp as startSippOnce, type SippOptions } from '../support/sipp.js';

/**
 * The free-port helper probes then releases a port; another process (tests run in parallel here)
 * can take it before SIPp binds it. Such a start failure is retried on new ports, any other is not.
 */
async function startSipp(opts: SippOptions) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSippOnce(opts);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof SippStartError) || !/Address already in use/.test(e.message)) throw e;
    }
  }
}

const METHODS = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'];
const endpoints: SipEndpoint[] = [];

afterAll(async () => {
  await Promise.all(endpoints.map((e) => e.close()));
  await killAllChildren();
});

async function endpoint(): Promise<{ ep: SipEndpoint; trace: TraceEvent[] }> {
  const clock = new RealClock();
  const udp = await UdpTransport.listen({ clock, address: '127.0.0.1', port: 0 });
  const tcp = await TcpTransport.listen({ clock, address: '127.0.0.1', port: 0 });
  const ep = new SipEndpoint({
    clock,
    transports: [udp, tcp],
    validation: { supported: ['replaces'], acceptTypes: ['application/sdp'], methods: METHODS },
  });
  const trace: TraceEvent[] = [];
  ep.onTrace((e) => trace.push(e));
  // The TU of this test: OPTIONS gets 200 with the capabilities of RFC 3261 §11.2.
  ep.onRequest(({ request, transaction }) => {
    const status = request.method === 'OPTIONS' ? 200 : 501;
    transaction.respond(
      createResponse(request, status, undefined, {
        toTag: randomTag(),
        headers: [
          ['Allow', METHODS.join(', ')],
          ['Accept', 'application/sdp'],
          ['Supported', 'replaces'],
        ],
      }),
    );
  });
  endpoints.push(ep);
  return { ep, trace };
}

function sendOptions(ep: SipEndpoint, protocol: 'udp' | 'tcp', port: number): Promise<SipResponse> {
  const local = ep.transport(protocol)!.local;
  const req = createRequest({
    method: 'OPTIONS',
    uri: `sip:service@127.0.0.1:${port};transport=${protocol}`,
    headers: [
      ['Max-Forwards', '70'],
      ['From', `<sip:umphone@127.0.0.1:${local.port}>;tag=${randomTag()}`],
      ['To', `<sip:service@127.0.0.1:${port}>`],
      ['Call-ID', randomCallId('127.0.0.1')],
      ['CSeq', '1 OPTIONS'],
      ['Contact', `<sip:umphone@127.0.0.1:${local.port};transport=${protocol}>`],
      ['Accept', 'application/sdp'],
    ],
  });
  return new Promise((resolve, reject) => {
    ep.request(req, { protocol, address: '127.0.0.1', port }, {
      onResponse: (r) => {
        if (r.status >= 200) resolve(r);
      },
      onTimeout: (e: TransactionTimeoutError) => reject(e),
      onTransportError: (e: TransportError) => reject(e),
    });
  });
}

describe('OPTIONS with SIPp', () => {
  it.each([
    ['udp', 'u1'],
    ['tcp', 't1'],
  ] as const)('our stack gets 200 from a SIPp UAS over %s', async (protocol, sippTransport) => {
    const { ep, trace } = await endpoint();
    const uas = await startSipp({ scenario: scenarioPath('uas-options.xml'), transport: sippTransport, timeoutMs: 15_000 });
    const res = await sendOptions(ep, protocol, uas.localPort);
    expect(res.status, uas.describe()).toBe(200);
    expect(res.headers.get('Allow')).toContain('OPTIONS');
    const exit = await uas.exited;
    expect(exit.code, uas.describe()).toBe(0);
    const seen = uas.messages();
    expect(seen.map((m) => `${m.direction} ${m.method ?? m.status}`)).toEqual(['received OPTIONS', 'sent 200']);
    expect(seen[0]!.transport).toBe(protocol.toUpperCase());
    // Our Via: our transport, our bound port, an RFC 3261 branch, rport asked (RFC 3581).
    expect(seen[0]!.header('Via')).toMatch(
      new RegExp(`^SIP/2\\.0/${protocol.toUpperCase()} 127\\.0\\.0\\.1:${ep.transport(protocol)!.local.port};branch=z9hG4bK[^;]+;rport$`),
    );
    expect(trace.map((t) => `${t.direction} ${t.protocol}`)).toEqual([`out ${protocol}`, `in ${protocol}`]);
  });

  it.each([
    ['udp', 'u1'],
    ['tcp', 't1'],
  ] as const)('a SIPp UAC gets 200 with Allow, Accept, Supported from our endpoint over %s', async (protocol, sippTransport) => {
    const { ep } = await endpoint();
    const uac = await startSipp({
      scenario: scenarioPath('uac-options.xml'),
      transport: sippTransport,
      remote: `127.0.0.1:${ep.transport(protocol)!.local.port}`,
      timeoutMs: 15_000,
    });
    const exit = await uac.exited;
    expect(exit.code, uac.describe()).toBe(0);
    const seen = uac.messages();
    expect(seen.map((m) => `${m.direction} ${m.method ?? m.status}`)).toEqual(['sent OPTIONS', 'received 200']);
    const ok = seen[1]!;
    expect(ok.header('Allow')).toBe(METHODS.join(', '));
    expect(ok.header('Accept')).toBe('application/sdp');
    expect(ok.header('Supported')).toBe('replaces');
    expect(ok.header('To')).toMatch(/;tag=[0-9a-f]+$/);
  });
});
