import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../../src/util/clock.js';
import { createResponse, type SipMessage, type SipRequest } from '../../../../src/sip/message/index.js';
import { TcpTransport } from '../../../../src/sip/transport/tcp.js';
import { TransportError, type MessageSource } from '../../../../src/sip/transport/transport.js';
import { SipEndpoint } from '../../../../src/sip/transaction/endpoint.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((o) => o.close()));
});

async function transport(clock = new ManualClock(), idleTimeoutMs?: number): Promise<TcpTransport> {
  const t = await TcpTransport.listen({ clock, address: '127.0.0.1', port: 0, idleTimeoutMs });
  open.push(t);
  return t;
}

/** A queue of received messages with their sources. */
function inbox(t: TcpTransport) {
  const queue: Array<[SipMessage, MessageSource]> = [];
  const waiters: Array<(x: [SipMessage, MessageSource]) => void> = [];
  t.onMessage((m, s) => (waiters.length ? waiters.shift()!([m, s]) : queue.push([m, s])));
  return () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise<[SipMessage, MessageSource]>((r) => waiters.push(r)));
}

const request = (method: string, viaPort: number, branch: string): Buffer =>
  Buffer.from(
    `${method} sip:x@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:${viaPort};branch=${branch}\r\nMax-Forwards: 70\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: ${branch}\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`,
  );

/** A raw TCP client collecting everything it receives. */
async function rawClient(port: number) {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  open.push({ close: () => socket.destroy() });
  let data = '';
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.on('data', (b: Buffer) => (data += b.toString('latin1')));
  socket.on('error', () => undefined);
  const waitFor = async (re: RegExp): Promise<string> => {
    for (let i = 0; i < 500 && !re.test(data); i++) await new Promise<void>((r) => setImmediate(r));
    return data;
  };
  return { socket, closed, waitFor, data: () => data };
}

describe('TcpTransport', () => {
  it('binds port 0 and reports the port used', async () => {
    const t = await transport();
    expect(t.local.address).toBe('127.0.0.1');
    expect(t.local.port).toBeGreaterThan(0);
    expect(t.reliable).toBe(true);
  });

  it('answers on the request\'s connection and reuses one connection per target both ways (§18.2.2)', async () => {
    const a = await transport();
    const b = await transport();
    const nextA = inbox(a);
    const nextB = inbox(b);
    await a.send(request('OPTIONS', a.local.port, 'z9hG4bK1'), { address: '127.0.0.1', port: b.local.port });
    const [req, src] = await nextB();
    expect(src.connectionId).toBeDefined();
    await b.send(createResponse(req as SipRequest, 200), { address: src.address, port: src.port, connectionId: src.connectionId });
    const [res, srcA] = await nextA();
    expect(res.kind === 'response' && res.status).toBe(200);
    expect(srcA.port).toBe(b.local.port);
    // A second request from A goes over the same connection.
    await a.send(request('OPTIONS', a.local.port, 'z9hG4bK2'), { address: '127.0.0.1', port: b.local.port });
    const [, src2] = await nextB();
    expect(src2.connectionId).toBe(src.connectionId);
    // B's own request to A's listening address (named in A's Via) reuses the connection A opened.
    await b.send(request('OPTIONS', b.local.port, 'z9hG4bK3'), { address: '127.0.0.1', port: a.local.port });
    const [fromB, src3] = await nextA();
    expect(fromB.kind === 'request' && fromB.method).toBe('OPTIONS');
    expect(src3.connectionId).toBe(srcA.connectionId);
    expect(a.connectionCount).toBe(1);
    expect(b.connectionCount).toBe(1);
  });

  it('frames a request sent one byte at a time', async () => {
    const b = await transport();
    const next = inbox(b);
    const client = await rawClient(b.local.port);
    const bytes = request('OPTIONS', 5060, 'z9hG4bKbytes');
    for (const byte of bytes) {
      client.socket.write(Buffer.from([byte]));
      await new Promise<void>((r) => setImmediate(r));
    }
    const [m] = await next();
    expect(m.kind === 'request' && m.method).toBe('OPTIONS');
  });

  it('answers a CRLFCRLF keep-alive ping with a CRLF pong (RFC 5626 §3.5.1)', async () => {
    const b = await transport();
    const client = await rawClient(b.local.port);
    client.socket.write('\r\n\r\n');
    expect(await client.waitFor(/\r\n/)).toBe('\r\n');
  });

  it('server edge: a parse error with sound framing is answered 400 and the connection stays up', async () => {
    const b = await transport();
    const edge = new SipEndpoint({ clock: new ManualClock(), transports: [b] });
    edge.onRequest((r) => r.transaction.respond(createResponse(r.request, 200, undefined, { toTag: 't' })));
    const client = await rawClient(b.local.port);
    const bad = request('OPTIONS', 5060, 'z9hG4bKbad').toString().replace('Max-Forwards: 70\r\n', 'Max-Forwards 70\r\n');
    client.socket.write(bad);
    await client.waitFor(/SIP\/2\.0 400/);
    client.socket.write(request('OPTIONS', 5060, 'z9hG4bKgood'));
    const text = await client.waitFor(/SIP\/2\.0 200/);
    expect(text).toMatch(/^SIP\/2\.0 400 Header line has no ':'\r\n/);
    expect(text).toContain('SIP/2.0 200 OK');
  });

  it('server edge: a missing Content-Length is answered 400 and the connection closed; the server lives on', async () => {
    const b = await transport();
    new SipEndpoint({ clock: new ManualClock(), transports: [b] }).onRequest((r) =>
      r.transaction.respond(createResponse(r.request, 200, undefined, { toTag: 't' })),
    );
    const client = await rawClient(b.local.port);
    client.socket.write(request('OPTIONS', 5060, 'z9hG4bKnocl').toString().replace('Content-Length: 0\r\n', ''));
    await client.closed;
    expect(client.data()).toMatch(/^SIP\/2\.0 400 Missing Content-Length on a stream transport\r\n/);
    const again = await rawClient(b.local.port);
    again.socket.write(request('OPTIONS', 5060, 'z9hG4bKafter'));
    expect(await again.waitFor(/SIP\/2\.0 200/)).toContain('SIP/2.0 200 OK');
  });

  it('server edge: a message over the size limit gets 513 and the connection is closed', async () => {
    const b = await TcpTransport.listen({ clock: new ManualClock(), address: '127.0.0.1', maxMessageSize: 1000 });
    open.push(b);
    new SipEndpoint({ clock: new ManualClock(), transports: [b] });
    const client = await rawClient(b.local.port);
    client.socket.write(request('MESSAGE', 5060, 'z9hG4bKbig').toString().replace('Content-Length: 0', 'Content-Length: 5000'));
    await client.closed;
    expect(client.data()).toMatch(/^SIP\/2\.0 513 /);
  });

  it('reports a refused connection as a TransportError, to the sender and as an event', async () => {
    const a = await transport();
    const events: TransportError[] = [];
    a.onError((e) => events.push(e));
    const dead = await transport();
    const port = dead.local.port;
    await dead.close();
    const err = await a.send(Buffer.from('x'), { address: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).message).toMatch(new RegExp(`^TCP connect to 127\\.0\\.0\\.1:${port} failed: .*ECONNREFUSED`));
    expect(events.map((e) => e.target.port)).toEqual([port]);
  });

  it('closes a connection after the idle timeout (on the injected clock)', async () => {
    const clock = new ManualClock();
    const b = await transport(clock, 10_000);
    const client = await rawClient(b.local.port);
    for (let i = 0; i < 100 && b.connectionCount === 0; i++) await new Promise<void>((r) => setImmediate(r));
    expect(b.connectionCount).toBe(1);
    clock.advance(9_999);
    expect(b.connectionCount).toBe(1);
    clock.advance(1);
    await client.closed;
    expect(b.connectionCount).toBe(0);
  });

  it('routes a response to the Via fallback (received/sent-by) when its connection id is unknown', async () => {
    const a = await transport();
    const b = await transport();
    const nextA = inbox(a);
    const nextB = inbox(b);
    await a.send(request('OPTIONS', a.local.port, 'z9hG4bKfb'), { address: '127.0.0.1', port: b.local.port });
    const [req, src] = await nextB();
    const res = createResponse(req as SipRequest, 200);
    await b.send(res, { address: src.address, port: src.port, connectionId: 'tcp-gone', fallback: { address: '127.0.0.1', port: a.local.port } });
    const [m] = await nextA();
    expect(m.kind === 'response' && m.status).toBe(200);
  });
});
