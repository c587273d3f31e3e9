/**
 * The RTP I/O worker thread (the adapter side of io-engine.ts): it owns the RTP/RTCP sockets, sends
 * every packet at its deadline and forwards what the sockets receive to the main thread.
 *
 * Why it owns the receiving too: Node cannot hand a bound dgram socket to another thread, and a second
 * socket bound to the same port (SO_REUSEADDR/SO_REUSEPORT) would steal received packets at random on
 * Linux. Symmetric RTP (RFC 4961) wants one socket that both sends and receives, so that socket lives
 * here.
 *
 * Sending: packets arrive from the main thread in batches (io-batch.ts), each with its deadline already
 * converted to this thread's clock; a DeadlineQueue (deadline-queue.ts) woken by `preciseWake`
 * (pacer-wake.ts: coarse timer to ~2 ms before, Atomics.wait, a short spin) sends each one on time, and
 * yields to this thread's event loop between passes, so receiving and new batches are never starved.
 *
 * Receiving: every datagram is appended to a batch that is posted (transferred, not copied) to the main
 * thread `flushMs` after the first datagram of the batch, or at once when it grows large.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { RealClock, type TimerHandle } from '../util/clock.js';
import { DeadlineQueue } from './deadline-queue.js';
import { BatchReader, BatchWriter, CHANNEL_RTCP, CHANNEL_RTP, type Channel } from './io-batch.js';
import { preciseWake } from './pacer-wake.js';
import { bindFromRange } from './socket.js';
import type { EngineRequest, EngineSettings, OpenRequest, WorkerEvent } from './io-protocol.js';

interface PairEntry {
  readonly id: number;
  readonly rtp: Socket;
  readonly rtcp: Socket | undefined;
  closed: boolean;
  /** Remote addresses already reported as not IP literals. */
  readonly badAddresses: Set<string>;
}

const literals = new Map<string, boolean>();
/** An IP literal? (dgram would send nowhere, silently, given a name through our lookup.) Cached. */
function isLiteral(address: string): boolean {
  let ok = literals.get(address);
  if (ok === undefined) {
    ok = isIP(address) !== 0;
    if (literals.size > 4096) literals.clear();
    literals.set(address, ok);
  }
  return ok;
}

interface Outgoing {
  readonly pair: PairEntry;
  readonly channel: Channel;
  readonly address: string;
  readonly port: number;
  readonly datagram: Buffer;
}

const port = parentPort;
if (!port) throw new Error('io-worker.ts runs only as a worker thread.');
const settings = workerData as EngineSettings;
const clock = new RealClock();
const pairs = new Map<number, PairEntry>();
let nextId = 1;
const post = (m: WorkerEvent, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const queue = new DeadlineQueue<Outgoing>({
  clock,
  // Between deadlines closer than holdMs, wait in place (a futex with a timeout): one event-loop turn
  // per maxPassMs rather than one per packet.
  hold: (ms) => {
    if (ms > 0) Atomics.wait(sleeper, 0, 0, ms);
  },
  holdMs: settings.holdMs,
  wake: preciseWake({ clock, coarseMs: settings.coarseMs, guardMs: settings.spinMs, maxBlockMs: settings.maxBlockMs }),
  maxPassMs: settings.maxPassMs,
  aheadMs: settings.aheadMs,
  deliver: (o) => {
    if (o.pair.closed) return;
    const s = o.channel === CHANNEL_RTCP ? (o.pair.rtcp ?? o.pair.rtp) : o.pair.rtp;
    s.send(o.datagram, o.port, o.address);
  },
});

// ---- receiving ----------------------------------------------------------------------------------------

const received = new BatchWriter(64 * 1024);
let flushTimer: TimerHandle | undefined;
let receivedCount = 0;

function flushReceived(): void {
  flushTimer?.cancel();
  flushTimer = undefined;
  const batch = received.take();
  if (batch) post({ t: 'recv', batch }, [batch]);
}

function onDatagram(pair: PairEntry, channel: Channel, msg: Buffer, address: string, rport: number): void {
  if (pair.closed) return;
  receivedCount++;
  received.add(pair.id, channel, address, rport, NaN, msg);
  if (received.bytes >= 256 * 1024) flushReceived();
  else if (!flushTimer) flushTimer = clock.setTimeout(flushReceived, settings.flushMs);
}

// ---- sockets ----------------------------------------------------------------------------------------

function bind(type: 'udp4' | 'udp6', address: string, p: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({
      type,
      // The remote is always an IP literal: answer dgram's lookup at once, so send() goes out now and
      // not on the next tick (dns.lookup defers even for literals), which would hold a whole pass back.
      lookup: (host: string, _o: unknown, cb: (e: Error | null, a: string, f: number) => void) => cb(null, host, type === 'udp6' ? 6 : 4),
      reuseAddr: false,
      recvBufferSize: settings.recvBufferSize,
      sendBufferSize: settings.sendBufferSize,
    });
    const onError = (e: Error): void => {
      s.close();
      reject(e);
    };
    s.once('error', onError);
    s.bind(p, address, () => {
      s.off('error', onError);
      resolve(s);
    });
  });
}

async function bindPair(type: 'udp4' | 'udp6', address: string, p: number, mux: boolean): Promise<[Socket, Socket | undefined]> {
  const rtp = await bind(type, address, p);
  if (mux) return [rtp, undefined];
  try {
    return [rtp, await bind(type, address, p === 0 ? 0 : p + 1)];
  } catch (e) {
    rtp.close();
    throw e;
  }
}

/** RTP on an even port, RTCP on the next (RFC 3550 §11), from a range with retries: as socket.ts does. */
async function openSockets(r: OpenRequest): Promise<[Socket, Socket | undefined]> {
  const type = r.address.includes(':') ? 'udp6' : 'udp4';
  if (r.port !== undefined) return bindPair(type, r.address, r.port, r.rtcpMux);
  return bindFromRange(r.portRange, r.attempts, r.random, r.address, (p) => bindPair(type, r.address, p, r.rtcpMux));
}

async function open(r: OpenRequest): Promise<void> {
  try {
    const [rtp, rtcp] = await openSockets(r);
    const pair: PairEntry = { id: nextId++, rtp, rtcp, closed: false, badAddresses: new Set() };
    pairs.set(pair.id, pair);
    rtp.on('message', (msg, ri) => {
      // RFC 5761 §4: on a muxed port, payload type octets 192..223 are RTCP.
      const rtcpOnRtp = !rtcp && msg.length >= 2 && msg[1]! >= 192 && msg[1]! <= 223;
      onDatagram(pair, rtcpOnRtp ? CHANNEL_RTCP : CHANNEL_RTP, msg, ri.address, ri.port);
    });
    rtcp?.on('message', (msg, ri) => onDatagram(pair, CHANNEL_RTCP, msg, ri.address, ri.port));
    for (const s of [rtp, rtcp]) {
      s?.on('error', (e: NodeJS.ErrnoException) => post({ t: 'error', socket: pair.id, message: e.message, code: e.code ?? '' }));
    }
    post({ t: 'opened', req: r.req, socket: pair.id, rtpPort: rtp.address().port, rtcpPort: (rtcp ?? rtp).address().port });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    post({ t: 'failed', req: r.req, message: err.message, code: err.code ?? '' });
  }
}

async function close(id: number): Promise<void> {
  const pair = pairs.get(id);
  if (!pair) return;
  pair.closed = true;
  pairs.delete(id);
  queue.discard((o) => o.pair === pair);
  await Promise.all(
    [pair.rtp, pair.rtcp].filter((s): s is Socket => s !== undefined).map((s) => new Promise<void>((r) => s.close(() => r()))),
  );
}

// ---- messages from the main thread ------------------------------------------------------------------

const fromMain = new BatchReader();

port.on('message', (m: EngineRequest) => {
  switch (m.t) {
    case 'send':
      fromMain.read(m.batch, (r) => {
        const pair = pairs.get(r.socket);
        if (!pair) return;
        if (!isLiteral(r.address)) {
          if (!pair.badAddresses.has(r.address)) {
            pair.badAddresses.add(r.address); // once per pair and address: never a flood
            post({ t: 'error', socket: pair.id, message: `RTP to ${r.address}: not an IP address (the engine never resolves names)`, code: 'EINVAL' });
          }
          return;
        }
        queue.schedule(r.due, { pair, channel: r.channel, address: r.address, port: r.port, datagram: r.datagram });
      });
      break;
    case 'sync':
      post({ t: 'sync', id: m.id, workerNow: clock.now() });
      break;
    case 'open':
      void open(m);
      break;
    case 'close':
      void close(m.socket).then(() => post({ t: 'closed', req: m.req }));
      break;
    case 'stats':
      post({ t: 'stats', req: m.req, stats: { ...queue.stats, received: receivedCount, queued: queue.size, sockets: pairs.size, hedged: 0 } });
      break;
    case 'shutdown':
      queue.close();
      flushReceived();
      void Promise.all([...pairs.keys()].map(close)).then(() => {
        post({ t: 'down' });
        port.close();
      });
      break;
  }
});

post({ t: 'ready' });
