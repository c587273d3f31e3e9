/**
 * SIP parse+serialize throughput: umphone's message layer against the npm `sip` package, same run,
 * same input. Each round parses the wire bytes and serializes the result back.
 *
 * - ours (lazy): parseMessage(Buffer) + serializeMessage -> Buffer (the hot path of the transport). An
 *   untouched parsed message is sent as its own octets, so this measures parse + one copy.
 * - ours (Via edited): the same, with the top Via replaced (received= stamped) before serializing: the
 *   serializer writes that line and copies the others. `sip` gets the same edit (its parsed Via gets
 *   the received param) and stringifies everything again, as it always does.
 * - ours (+getters): lazy plus the typed views a transaction/dialog reads (top Via, From, To,
 *   Call-ID, CSeq, Contact), comparable with `sip`, which parses those eagerly.
 * - ours (no reuse): the parsed message's headers cloned first, so the general writer writes every line.
 * - sip: sip.parse(Buffer) + sip.stringify(obj) -> string (it does not build a Buffer back, which
 *   favours it slightly). sip.parse takes the same Buffer a socket delivers, as ours does.
 * Ratios are against `sip` unedited, except "Via edited", which is against `sip` with the same edit.
 */
import { createRequire } from 'node:module';
import { RealClock } from '../src/util/clock.js';
import {
  getCSeq, getCallId, getContacts, getFrom, getTo, getTopVia, parseMessage, serializeMessage,
} from '../src/sip/message/index.js';

const INVITE = [
  'INVITE sip:bob@biloxi.example.com SIP/2.0',
  'Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9',
  'Max-Forwards: 70',
  'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'Contact: <sip:alice@client.atlanta.example.com;transport=udp>',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE, REFER, NOTIFY, INFO',
  'Supported: replaces, timer',
  'User-Agent: umphone-bench/1.0',
  'Content-Type: application/sdp',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');
const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com',
  's=-',
  'c=IN IP4 192.0.2.101',
  't=0 0',
  'm=audio 49172 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');
const OK = [
  'SIP/2.0 200 OK',
  'Via: SIP/2.0/UDP client.atlanta.example.com:5060;branch=z9hG4bK74bf9;received=192.0.2.101',
  'From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl',
  'To: Bob <sip:bob@biloxi.example.com>;tag=8321234356',
  'Call-ID: 3848276298220188511@atlanta.example.com',
  'CSeq: 1 INVITE',
  'Contact: <sip:bob@client.biloxi.example.com;transport=udp>',
  'Allow: INVITE, ACK, CANCEL, OPTIONS, BYE',
  'Server: umphone-bench/1.0',
  'Content-Type: application/sdp',
  'Content-Length: 0',
  '',
  '',
].join('\r\n');

function withBody(head: string, body: string): string {
  return head.replace('Content-Length: 0', `Content-Length: ${Buffer.byteLength(body)}`) + body;
}

/** The npm `sip` package (CommonJS, untyped): only the two calls the comparison needs. */
interface NpmSipMessage {
  headers: { via: Array<{ params: Record<string, string | null> }> };
}
interface NpmSip {
  parse(data: Buffer | string): NpmSipMessage;
  stringify(message: NpmSipMessage): string;
}
const sip = createRequire(import.meta.url)('sip') as NpmSip;

const clock = new RealClock();

/**
 * Messages per second of each function. The machine is shared (other test runs come and go), so the
 * candidates run interleaved in short slices for `rounds` rounds after a warm-up, and the median slice
 * rate of each is reported: a load spike then hits every candidate alike.
 */
function compare(fns: Array<() => unknown>, rounds: number, sliceMs: number): number[] {
  for (const fn of fns) {
    const warmUntil = clock.now() + 300;
    while (clock.now() < warmUntil) for (let i = 0; i < 200; i++) fn();
  }
  const rates: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      let n = 0;
      const t0 = clock.now();
      let t = t0;
      while (t - t0 < sliceMs) {
        for (let i = 0; i < 200; i++) fn();
        n += 200;
        t = clock.now();
      }
      rates[k]!.push(n / ((t - t0) / 1000));
    });
  }
  return rates.map((list) => list.sort((x, y) => x - y)[Math.floor(list.length / 2)]!);
}

const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(10);

export async function run(): Promise<void> {
  const cases: Array<[string, string]> = [
    ['INVITE with SDP', withBody(INVITE, SDP)],
    ['200 OK with SDP', withBody(OK, SDP)],
  ];
  console.log('sip-parse: parse + serialize, messages/s (higher is better)');
  for (const [label, text] of cases) {
    const wire = Buffer.from(text, 'latin1');
    // sanity: both parsers understand the input and give the same body back
    const ours = serializeMessage(parseMessage(wire));
    const theirs = sip.stringify(sip.parse(wire));
    if (!ours.toString('latin1').endsWith(SDP) || !theirs.endsWith(SDP)) throw new Error(`bench input broken: ${label}`);

    const topVia = text.split('\r\n').find((l) => l.startsWith('Via: '))!.slice(5);
    const stamped = topVia + ';received=198.51.100.7';
    const [lazy, edited, full, noReuse, npm, npmEdited] = compare(
      [
        () => serializeMessage(parseMessage(wire)),
        () => {
          const m = parseMessage(wire);
          m.headers.set('Via', stamped);
          return serializeMessage(m);
        },
        () => {
          const m = parseMessage(wire);
          getTopVia(m);
          getFrom(m);
          getTo(m);
          getCallId(m);
          getCSeq(m);
          getContacts(m);
          return serializeMessage(m);
        },
        () => {
          const m = parseMessage(wire);
          m.headers = m.headers.clone();
          return serializeMessage(m);
        },
        () => sip.stringify(sip.parse(wire)),
        () => {
          const m = sip.parse(wire);
          m.headers.via[0]!.params.received = '198.51.100.7';
          return sip.stringify(m);
        },
      ],
      15,
      200,
    ) as [number, number, number, number, number, number];
    // sanity: the edit is really there on both sides
    const m = parseMessage(wire);
    m.headers.set('Via', stamped);
    const sm = sip.parse(wire);
    sm.headers.via[0]!.params.received = '198.51.100.7';
    if (!serializeMessage(m).includes('received=198.51.100.7') || !sip.stringify(sm).includes('received=198.51.100.7')) {
      throw new Error(`bench edit broken: ${label}`);
    }
    console.log(`  ${label} (${wire.length} bytes)`);
    console.log(`    umphone (lazy)        ${fmt(lazy)}   ratio ${(lazy / npm).toFixed(2)}x`);
    console.log(`    umphone (Via edited)  ${fmt(edited)}   ratio ${(edited / npmEdited).toFixed(2)}x (vs npm sip, Via edited)`);
    console.log(`    umphone (+getters)    ${fmt(full)}   ratio ${(full / npm).toFixed(2)}x`);
    console.log(`    umphone (no reuse)    ${fmt(noReuse)}   ratio ${(noReuse / npm).toFixed(2)}x`);
    console.log(`    npm sip               ${fmt(npm)}`);
    console.log(`    npm sip (Via edited)  ${fmt(npmEdited)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
