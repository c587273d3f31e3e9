/**
 * OPTIONS server throughput over UDP and TCP on 127.0.0.1: a SIPp UAC (uac-options.xml, which also
 * checks Allow/Accept/Supported in every 200) fires N OPTIONS at a high rate, first at umphone's
 * SipEndpoint (transport + server transactions + validateRequest + a TU answering 200), then, in the
 * same run, at a SIPp UAS (uas-options.xml) as the peer. Figures: transactions per second from SIPp's
 * start to its exit, failed calls, and the ratio umphone / SIPp. When both keep up with the UAC's rate
 * the ratio is about 1 (the UAC is the limit).
 */
import { RealClock } from '../src/util/clock.js';
import { createResponse, randomTag } from '../src/sip/message/index.js';
import { SipEndpoint } from '../src/sip/transaction/endpoint.js';
import { TcpTransport } from '../src/sip/transport/tcp.js';
import { UdpTransport } from '../src/sip/transport/udp.js';
import { killAllChildren } from '../test/support/child-process.js';
import { scenarioPath, startSipp, type SippTransport } from '../test/support/sipp.js';

const CALLS = 10_000;
/** UDP above a few thousand per second overflows loopback socket buffers on a 2-core box and measures retransmission. */
const RATE = { udp: 2_500, tcp: 10_000 } as const;

async function uacAgainst(address: string, transport: SippTransport, rate: number): Promise<{ perSecond: number; code: number | null }> {
  const clock = new RealClock();
  const started = clock.now();
  const uac = await startSipp({
    scenario: scenarioPath('uac-options.xml'),
    transport,
    remote: address,
    calls: CALLS,
    rate,
    limit: 500,
    timeoutMs: 100_000,
    waitListening: false,
  });
  const exit = await uac.exited;
  const seconds = (clock.now() - started) / 1000;
  return { perSecond: CALLS / seconds, code: exit.code };
}

async function ourEndpoint(): Promise<SipEndpoint> {
  const clock = new RealClock();
  const udp = await UdpTransport.listen({ clock, address: '127.0.0.1' });
  const tcp = await TcpTransport.listen({ clock, address: '127.0.0.1' });
  const methods = ['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'];
  const ep = new SipEndpoint({ clock, transports: [udp, tcp], validation: { supported: ['replaces'], acceptTypes: ['application/sdp'], methods } });
  ep.onRequest(({ request, transaction }) =>
    transaction.respond(
      createResponse(request, 200, undefined, {
        toTag: randomTag(),
        headers: [
          ['Allow', methods.join(', ')],
          ['Accept', 'application/sdp'],
          ['Supported', 'replaces'],
        ],
      }),
    ),
  );
  return ep;
}

export async function run(): Promise<void> {
  try {
    for (const [protocol, sippTransport] of [
      ['udp', 'u1'],
      ['tcp', 't1'],
    ] as const) {
      const ep = await ourEndpoint();
      const ours = await uacAgainst(`127.0.0.1:${ep.transport(protocol)!.local.port}`, sippTransport, RATE[protocol]);
      await ep.close();
      const uas = await startSipp({ scenario: scenarioPath('uas-options.xml'), transport: sippTransport, calls: CALLS, timeoutMs: 100_000 });
      const peer = await uacAgainst(uas.address, sippTransport, RATE[protocol]);
      await uas.kill();
      console.log(
        `OPTIONS over ${protocol.toUpperCase()}, ${CALLS} transactions, SIPp UAC at up to ${RATE[protocol]}/s: ` +
          `umphone ${ours.perSecond.toFixed(0)}/s (SIPp exit ${String(ours.code)}), ` +
          `SIPp UAS ${peer.perSecond.toFixed(0)}/s (exit ${String(peer.code)}), ratio ${(ours.perSecond / peer.perSecond).toFixed(2)}`,
      );
    }
  } finally {
    await killAllChildren();
  }
}
