/**
 * The process under test of the RTP pacing benchmark ("the phone"): one Pacer with a precise wake, N
 * RtpSenders of 160-byte PCMU frames, each on its own UDP socket that also receives what the peer sends
 * back (symmetric RTP). It runs in a process of its own so its CPU and memory are its own, and so the
 * benchmark can start it under `chrt` like SIPp.
 *
 * Usage: node --import tsx rtp-pacer-process.ts SECONDS PORT1,PORT2,...  Prints one JSON line when done.
 */
import * as dgram from 'node:dgram';
import { RealClock } from '../../src/util/clock.js';
import { Pacer } from '../../src/rtp/pacer.js';
import { preciseWake } from '../../src/rtp/pacer-wake.js';
import { RtpSender } from '../../src/rtp/sender.js';

const seconds = Number(process.argv[2]);
const peerPorts = String(process.argv[3]).split(',').map(Number);

const sockets = await Promise.all(
  peerPorts.map(async () => {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    return s;
  }),
);
let received = 0;
for (const s of sockets) s.on('message', () => received++);
const clock = new RealClock();
const pacer = new Pacer({ clock, wake: preciseWake({ clock }) });
const payload = Buffer.alloc(160, 0xff);
const senders = sockets.map(
  (s, i) =>
    new RtpSender({
      clock,
      socket: { send: (b, port, address) => s.send(b, port, address) },
      remote: { address: '127.0.0.1', port: peerPorts[i]! },
      source: { poll: () => ({ payload, payloadType: 0 }) },
    }),
);
const cpu0 = process.cpuUsage();
const t0 = clock.now();
for (const s of senders) s.start(pacer);
clock.setTimeout(() => {
  for (const s of senders) s.stop();
  pacer.close();
  const cpu = process.cpuUsage(cpu0);
  const wallMs = clock.now() - t0;
  const rss = process.memoryUsage().rss;
  // Let the last echoes arrive before counting them.
  clock.setTimeout(() => {
    const sent = senders.reduce((a, s) => a + s.packetsSent, 0);
    process.stdout.write(JSON.stringify({ sent, received, cpuMs: (cpu.user + cpu.system) / 1000, wallMs, rss }) + '\n');
    for (const s of sockets) s.close();
  }, 200);
}, seconds * 1000);
