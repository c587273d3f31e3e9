/**
 * The process under test of the RTP pacing benchmark ("the phone"): N RtpSenders of 160-byte PCMU frames
 * on the process's one Pacer, each on its own RTP socket that also receives what the peer sends back
 * (symmetric RTP), built exactly as the phone builds them (src/rtp/rtp-transport.ts):
 *   - engine 'main': Pacer with the precise wake + sockets on the main thread;
 *   - engine 'native': the RTP I/O engine, sockets and send timing in its C++ I/O thread (raised to
 *     SCHED_FIFO too with BENCH_REALTIME), payloads produced BENCH_LEAD_MS (default 40) ahead on the main
 *     thread.
 * It runs in a process of its own so its CPU (all threads) and memory are its own, and so the benchmark
 * can start it under `chrt` like SIPp.
 * BENCH_STAMP=1: each payload starts with the wall-clock instant (f64 ms) its source was polled, as a
 * microphone's frame is read, so the bench can tell how long a frame takes from poll to the wire.
 *
 * BENCH_MONITOR_DIR=folder: what every call of the phone now carries on top, per stream — the call's
 * capture (src/phone/call-capture.ts: each datagram in and out written to a pcap in that folder, as
 * `--pcap` does) and the quality model (src/phone/call-quality.ts: each received packet into the stream
 * statistics, loss runs and one-way audio, each sent frame's energy, as every call does) — so the
 * benchmark can compare the pacing with and without them in the same run.
 *
 * With the native engine the capture is written as the phone writes it there: the I/O thread records the
 * datagrams into a native file (CallCapture `native`). BENCH_PCAP_JS=1 keeps the capture in JavaScript
 * (every datagram framed on the main thread, as before the native capture), to compare the two.
 *
 * BENCH_SRTP=1 (set by the bench for its SRTP rows): each socket is wrapped as a call with SRTP wraps it
 * (src/phone/call-srtp.ts SrtpSocket, AES_CM_128_HMAC_SHA1_80, one key per socket), below the monitor
 * as in a call: every packet is protected before it reaches the engine and every echo authenticated
 * and decrypted before it counts.
 *
 * Usage: node --import tsx rtp-pacer-process.ts SECONDS PORT1,PORT2,... [main|native]. Prints one JSON
 * line when done.
 */
import { RealClock } from '../../src/util/clock.js';
import { requestRealtime } from '../../src/cli/realtime.js';
import { RtpSender } from '../../src/rtp/sender.js';
import { createRtpTransport, type RtpEngineMode } from '../../src/rtp/rtp-transport.js';
import { join } from 'node:path';
import { parseRtp } from '../../src/rtp/packet.js';
import { CallCapture } from '../../src/phone/call-capture.js';
import { CallQualityTracker, g711EnergyDbov } from '../../src/phone/call-quality.js';
import { codecFor } from '../../src/media/g711.js';
import type { MediaSocket } from '../../src/phone/media-types.js';
import { randomBytes } from 'node:crypto';
import { SrtpSocket } from '../../src/phone/call-srtp.js';
import type { SdesKeys } from '../../src/sdp/index.js';

const seconds = Number(process.argv[2]);
const peerPorts = String(process.argv[3]).split(',').map(Number);
const mode = (process.argv[4] ?? 'native') as RtpEngineMode;

if (process.env.BENCH_REALTIME) {
  const refused = await requestRealtime(Number(process.env.BENCH_REALTIME));
  if (refused) process.stderr.write(`rtp-pacer-process: realtime refused: ${refused}\n`);
}
const clock = new RealClock();
const settings = process.env.BENCH_ENGINE_SETTINGS ? JSON.parse(process.env.BENCH_ENGINE_SETTINGS) : undefined;
const leadMs = process.env.BENCH_LEAD_MS ? Number(process.env.BENCH_LEAD_MS) : undefined;
const transport = await createRtpTransport({ clock, mode, ...(settings ? { settings } : {}), ...(leadMs !== undefined ? { leadMs } : {}) });
if (process.env.BENCH_REALTIME && transport.engine && mode === 'native') {
  const refused = transport.engine.realtime(Number(process.env.BENCH_REALTIME));
  if (refused) process.stderr.write(`rtp-pacer-process: native thread realtime refused: ${refused}\n`);
}
const pairs = await Promise.all(peerPorts.map(() => transport.openSocketPair({ address: '127.0.0.1', port: 0, rtcpMux: true })));
const srtp = process.env.BENCH_SRTP === '1';
/** With SRTP the echo is our own packets: the receiver is keyed with the sender's key. */
const secure = (pair: MediaSocket): SrtpSocket => {
  // BENCH_SRTP_WHERE=js: SRTP in JavaScript even on the native engine (the comparison row).
  const s = new SrtpSocket(pair, { where: process.env.BENCH_SRTP_WHERE === 'js' ? 'js' : 'auto' });
  const keySalt = randomBytes(30);
  const keys: SdesKeys = { tag: 1, suite: 'AES_CM_128_HMAC_SHA1_80', key: keySalt.subarray(0, 16), salt: keySalt.subarray(16), encryptRtp: true, encryptRtcp: true };
  s.useKeys({ local: keys, remote: keys });
  return s;
};
const secured: SrtpSocket[] = srtp ? pairs.map(secure) : [];
const opened: MediaSocket[] = srtp ? secured : pairs;
const monitorDir = process.env.BENCH_MONITOR_DIR;
const captures: CallCapture[] = [];
const trackers: CallQualityTracker[] = [];
const ulaw = codecFor('PCMU');
const silence = new Int16Array(160);
let received = 0;
const sockets: MediaSocket[] = opened.map((inner, i) => {
  if (!monitorDir) {
    inner.onRtp(() => received++);
    return inner;
  }
  const tracker = new CallQualityTracker(clock, clock.now());
  tracker.mediaStarted('PCMU');
  trackers.push(tracker);
  let s = inner as MediaSocket;
  // BENCH_MONITOR_PCAP=0: the quality model alone, no capture.
  if (process.env.BENCH_MONITOR_PCAP !== '0') {
    const capture = new CallCapture({
      clock, path: () => join(monitorDir, `stream-${i}.pcap`), callId: () => `bench-${i}`, mediaAddress: '127.0.0.1', warn: (l) => process.stderr.write(`${l}\n`),
      native: transport.mode === 'native' && process.env.BENCH_PCAP_JS !== '1',
    });
    captures.push(capture);
    s = capture.wrapSocket(s);
  }
  s.onRtp((d) => {
    received++;
    const p = parseRtp(d);
    tracker.received(p, 'audio', clock.now(), () => g711EnergyDbov(p.payload, (b) => ulaw.decode(b), 'PCMU'));
  });
  return s;
});
const payload = Buffer.alloc(160, 0xff);
const stamp = process.env.BENCH_STAMP === '1';
const poll = (): { payload: Buffer; payloadType: number } => {
  if (!stamp) return { payload, payloadType: 0 };
  const stamped = Buffer.from(payload);
  stamped.writeDoubleLE(clock.wallNow(), 0);
  return { payload: stamped, payloadType: 0 };
};
const senders = sockets.map(
  (s, i) =>
    new RtpSender({
      clock,
      socket: s.rtpSendSocket,
      remote: { address: '127.0.0.1', port: peerPorts[i]! },
      // With the monitor, each frame's energy is measured as the media session does (silence: every frame).
      source: trackers[i] ? { poll: () => (trackers[i]!.sent(clock.now(), silence), poll()) } : { poll },
    }),
);
const cpu0 = process.cpuUsage();
const t0 = clock.now();
for (const s of senders) s.start(transport.pacer);
clock.setTimeout(() => {
  for (const s of senders) s.stop();
  transport.pacer.close();
  const cpu = process.cpuUsage(cpu0);
  const wallMs = clock.now() - t0;
  const rss = process.memoryUsage().rss;
  // Let the packets produced ahead and the last echoes arrive before counting them.
  clock.setTimeout(() => {
    void (async () => {
      const sent = senders.reduce((a, s) => a + s.packetsSent, 0);
      const missed = senders.reduce((a, s) => a + s.ticksMissed, 0);
      const engine = transport.engine?.stats();
      const monitor = trackers.length > 0 ? await (async () => {
        for (const t of trackers) t.end(clock.now());
        const q = trackers.map((t) => t.summary());
        // The captures' writes are asynchronous: the files are whole once their close resolves.
        await Promise.all(captures.map((c) => c.close()));
        return { streams: q.length, summaryJsonBytes: JSON.stringify(q[0]).length, meanMos: q.reduce((a, x) => a + (x.mos ?? 0), 0) / q.length };
      })() : undefined;
      const srtpDropped = srtp ? secured.reduce((a, s) => a + (s.summary()?.rtp.dropped ?? 0), 0) : undefined;
      await Promise.all(sockets.map((s) => s.close()));
      await transport.close();
      process.stdout.write(
        JSON.stringify({ sent, missed, received, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, rss, engine, monitor, ...(srtpDropped !== undefined ? { srtpDropped } : {}) }) + '\n',
      );
    })();
  }, 300);
}, seconds * 1000);
