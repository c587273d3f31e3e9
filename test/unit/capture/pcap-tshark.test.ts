/**
 * The phone's own pcap files read by the real tshark: SIP over UDP and TCP dissected in order (a message
 * split over three segments, two messages in one segment, twenty on one connection), RTP with a lost and a
 * reordered packet counted as tshark counts them, IPv6, every checksum good, a file whose writer was
 * never closed (the process killed mid-call) still readable, and one whose process exited before the
 * asynchronous writes drained finished by the exit hook.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PacketCapture, type Endpoint } from '../../../src/capture/packet-capture.js';
import { fileSink, PcapWriter } from '../../../src/capture/pcap-writer.js';
import { ManualClock } from '../../../src/util/clock.js';
import { buildRtp } from '../../support/pcap.js';
import { CHECK_CHECKSUMS, tsharkFields, tsharkRaw, tsharkRtpStreams } from '../../support/tshark.js';

const tmp = mkdtempSync(join(tmpdir(), 'umphone-pcap-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
const PHONE: Endpoint = { address: '127.0.0.1', port: 40123 };
const SERVER: Endpoint = { address: '127.0.0.1', port: 5060 };

function sipRequest(method: string, cseq: number, body = ''): Buffer {
  return Buffer.from(
    `${method} sip:ivr@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:40123;branch=z9hG4bK-${cseq}\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:phone@127.0.0.1>;tag=a${cseq}\r\nTo: <sip:ivr@127.0.0.1>\r\n` +
      `Call-ID: call-${cseq}@umphone\r\nCSeq: ${cseq} ${method}\r\n` +
      (body ? 'Content-Type: application/sdp\r\n' : '') +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

function sipResponse(status: number, reason: string, cseq: number, method: string): Buffer {
  return Buffer.from(
    `SIP/2.0 ${status} ${reason}\r\nVia: SIP/2.0/TCP 127.0.0.1:40123;branch=z9hG4bK-${cseq}\r\n` +
      `From: <sip:phone@127.0.0.1>;tag=a${cseq}\r\nTo: <sip:ivr@127.0.0.1>;tag=b\r\nCall-ID: call-${cseq}@umphone\r\n` +
      `CSeq: ${cseq} ${method}\r\nContent-Length: 0\r\n\r\n`,
  );
}

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';

/** A capture into `name`, with a manual clock; `done()` closes it, waits for the disk, and returns the path. */
function capture(name: string): { cap: PacketCapture; writer: PcapWriter; clock: ManualClock; done: () => Promise<string> } {
  const path = join(tmp, name);
  const clock = new ManualClock();
  const writer = new PcapWriter(fileSink(path), { clock });
  return { cap: new PacketCapture(writer), writer, clock, done: async () => (await writer.close(), path) };
}

/** [method or status] per SIP PDU, in file order (a frame with two PDUs gives two entries). */
function sipSequence(path: string, extra: readonly string[] = []): string[] {
  return tsharkFields(path, ['sip.Method', 'sip.Status-Code'], { filter: 'sip', extra }).flatMap(([methods, statuses]) => {
    // A frame holding a request and a response is not produced by these tests; each row is one kind.
    const m = methods ? methods.split(',') : [];
    const s = statuses ? statuses.split(',') : [];
    return [...m, ...s];
  });
}

describe('pcap files read by tshark', () => {
  it('SIP over UDP: each datagram one SIP message, in order, checksums good', async () => {
    const { cap, done } = capture('sip-udp.pcap');
    cap.udp(T0, PHONE, SERVER, sipRequest('INVITE', 1, SDP));
    cap.udp(T0 + 30, SERVER, PHONE, sipResponse(100, 'Trying', 1, 'INVITE'));
    cap.udp(T0 + 400, SERVER, PHONE, sipResponse(180, 'Ringing', 1, 'INVITE'));
    cap.udp(T0 + 900, SERVER, PHONE, sipResponse(200, 'OK', 1, 'INVITE'));
    cap.udp(T0 + 901, PHONE, SERVER, sipRequest('ACK', 1));
    const path = await done();
    expect(sipSequence(path)).toEqual(['INVITE', '100', '180', '200', 'ACK']);
    const rows = tsharkFields(path, ['frame.time_epoch', 'ip.checksum.status', 'udp.checksum.status', 'udp.srcport'], { extra: CHECK_CHECKSUMS });
    expect(rows.map((r) => Math.round(Number(r[0]) * 1000) - T0)).toEqual([0, 30, 400, 900, 901]);
    // tshark's checksum status 1 is "Good".
    expect(rows.map((r) => [r[1], r[2]])).toEqual(Array(5).fill(['1', '1']));
    expect(rows.map((r) => r[3])).toEqual(['40123', '5060', '5060', '5060', '40123']);
  });

  it('SIP over TCP: handshake, a message split over 3 segments, two messages in one segment, FIN', async () => {
    const { cap, done } = capture('sip-tcp.pcap');
    const invite = sipRequest('INVITE', 1, SDP);
    // The stack wrote the INVITE in three pieces (as a slow socket would), then got two responses at once.
    const cut1 = 100;
    const cut2 = 300;
    cap.tcpData(T0, PHONE, SERVER, 'local', invite.subarray(0, cut1));
    cap.tcpData(T0 + 1, PHONE, SERVER, 'local', invite.subarray(cut1, cut2));
    cap.tcpData(T0 + 2, PHONE, SERVER, 'local', invite.subarray(cut2));
    cap.tcpData(T0 + 50, PHONE, SERVER, 'remote', Buffer.concat([sipResponse(100, 'Trying', 1, 'INVITE'), sipResponse(180, 'Ringing', 1, 'INVITE')]));
    cap.tcpData(T0 + 900, PHONE, SERVER, 'remote', sipResponse(200, 'OK', 1, 'INVITE'));
    cap.tcpData(T0 + 901, PHONE, SERVER, 'local', sipRequest('ACK', 1));
    cap.tcpClose(T0 + 5000, PHONE, SERVER, 'local');
    const path = await done();
    expect(sipSequence(path)).toEqual(['INVITE', '100', '180', '200', 'ACK']);
    const rows = tsharkFields(path, ['tcp.flags.str', 'tcp.seq', 'tcp.ack', 'tcp.len', 'tcp.checksum.status', 'tcp.analysis.flags'], {
      extra: CHECK_CHECKSUMS,
    });
    const flags = rows.map((r) => r[0]!.replace(/·/g, '').trim());
    expect(flags.slice(0, 3)).toEqual(['S', 'AS', 'A']);
    expect(flags.slice(-3)).toEqual(['AF', 'AF', 'A']);
    // Relative sequence numbers: the INVITE's three segments follow each other without a gap.
    expect(rows.slice(3, 6).map((r) => [Number(r[1]), Number(r[3])])).toEqual([
      [1, cut1],
      [1 + cut1, cut2 - cut1],
      [1 + cut2, invite.length - cut2],
    ]);
    // The server's first segment acknowledges the whole INVITE.
    expect(Number(rows[6]![2])).toBe(1 + invite.length);
    expect(rows.every((r) => r[4] === '1')).toBe(true);
    // No "previous segment not captured", "ACKed unseen segment", retransmission or window warnings.
    expect(rows.map((r) => r[5]).filter((f) => f !== '')).toEqual([]);
  });

  it('SIP over TCP: 20 messages on one connection and one larger than the MSS, all in order', async () => {
    const { cap, done } = capture('sip-tcp-many.pcap');
    const expected: string[] = [];
    for (let i = 1; i <= 10; i++) {
      cap.tcpData(T0 + i * 100, PHONE, SERVER, 'local', sipRequest('OPTIONS', i));
      cap.tcpData(T0 + i * 100 + 5, PHONE, SERVER, 'remote', sipResponse(200, 'OK', i, 'OPTIONS'));
      expected.push('OPTIONS', '200');
    }
    // A 4 kB MESSAGE body: three segments of at most 1460 bytes.
    const big = Buffer.from(
      sipRequest('MESSAGE', 11)
        .toString()
        .replace('Content-Length: 0\r\n\r\n', `Content-Type: text/plain\r\nContent-Length: 4000\r\n\r\n${'x'.repeat(4000)}`),
    );
    cap.tcpData(T0 + 2000, PHONE, SERVER, 'local', big);
    expected.push('MESSAGE');
    const path = await done();
    expect(sipSequence(path)).toEqual(expected);
    const lens = tsharkFields(path, ['tcp.len'], { filter: 'tcp.len > 0' }).map((r) => Number(r[0]));
    expect(Math.max(...lens)).toBe(1460);
    expect(lens.slice(-3).reduce((a, b) => a + b)).toBe(big.length);
  });

  it('SIP over TCP/IPv6 on a connection joined mid-stream: no handshake, consistent numbers, dissected', async () => {
    const { cap, done } = capture('sip-tcp6-joined.pcap');
    const phone: Endpoint = { address: '2001:db8::1', port: 40200 };
    const server: Endpoint = { address: '2001:db8::2', port: 5060 };
    cap.tcpJoin(phone, server);
    cap.tcpData(T0, phone, server, 'remote', sipRequest('OPTIONS', 7));
    cap.tcpData(T0 + 5, phone, server, 'local', sipResponse(200, 'OK', 7, 'OPTIONS'));
    cap.tcpData(T0 + 9, phone, server, 'local', sipRequest('BYE', 8));
    cap.tcpClose(T0 + 20, phone, server, 'remote');
    const path = await done();
    expect(sipSequence(path)).toEqual(['OPTIONS', '200', 'BYE']);
    const rows = tsharkFields(path, ['tcp.flags.syn', 'tcp.checksum.status', 'tcp.analysis.flags', 'ipv6.src'], { extra: CHECK_CHECKSUMS });
    expect(rows).toHaveLength(6);
    expect(rows.every((r) => r[0] === '0' && r[1] === '1' && r[2] === '')).toBe(true);
    expect(rows[0]![3]).toBe('2001:db8::2');
  });

  it('plain SIP written for a TLS connection on port 5061 is dissected as SIP', async () => {
    const { cap, done } = capture('sip-tls-plain.pcap');
    const tls: Endpoint = { address: '127.0.0.1', port: 5061 };
    cap.tcpData(T0, PHONE, tls, 'local', sipRequest('REGISTER', 1));
    cap.tcpData(T0 + 10, PHONE, tls, 'remote', sipResponse(200, 'OK', 1, 'REGISTER'));
    expect(sipSequence(await done())).toEqual(['REGISTER', '200']);
  });

  it('IPv6 UDP: addresses, ports and the UDP checksum (mandatory over IPv6) as sent', async () => {
    const { cap, done } = capture('sip-udp6.pcap');
    const a: Endpoint = { address: '::1', port: 5062 };
    const b: Endpoint = { address: '2001:db8::10', port: 5060 };
    cap.udp(T0, a, b, sipRequest('OPTIONS', 1));
    cap.udp(T0 + 20, b, a, sipResponse(200, 'OK', 1, 'OPTIONS'));
    const path = await done();
    expect(sipSequence(path)).toEqual(['OPTIONS', '200']);
    const rows = tsharkFields(path, ['ipv6.src', 'ipv6.dst', 'udp.dstport', 'udp.checksum.status'], { extra: CHECK_CHECKSUMS });
    expect(rows).toEqual([
      ['::1', '2001:db8::10', '5060', '1'],
      ['2001:db8::10', '::1', '5062', '1'],
    ]);
  });

  it('RTP with one packet lost and two swapped: tshark counts 49 packets, 1 lost, and flags the disorder', async () => {
    const { cap, done } = capture('rtp.pcap');
    const from: Endpoint = { address: '127.0.0.1', port: 20000 };
    const to: Endpoint = { address: '127.0.0.1', port: 30000 };
    const order = Array.from({ length: 50 }, (_, k) => k).filter((k) => k !== 10);
    const at = order.indexOf(20);
    [order[at], order[at + 1]] = [21, 20];
    order.forEach((k, slot) => cap.udp(T0 + slot * 20, from, to, buildRtp({ pt: 0, seq: 1000 + k, ts: 160 * k, ssrc: 0x1234, payload: Buffer.alloc(160, 0xff) })));
    const path = await done();
    const seqs = tsharkFields(path, ['rtp.seq'], { extra: ['-d', 'udp.port==30000,rtp'] }).map((r) => Number(r[0]));
    expect(seqs).toEqual(order.map((k) => 1000 + k));
    expect(tsharkRtpStreams(path, 30000)).toMatchObject([{ ssrc: 0x1234, payload: 'g711U', packets: 49, lost: 1, maxDeltaMs: 20, problem: true }]);
    // Found without being told the port, too.
    expect(tsharkRtpStreams(path)).toMatchObject([{ ssrc: 0x1234, packets: 49, lost: 1 }]);
  });

  it('a file whose writer was never closed (process killed mid-call) reads up to the last flushed record', async () => {
    const path = join(tmp, 'killed.pcap');
    // A child process writes 30 datagrams, lets the flush timer run, writes 5 more and kills itself.
    const script = `
      import { ManualClock } from ${JSON.stringify(new URL('../../../src/util/clock.ts', import.meta.url).pathname)};
      import { PcapWriter, fileSink } from ${JSON.stringify(new URL('../../../src/capture/pcap-writer.ts', import.meta.url).pathname)};
      import { PacketCapture } from ${JSON.stringify(new URL('../../../src/capture/packet-capture.ts', import.meta.url).pathname)};
      const clock = new ManualClock();
      const writer = new PcapWriter(fileSink(${JSON.stringify(path)}), { clock, flushIntervalMs: 100 });
      const cap = new PacketCapture(writer);
      const a = { address: '127.0.0.1', port: 20000 }, b = { address: '127.0.0.1', port: 30000 };
      for (let i = 0; i < 35; i++) {
        cap.udp(${T0} + i * 20, a, b, Buffer.alloc(172, i));
        // The flush queues the first 30 for the disk; the writes are asynchronous: wait for them.
        if (i === 29) { clock.advance(100); await writer.whenWritten(); }
      }
      process.kill(process.pid, 'SIGKILL');
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal, r.stderr).toBe('SIGKILL');
    expect(statSync(path).size).toBe(24 + 30 * (16 + 14 + 20 + 8 + 172));
    const read = tsharkRaw(path, ['-T', 'fields', '-e', 'frame.number']);
    expect(read.stderr).toBe('');
    expect(read.status).toBe(0);
    expect(read.stdout.trim().split('\n')).toHaveLength(30);
    // A kill in the middle of a write (a record cut short) still yields every whole record before it.
    const cut = join(tmp, 'cut.pcap');
    rmSync(cut, { force: true });
    const whole = readFileSync(path);
    const sink = fileSink(cut);
    sink.writeSync([whole.subarray(0, whole.length - 50)], 0);
    sink.closeSync();
    const partial = tsharkRaw(cut, ['-T', 'fields', '-e', 'frame.number']);
    expect(partial.stdout.trim().split('\n')).toHaveLength(29);
    expect(partial.stderr).toMatch(/cut short in the middle of a packet/);
  });

  it('a process that exits with records queued or unflushed (process.exit after a second Ctrl-C) leaves them all', () => {
    const path = join(tmp, 'exited.pcap');
    // 35 datagrams: 30 queued by the flush timer (their write not yet done), 5 still in the chunk; then exit.
    const script = `
      import { ManualClock } from ${JSON.stringify(new URL('../../../src/util/clock.ts', import.meta.url).pathname)};
      import { PcapWriter, fileSink } from ${JSON.stringify(new URL('../../../src/capture/pcap-writer.ts', import.meta.url).pathname)};
      import { PacketCapture } from ${JSON.stringify(new URL('../../../src/capture/packet-capture.ts', import.meta.url).pathname)};
      const clock = new ManualClock();
      const writer = new PcapWriter(fileSink(${JSON.stringify(path)}), { clock, flushIntervalMs: 100 });
      const cap = new PacketCapture(writer);
      const a = { address: '127.0.0.1', port: 20000 }, b = { address: '127.0.0.1', port: 30000 };
      for (let i = 0; i < 35; i++) {
        cap.udp(${T0} + i * 20, a, b, Buffer.alloc(172, i));
        if (i === 29) clock.advance(100);
      }
      process.exit(3);
    `;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(3);
    expect(statSync(path).size).toBe(24 + 35 * (16 + 14 + 20 + 8 + 172));
    const read = tsharkRaw(path, ['-T', 'fields', '-e', 'frame.number']);
    expect(read.stderr).toBe('');
    expect(read.stdout.trim().split('\n')).toHaveLength(35);
  });
});
