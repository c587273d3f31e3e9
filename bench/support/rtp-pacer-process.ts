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
 * Usage: node --import tsx rtp-pacer-process.ts SECONDS PORT1,PORT2,... [main|native]. Prints one JSON
 * line when done.
 */
import { RealClock } from '../../src/util/clock.js';
import { requestRealtime } from '../../src/cli/realtime.js';
import { RtpSender } from '../../src/rtp/sender.js';
import { createRtpTransport, type RtpEngineMode } from '../../src/rtp/rtp-transport.js';

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
const sockets = await Promise.all(peerPorts.map(() => transport.openSocketPair({ address: '127.0.0.1', port: 0, rtcpMux: true })));
let received = 0;
for (const s of sockets) s.onRtp(() => received++);
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
      source: { poll },
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
      await Promise.all(sockets.map((s) => s.close()));
      await transport.close();
      process.stdout.write(
        JSON.stringify({ sent, missed, received, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, rss, engine }) + '\n',
      );
    })();
  }, 300);
}, seconds * 1000);
