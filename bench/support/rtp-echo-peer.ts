/**
 * The far end of the pacing benchmark, in a process of its own: N UDP sockets on 127.0.0.1 that send
 * every datagram straight back where it came from, so RTP flows both ways (each call of the process
 * under test receives as many packets as it sends, on the port it sends from).
 *
 * Usage: node --import tsx rtp-echo-peer.ts N. Prints the bound ports as one JSON line, then echoes
 * until stdin closes; then prints {"echoed": n}.
 */
import * as dgram from 'node:dgram';

const n = Number(process.argv[2] ?? 1);
let echoed = 0;
const sockets: dgram.Socket[] = [];
await Promise.all(
  Array.from({ length: n }, async () => {
    const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
    s.on('message', (msg, rinfo) => {
      echoed++;
      s.send(msg, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    sockets.push(s);
  }),
);
process.stdout.write(JSON.stringify({ ports: sockets.map((s) => s.address().port) }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => {
  process.stdout.write(JSON.stringify({ echoed }) + '\n');
  for (const s of sockets) s.close();
  process.exit(0);
});
