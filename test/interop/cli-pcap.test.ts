/**
 * `umphone call --pcap FILE`: the phone writes the call's packets itself, and tshark (no settings but
 * the RTP heuristic) reads back the SIP flow in order on the real ports, and both RTP directions with
 * the packet counts of our own --json summary. Against SIPp over TCP (a 302 front and a worker), the
 * built-in UM server's 302 (TCP), and baresip over UDP.
 *
 * Where the native RTP engine is built, the calls run on it (asked for explicitly, so an environment's
 * UMPHONE_RTP_ENGINE cannot change what is tested): its I/O thread writes the RTP/RTCP records and the
 * SIP frames go into the same native file (CallCapture `native`). Without the addon the JavaScript
 * capture writes it all, and the same checks hold.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWavForPlaybackSync } from '../../src/media/wav/reader.js';
import { UmServer } from '../../src/um/server.js';
import { killAllChildren, pollUntil, type ExitInfo } from '../support/child-process.js';
import { ROOT, umphone } from '../support/umphone-cli.js';
import { startSipp, scenarioPath } from '../support/sipp.js';
import { startBaresip } from '../support/baresip.js';
import { freeSipPort } from '../support/ports.js';
import { writeG711Pcap } from '../support/pcap.js';
import { tsharkFields, tsharkRtpStreams } from '../support/tshark.js';
import { nativeRtpIoUnavailable } from '../../src/rtp/io-native.js';
import { DEFAULT_LEAD_MS } from '../../src/rtp/io-engine.js';

const dir = mkdtempSync(join(tmpdir(), 'umphone-pcap-'));
const prompt = loadWavForPlaybackSync(join(ROOT, 'audio/prompts/greeting-613.wav')).samples;
const audio = join(dir, 'greeting.pcap');
writeG711Pcap(audio, prompt, { law: 'PCMU' });

afterAll(() => killAllChildren());

const ENGINE = nativeRtpIoUnavailable() ? [] : ['--rtp-engine', 'native'];

/**
 * Packets our counters and the file may disagree on: a datagram that arrives between the media's stop
 * (the summary's figures) and the end of the call is in the file but not in the summary.
 */
const RTP_TOLERANCE = 3;

/**
 * With the native engine the I/O thread writes the received datagrams until the pair closes, and the pair
 * closes up to the lead (20 ms a packet) after the media stopped, once the last packets produced have left:
 * what arrives meanwhile is in the file, not in the summary. So are datagrams the thread read before the
 * stop but had not yet handed to a busy main thread (4 seen under load).
 */
const END_WINDOW = nativeRtpIoUnavailable() ? 0 : Math.ceil(DEFAULT_LEAD_MS / 20);

interface Summary { rtp: { sent: { packets: number }; received: { packets: number } } }

/** The SIP messages in the file: [method or status, source port, destination port, transport]. */
function sipFlow(file: string): Array<{ what: string; src: number; dst: number; proto: string }> {
  return tsharkFields(file, ['sip.Method', 'sip.Status-Code', 'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport', 'sip.CSeq.method'], { filter: 'sip' })
    .map(([method, status, us, ud, ts, td, cseq]) => ({
      what: method ? method : `${status} ${cseq}`,
      src: Number(us || ts),
      dst: Number(ud || td),
      proto: us ? 'udp' : 'tcp',
    }));
}

/** Both RTP directions are in the file with our summary's counts. */
function expectRtpMatches(file: string, summary: Summary, ourRtpPort: number): void {
  const streams = tsharkRtpStreams(file);
  const sent = streams.find((s) => s.srcPort === ourRtpPort);
  const received = streams.find((s) => s.dstPort === ourRtpPort);
  expect(sent, JSON.stringify(streams)).toBeDefined();
  expect(received, JSON.stringify(streams)).toBeDefined();
  expect(summary.rtp.sent.packets).toBeGreaterThan(20);
  expect(summary.rtp.received.packets).toBeGreaterThan(20);
  console.info(`cli-pcap: sent ${sent!.packets} in the file / ${summary.rtp.sent.packets} in the summary, received ${received!.packets} / ${summary.rtp.received.packets}`);
  expect(Math.abs(sent!.packets - summary.rtp.sent.packets)).toBeLessThanOrEqual(RTP_TOLERANCE);
  expect(summary.rtp.received.packets - received!.packets).toBeLessThanOrEqual(RTP_TOLERANCE);
  expect(received!.packets - summary.rtp.received.packets).toBeLessThanOrEqual(RTP_TOLERANCE + END_WINDOW);
}

/** Our RTP port: the m= port of the first SDP we sent (the INVITE's offer). */
function ourRtpPort(file: string): number {
  const rows = tsharkFields(file, ['sdp.media.port'], { filter: 'sip.Method == "INVITE"' });
  return Number(rows[0]![0]);
}

function expectOk(r: ExitInfo): void {
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
}

describe('umphone call --pcap', () => {
  it('SIPp over TCP: a 302 front and a worker, the flow in order on the real ports, RTP both ways', async () => {
    const workerPort = await freeSipPort();
    const worker = await startSipp({ scenario: scenarioPath('uas-answer-play-bye.xml'), transport: 't1', localPort: workerPort, files: { 'audio.pcap': audio }, pauseMs: 1500 });
    const front = await startSipp({
      scenario: scenarioPath('uas-redirect-302.xml'), transport: 't1',
      vars: { target_user: '680', target_port: String(workerPort), target_transport: 'Tcp' },
    });
    const file = join(dir, 'sipp-{callid}.pcap');
    const json = join(dir, 'sipp.json');
    try {
      const r = await umphone(['call', `sip:680@${front.address}`, '--from', '111', '--no-audio', '--pcap', file, '--json', json, '-q', ...ENGINE]).exited;
      expectOk(r);
      const written = readdir('sipp-');
      expect(written).toHaveLength(1);
      const path = join(dir, written[0]!);
      const flow = sipFlow(path);
      const frontPort = front.localPort;
      const toFront = flow.filter((m) => m.dst === frontPort || m.src === frontPort);
      const toWorker = flow.filter((m) => m.dst === workerPort || m.src === workerPort);
      expect(toFront.map((m) => m.what).filter((w) => !/^1\d\d /.test(w))).toEqual(['INVITE', '302 INVITE', 'ACK']);
      expect(toFront[0]!.dst).toBe(frontPort);
      expect(toFront.find((m) => m.what === '302 INVITE')!.src).toBe(frontPort);
      // The worker's flow: INVITE, provisional responses, 200, ACK, then SIPp's BYE and our 200.
      const worker1 = toWorker.map((m) => m.what).filter((w) => !/^1\d\d /.test(w));
      expect(worker1).toEqual(['INVITE', '200 INVITE', 'ACK', 'BYE', '200 BYE']);
      expect(toWorker[0]!.dst).toBe(workerPort);
      expect(flow.every((m) => m.proto === 'tcp')).toBe(true);
      // All of the front's messages come before the worker's.
      expect(flow.indexOf(toFront[2]!)).toBeLessThan(flow.indexOf(toWorker[0]!));
      const summary = JSON.parse(readFileSync(json, 'utf8')) as Summary;
      expectRtpMatches(path, summary, ourRtpPort(path));
    } finally {
      await front.kill();
      await worker.kill();
    }
  });

  it('the built-in UM server: INVITE, 302, ACK to the front, then the worker answers (TCP)', async () => {
    const server = await UmServer.start({ port: 0, workerPort: 0, dataDir: mkdtempSync(join(dir, 'um-')) });
    const file = join(dir, 'um.pcap');
    const json = join(dir, 'um.json');
    try {
      const r = await umphone(['call', `sip:6000@127.0.0.1:${server.port}`, '--from', '111', '--no-audio', '--duration', '3', '--pcap', file, '--json', json, '-q', ...ENGINE]).exited;
      expectOk(r);
      const flow = sipFlow(file);
      const whats = flow.map((m) => m.what).filter((w) => !/^1\d\d /.test(w));
      expect(whats.slice(0, 5)).toEqual(['INVITE', '302 INVITE', 'ACK', 'INVITE', '200 INVITE']);
      expect(whats.slice(5)).toEqual(['ACK', 'BYE', '200 BYE']);
      expect(flow[0]!.dst).toBe(server.port);
      expect(flow[1]!.src).toBe(server.port);
      expect(flow[3]!.dst).not.toBe(server.port);
      const summary = JSON.parse(readFileSync(json, 'utf8')) as Summary;
      expectRtpMatches(file, summary, ourRtpPort(file));
    } finally {
      await server.close();
    }
  });

  it('baresip over UDP: the flow as UDP datagrams and RTP both ways', async () => {
    const b = await startBaresip({ transport: 'udp' });
    const file = join(dir, 'udp.pcap');
    const json = join(dir, 'udp.json');
    try {
      const r = await umphone(['call', b.uri, '--transport', 'udp', '--duration', '3', '--no-audio', '--pcap', file, '--json', json, '-q', ...ENGINE]).exited;
      expectOk(r);
      const flow = sipFlow(file);
      expect(flow.map((m) => m.what).filter((w) => !/^1\d\d /.test(w))).toEqual(['INVITE', '200 INVITE', 'ACK', 'BYE', '200 BYE']);
      expect(flow.every((m) => m.proto === 'udp')).toBe(true);
      const summary = JSON.parse(readFileSync(json, 'utf8')) as Summary;
      expectRtpMatches(file, summary, ourRtpPort(file));
    } finally {
      await b.stop();
    }
  });
});

describe('umphone listen --pcap', () => {
  it('a SIPp caller over UDP: one file per call named by {n}, its INVITE included, RTP both ways', async () => {
    const port = await freeSipPort();
    const template = join(dir, `in-${port}-{n}.pcap`);
    const child = umphone(['listen', '--local-ip', '127.0.0.1', '--port', String(port), '--auto-answer', '--no-audio', '--pcap', template, ...ENGINE]);
    try {
      await pollUntil('"listening on" on stdout', () => /listening on/.test(child.stdout()) || child.hasExited(), 30_000);
      const caller = await startSipp({
        scenario: scenarioPath('uac-invite-rtp.xml'), transport: 'u1', remote: `127.0.0.1:${port}`, service: '613',
        files: { 'audio.pcap': audio }, pauseMs: 3000,
      });
      expect((await caller.exited).code, caller.describe()).toBe(0);
      await pollUntil('the call summary', () => /Call 1 summary/.test(child.stdout()), 10_000);
      child.proc.kill('SIGINT');
      expect((await child.exited).code).toBe(0);
      const file = template.replace('{n}', '1');
      const flow = sipFlow(file);
      expect(flow.map((m) => m.what).filter((w) => !/^1\d\d /.test(w))).toEqual(['INVITE', '200 INVITE', 'ACK', 'BYE', '200 BYE']);
      expect(flow[0]!.dst).toBe(port);
      expect(flow.every((m) => m.proto === 'udp')).toBe(true);
      const ours = Number(tsharkFields(file, ['sdp.media.port'], { filter: 'sip.Status-Code == 200 && sdp' })[0]![0]);
      const streams = tsharkRtpStreams(file);
      expect(streams.find((s) => s.srcPort === ours)?.packets ?? 0, JSON.stringify(streams)).toBeGreaterThan(50);
      expect(streams.find((s) => s.dstPort === ours)?.packets ?? 0, JSON.stringify(streams)).toBeGreaterThan(50);
    } finally {
      await child.kill();
    }
  });
});

function readdir(prefix: string): string[] {
  return readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.pcap'));
}
