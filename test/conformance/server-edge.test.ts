/**
 * The server edge over the wire: every RFC 4475 torture message is sent as bytes over UDP (and a
 * subset over TCP) to a running SipEndpoint on 127.0.0.1, and the response codes are asserted against
 * what the RFC expects of a UAS. After each message a valid OPTIONS must still be answered 200.
 *
 * The TU behind the endpoint: OPTIONS -> 200 with Allow, Accept, Supported; INVITE -> 486 (a busy
 * phone: no dialog to keep up); every other implemented method -> 200. validateRequest (message layer)
 * runs before the TU with methods INVITE ACK BYE CANCEL OPTIONS REGISTER MESSAGE, body types
 * application/sdp, no option tags.
 *
 * The endpoint runs with forceRport: the RFC 4475 messages name 192.0.2.x in their Via, so RFC 3261
 * §18.2.2 would send the answers to port 5060 of the source address rather than back to the test's socket.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/util/clock.js';
import { createResponse, parseMessage, randomTag, type SipResponse } from '../../src/sip/message/index.js';
import { SipEndpoint } from '../../src/sip/transaction/endpoint.js';
import { TcpTransport } from '../../src/sip/transport/tcp.js';
import { UdpTransport } from '../../src/sip/transport/udp.js';

const dir = new URL('../fixtures/conformance/rfc4475/', import.meta.url);
const manifest = readFileSync(new URL('MANIFEST.tsv', dir), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .map(([name, section, , expectation]) => ({ name: name!, section: section!, expectation: expectation! }));
const bytesOf = (name: string): Buffer => readFileSync(new URL(`${name}.dat`, dir));

type Expect = { codes: number[] | 'none'; check?: (r: SipResponse) => void; why: string };

const hasHeader = (name: string, re: RegExp) => (r: SipResponse) => expect(r.headers.get(name)).toMatch(re);

/** What RFC 4475 asks of a UAS for each message (alternatives where the RFC allows a choice). */
const EXPECTED: Record<string, Expect> = {
  wsinv: { codes: [486], why: '§3.1.1.1 valid: processed (our TU is busy)' },
  intmeth: { codes: [501], check: hasHeader('Allow', /OPTIONS/), why: '§3.1.1.2 endpoint: 501 with Allow' },
  esc01: { codes: [486], why: '§3.1.1.3 valid INVITE with escapes' },
  escnull: { codes: [200], why: '§3.1.1.4 valid REGISTER' },
  esc02: { codes: [501], why: '§3.1.1.5 RE%47IST%45R is not REGISTER: 501' },
  lwsdisp: { codes: [200], why: '§3.1.1.6 liberal accept' },
  longreq: { codes: [486], why: '§3.1.1.7 valid INVITE' },
  dblreq: { codes: [200], why: '§3.1.1.8 the REGISTER only; trailing octets ignored' },
  semiuri: { codes: [200], why: '§3.1.1.9 valid OPTIONS' },
  transports: { codes: [200], why: '§3.1.1.10 valid OPTIONS' },
  mpart01: { codes: [415], check: hasHeader('Accept', /application\/sdp/), why: '§3.1.1.11 parsed; multipart/signed unsupported: 415 with Accept' },
  unreason: { codes: 'none', why: '§3.1.1.12 a response: nothing to answer' },
  noreason: { codes: 'none', why: '§3.1.1.13 a response: nothing to answer' },
  badinv01: { codes: [400], why: '§3.1.2.1 empty Via params' },
  clerr: { codes: [400], why: '§3.1.2.2 over UDP: 400' },
  ncl: { codes: [400], why: '§3.1.2.3 negative Content-Length' },
  scalar02: { codes: [400], why: '§3.1.2.4 CSeq overflow' },
  scalarlg: { codes: 'none', why: '§3.1.2.5 response: discard' },
  quotbal: { codes: [400], why: '§3.1.2.6 unterminated quote' },
  ltgtruri: { codes: [400], why: '§3.1.2.7 <> around the Request-URI' },
  lwsruri: { codes: [400], why: '§3.1.2.8 LWS in the Request-URI' },
  lwsstart: { codes: [486], why: '§3.1.2.9 liberal accept (400 also allowed; the parser chose to accept)' },
  trws: { codes: [200], why: '§3.1.2.10 liberal accept (400 also allowed; the parser chose to accept)' },
  escruri: { codes: [400], why: '§3.1.2.11 headers in the Request-URI' },
  baddate: { codes: [486], why: '§3.1.2.12 Date does not matter to us: ignored' },
  regbadct: { codes: [400], why: '§3.1.2.13 400 is reasonable (liberal accept allowed; not chosen)' },
  badaspec: { codes: [200], why: '§3.1.2.14 liberal: spaces inside <> ignored (400 also reasonable)' },
  baddn: { codes: [400], why: '§3.1.2.15 non-token display name' },
  badvers: { codes: [505], why: '§3.1.2.16 SIP/7.0' },
  mismatch01: { codes: [400], why: '§3.1.2.17 CSeq method mismatch' },
  mismatch02: { codes: [501], why: '§3.1.2.18 501 preferred' },
  bigcode: { codes: 'none', why: '§3.1.2.19 response: discard' },
  badbranch: { codes: [200], why: '§3.2.1 bare magic cookie: RFC 2543 matching fallback (400 also allowed)' },
  insuf: { codes: [400], why: '§3.3.1 missing Call-ID, From, To' },
  unkscm: { codes: [416], why: '§3.3.2 unknown scheme' },
  novelsc: { codes: [416], why: '§3.3.3 soap.beep scheme' },
  unksm2: { codes: [400], why: '§3.3.4 registrar: To must be SIP/SIPS' },
  bext01: { codes: [420], check: hasHeader('Unsupported', /^nothingSupportsThis, nothingSupportsThisEither$/), why: '§3.3.5 420 with Unsupported' },
  invut: { codes: [415], check: hasHeader('Accept', /application\/sdp/), why: '§3.3.6 415 with Accept' },
  regaut01: { codes: [200], why: '§3.3.7 a registrar ignoring auth processes it' },
  multi01: { codes: [400], why: '§3.3.8 duplicated single-value headers' },
  mcl01: { codes: [400], why: '§3.3.9 conflicting Content-Length' },
  bcast: { codes: 'none', why: '§3.3.10 response: discard' },
  zeromf: { codes: [200], why: '§3.3.11 endpoint processes Max-Forwards 0' },
  cparam01: { codes: [200], why: '§3.3.12 REGISTER succeeds' },
  cparam02: { codes: [200], why: '§3.3.13 REGISTER succeeds' },
  regescrt: { codes: [200], why: '§3.3.14 REGISTER succeeds' },
  sdp01: { codes: [406], check: hasHeader('Accept', /application\/sdp/), why: '§3.3.15 406 (400 also allowed)' },
  inv2543: { codes: [486], why: '§3.4.1 RFC 2543 INVITE processed' },
  test: { codes: 'none', why: 'not in the RFC: no SIP-Version and no Via to answer to: dropped' },
};

const METHODS = ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'MESSAGE'];

let clock: ManualClock;
let endpoint: SipEndpoint;
let udp: UdpTransport;
let tcp: TcpTransport;
const log: string[] = [];

beforeAll(async () => {
  clock = new ManualClock();
  udp = await UdpTransport.listen({ clock, address: '127.0.0.1', port: 0 });
  tcp = await TcpTransport.listen({ clock, address: '127.0.0.1', port: 0, idleTimeoutMs: 30_000 });
  endpoint = new SipEndpoint({
    clock,
    transports: [udp, tcp],
    forceRport: true,
    validation: { supported: [], acceptTypes: ['application/sdp'], methods: METHODS },
    log: (l) => log.push(l),
  });
  endpoint.onRequest(({ request, transaction }) => {
    const status = request.method === 'INVITE' ? 486 : 200;
    const headers: Array<[string, string]> =
      request.method === 'OPTIONS' ? [['Allow', METHODS.join(', ')], ['Accept', 'application/sdp'], ['Supported', '']] : [];
    transaction.respond(createResponse(request, status, undefined, { toTag: randomTag(), headers }));
  });
});

afterAll(async () => {
  await endpoint.close();
});

const sentinel = (tag: string, transport: 'UDP' | 'TCP', port: number): Buffer =>
  Buffer.from(
    `OPTIONS sip:edge@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/${transport} 127.0.0.1:${port};branch=z9hG4bK${tag};rport\r\nMax-Forwards: 70\r\n` +
      `From: <sip:probe@127.0.0.1>;tag=${tag}\r\nTo: <sip:edge@127.0.0.1>\r\nCall-ID: sentinel-${tag}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`,
  );

/** Send a torture datagram, then a valid OPTIONS; return the responses before the OPTIONS' 200. */
async function overUdp(bytes: Buffer, tag: string): Promise<{ before: SipResponse[]; sentinel: SipResponse }> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const got: SipResponse[] = [];
  const done = new Promise<SipResponse>((resolve) => {
    sock.on('message', (b) => {
      const m = parseMessage(b) as SipResponse;
      if (m.headers.get('Call-ID') === `sentinel-${tag}`) resolve(m);
      else got.push(m);
    });
  });
  sock.send(bytes, udp.local.port, '127.0.0.1');
  await new Promise<void>((r) => setTimeout(r, 5));
  sock.send(sentinel(tag, 'UDP', sock.address().port), udp.local.port, '127.0.0.1');
  const s = await done;
  sock.close();
  return { before: got, sentinel: s };
}

describe('RFC 4475 over UDP at the server edge', () => {
  it('has an expectation for every message of the manifest', () => {
    expect(manifest.map((m) => m.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(manifest.map((m) => [m.name, m.section, m.expectation]))('%s (§%s, %s)', async (name) => {
    const exp = EXPECTED[name]!;
    // Several messages share a branch and sent-by: let every earlier transaction end (Timer J/H/I)
    // so each message starts a new one instead of being absorbed as a retransmission.
    clock.advance(64 * 500);
    const { before, sentinel: s } = await overUdp(bytesOf(name), name.replace(/\W/g, ''));
    const codes = before.map((r) => r.status);
    if (exp.codes === 'none') expect(codes, exp.why).toEqual([]);
    else {
      expect(codes, `${exp.why}; got ${before.map((r) => `${r.status} ${r.reason}`).join(', ')}`).toHaveLength(1);
      expect(exp.codes, exp.why).toContain(codes[0]);
      exp.check?.(before[0]!);
      if (codes[0] === 400) expect(before[0]!.reason, 'a 400 says why').not.toBe('Bad Request');
    }
    expect(s.status).toBe(200);
    expect(s.headers.get('Allow')).toBe(METHODS.join(', '));
  });
});

/** A raw TCP connection to the endpoint. */
async function tcpClient() {
  const socket = net.connect({ host: '127.0.0.1', port: tcp.local.port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let data = Buffer.alloc(0);
  let closed = false;
  socket.on('data', (b: Buffer) => (data = Buffer.concat([data, b])));
  socket.on('close', () => (closed = true));
  socket.on('error', () => undefined);
  const until = async (pred: () => boolean): Promise<void> => {
    for (let i = 0; i < 400 && !pred(); i++) await new Promise<void>((r) => setTimeout(r, 5));
  };
  return { socket, text: () => data.toString('latin1'), isClosed: () => closed, until };
}

describe('RFC 4475 over TCP at the server edge', () => {
  it.each([
    ['wsinv', 486],
    ['badvers', 505],
    ['mismatch01', 400],
    ['bext01', 420],
    ['unkscm', 416],
  ])('%s is answered %i and the connection stays usable', async (name, code) => {
    clock.advance(64 * 500); // end the UDP tests' transactions with the same branch and sent-by
    const c = await tcpClient();
    c.socket.write(bytesOf(name));
    await c.until(() => /^SIP\/2\.0 \d{3}/.test(c.text()));
    expect(c.text().slice(0, 11), log.slice(-5).join("\n")).toBe(`SIP/2.0 ${code}`);
    const tag = `tcp${name}`;
    c.socket.write(sentinel(tag, 'TCP', 5060));
    await c.until(() => c.text().includes(`sentinel-${tag}`));
    expect(c.text()).toMatch(new RegExp(`SIP/2\\.0 200 OK\\r\\n[\\s\\S]*sentinel-${tag}`));
    c.socket.destroy();
  });

  it.each([
    ['ncl', 'Invalid Content-Length "-999"'],
    ['mcl01', 'Conflicting Content-Length values'],
    ['inv2543', 'Missing Content-Length on a stream transport'],
  ])('%s breaks the framing: 400 "%s", then the connection is closed', async (name, reason) => {
    const c = await tcpClient();
    c.socket.write(bytesOf(name));
    await c.until(() => c.isClosed());
    expect(c.isClosed()).toBe(true);
    expect(c.text().split('\r\n')[0]).toBe(`SIP/2.0 400 ${reason}`);
  });

  it('clerr: waits for the missing body, answers nothing, closes when idle', async () => {
    const c = await tcpClient();
    c.socket.write(bytesOf('clerr'));
    await new Promise<void>((r) => setTimeout(r, 50));
    expect(c.text()).toBe('');
    expect(c.isClosed()).toBe(false);
    clock.advance(30_000);
    await c.until(() => c.isClosed());
    expect(c.isClosed()).toBe(true);
  });

  it('the TCP server still answers after all of that', async () => {
    const c = await tcpClient();
    c.socket.write(sentinel('tcpfinal', 'TCP', 5060));
    await c.until(() => c.text().includes('sentinel-tcpfinal'));
    expect(c.text()).toMatch(/^SIP\/2\.0 200 OK/);
    c.socket.destroy();
  });
});
