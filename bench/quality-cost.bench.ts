/**
 * What the quality model and the capture cost every call (issue 17 item 6), with the peer measured in
 * the same run; history and reading in docs/measurements/quality.md.
 *
 * 1. Per packet: the quality model (src/phone/call-quality.ts) per received packet (RFC 3550 counters,
 *    loss runs, per-second rows, one-way audio) and per sent frame (its energy while the second is not yet
 *    heard), against what every call already paid before it: the receiver's ReceptionStats alone.
 * 2. A one-hour call on the manual clock (no waiting): 50 packets a second each way through the call's
 *    capture (src/phone/call-capture.ts, a real pcap file in a temp folder) and the quality model; the
 *    heap (after a full GC) and RSS every 10 minutes of call, the pcap's size, and the JSON size of the
 *    summary's `quality` and its 3600 per-second rows.
 *
 * Settings: BENCH_QUALITY_MINUTES=60 (length of the long call).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ManualClock } from '../src/util/clock.js';
import { ReceptionStats } from '../src/rtp/stats.js';
import { serializeRtp, parseRtp } from '../src/rtp/packet.js';
import { CallCapture } from '../src/phone/call-capture.js';
import { CallQualityTracker, g711EnergyDbov } from '../src/phone/call-quality.js';
import { codecFor } from '../src/media/g711.js';
import type { MediaSocket } from '../src/phone/media-types.js';
import type { RemoteAddress } from '../src/rtp/receiver.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const f = (x: number, d = 1): string => x.toFixed(d);
const ulaw = codecFor('PCMU');
/** The packet's energy as the media session measures it. */
const energy = (payload: Buffer): number => g711EnergyDbov(payload, (b) => ulaw.decode(b), 'PCMU');

/** A received stream: 160-byte PCMU packets, 20 ms apart with 0..3 ms of arrival jitter, 1 in 100 lost. */
function packets(n: number, speech: boolean): Buffer[] {
  const tone = new Int16Array(160).map((_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000)));
  const payload = ulaw.encode(speech ? tone : new Int16Array(160));
  return Array.from({ length: n }, (_, i) => serializeRtp({ payloadType: 0, sequence: i & 0xffff, timestamp: (i * 160) >>> 0, ssrc: 0x1234, marker: false, payload }));
}

function perPacket(): void {
  const N = 200_000;
  for (const speech of [true, false]) {
    const wire = packets(N, speech);
    const parsed = wire.map((d) => parseRtp(d));
    const frame = speech ? ulaw.decode(parsed[0]!.payload) : new Int16Array(160);
    for (let round = 0; round < 3; round++) {
      const clock = new ManualClock();
      const stats = new ReceptionStats();
      let t0 = performance.now();
      for (let i = 0; i < N; i++) {
        const p = parsed[i]!;
        stats.onPacket({ ssrc: p.ssrc, sequence: p.sequence, timestamp: p.timestamp, payloadLength: p.payload.length }, i * 20 + (i % 4));
      }
      const base = ((performance.now() - t0) * 1e6) / N;
      const tracker = new CallQualityTracker(clock, clock.now());
      tracker.mediaStarted('PCMU');
      const origin = clock.now();
      t0 = performance.now();
      for (let i = 0; i < N; i++) {
        if (i % 100 === 50) continue;
        const p = parsed[i]!;
        tracker.received(p, 'audio', origin + i * 20 + (i % 4), () => energy(p.payload));
      }
      const recv = ((performance.now() - t0) * 1e6) / N;
      t0 = performance.now();
      for (let i = 0; i < N; i++) tracker.sent(origin + i * 20, frame);
      const sent = ((performance.now() - t0) * 1e6) / N;
      if (round === 2) {
        console.log(
          `per packet (${speech ? 'speech' : 'silence'}, warm): ReceptionStats alone ${f(base, 0)} ns; quality model per received packet ${f(recv, 0)} ns, per sent frame ${f(sent, 0)} ns` +
            ` → a call at 50 packets/s each way: ${f(((recv + sent) * 50) / 1000, 1)} µs of CPU per second of call`,
        );
      }
    }
  }
}

async function longCall(minutes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'umphone-quality-bench-'));
  const clock = new ManualClock();
  const path = join(dir, 'long.pcap');
  const capture = new CallCapture({ clock, path: () => path, callId: () => 'long-call', mediaAddress: '127.0.0.1', warn: (l) => console.log(`warning: ${l}`) });
  let deliver: ((d: Buffer, from: RemoteAddress) => void) | undefined;
  const inner: MediaSocket = {
    address: '127.0.0.1',
    rtpPort: 40000,
    rtpSendSocket: { send: () => undefined },
    onRtp: (h) => { deliver = h; },
    onRtcp: () => undefined,
    close: async () => undefined,
  };
  const socket = capture.wrapSocket(inner);
  const tracker = new CallQualityTracker(clock, clock.now());
  tracker.mediaStarted('PCMU');
  socket.onRtp((d) => {
    const p = parseRtp(d);
    tracker.received(p, 'audio', clock.now(), () => energy(p.payload));
  });
  const wire = packets(50 * 60, true);
  const frame = new Int16Array(160);
  const from = { address: '127.0.0.1', port: 40002 };
  const mb = (x: number): string => f(x / 2 ** 20, 1);
  gc();
  const start = process.memoryUsage();
  console.log(`long call: heap ${mb(start.heapUsed)} MiB, RSS ${mb(start.rss)} MiB at 0 min`);
  const t0 = performance.now();
  const total = minutes * 60 * 50;
  for (let i = 0; i < total; i++) {
    const d = Buffer.from(wire[i % wire.length]!);
    d.writeUInt16BE(i & 0xffff, 2);
    d.writeUInt32BE((i * 160) >>> 0, 4);
    if (i % 100 !== 50) deliver!(d, from);
    tracker.sent(clock.now(), frame);
    socket.rtpSendSocket.send(d, 40002, '127.0.0.1');
    clock.advance(20);
    // The capture writes asynchronously: each simulated second, wait for its writes (this loop runs
    // ~700× faster than a call: without waiting, the capture's bound would drop records).
    if ((i + 1) % 50 === 0) await capture.whenWritten();
    if ((i + 1) % (50 * 600) === 0) {
      gc();
      const m = process.memoryUsage();
      console.log(`long call: heap ${mb(m.heapUsed)} MiB, RSS ${mb(m.rss)} MiB at ${(i + 1) / 50 / 60} min; pcap ${mb(statSync(path).size)} MiB on disk`);
    }
  }
  tracker.end(clock.now());
  await capture.close();
  const q = tracker.summary();
  const json = JSON.stringify(q);
  console.log(
    `long call of ${minutes} min (${f((performance.now() - t0) / 1000)} s to run): pcap ${mb(statSync(path).size)} MiB streamed to disk; ` +
      `quality ${q.perSecond.length} rows, JSON ${f(json.length / 1024, 0)} KiB (${f(JSON.stringify(q.perSecond).length / q.perSecond.length, 0)} B per row, one-way audio's seconds ${f(JSON.stringify(q.oneWayAudio).length / 1024, 0)} KiB); MOS ${q.mos?.toFixed(2)}, loss ${f(q.received.lossPercent, 2)} %`,
  );
  rmSync(dir, { recursive: true, force: true });
}

export async function run(): Promise<void> {
  perPacket();
  await longCall(Number(process.env.BENCH_QUALITY_MINUTES ?? 60));
}
