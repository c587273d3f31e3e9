/**
 * The UM server's front on the wire: OPTIONS 200, the 302 to the worker in Exchange's style (raw
 * bytes over a TCP socket, compared with the captured Exchange 2010 302), the two-hop redirect of
 * Exchange 2013+, forwards answered 302 before answering, and the phone following both hops.
 */
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { UmServer } from '../../src/um/server.js';
import { Phone } from '../../src/phone/phone.js';
import type { UmLogEntry } from '../../src/um/sip-log.js';

const dir = mkdtempSync(join(tmpdir(), 'um-front-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let server: UmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Send raw SIP over TCP and collect what comes back until `until` matches. */
async function exchange(port: number, text: string, until: RegExp): Promise<string> {
  const sock: Socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((res, rej) => sock.once('connect', res).once('error', rej));
  let got = '';
  const done = new Promise<string>((resolve, reject) => {
    sock.on('data', (b) => {
      got += b.toString('utf8');
      if (until.test(got)) resolve(got);
    });
    sock.once('error', reject);
  });
  sock.write(text.replace(/\n/g, '\r\n'));
  try {
    return await done;
  } finally {
    sock.destroy();
  }
}

function invite(port: number, user: string, branch: string): string {
  return `INVITE sip:${user}@127.0.0.1:${port};user=phone SIP/2.0
Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK${branch}
From: "Gateway" <sip:110@127.0.0.1;user=phone>;tag=gw1
To: <sip:${user}@127.0.0.1;user=phone>
Call-ID: ${branch}@127.0.0.1
CSeq: 1 INVITE
Contact: <sip:110@127.0.0.1:5999;transport=tcp>
Max-Forwards: 70
Content-Length: 0

`;
}

describe('UM server front', () => {
  it('answers OPTIONS 200 with upper-case headers and SERVER', async () => {
    server = await UmServer.start({ port: 0, workerPort: 0, dataDir: dir });
    const res = await exchange(server.port, `OPTIONS sip:127.0.0.1:${server.port};transport=TCP SIP/2.0
Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bKopt1
From: <sip:gw@127.0.0.1>;tag=o1
To: <sip:127.0.0.1>
Call-ID: opt1@127.0.0.1
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

`, /\r\n\r\n/);
    expect(res).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(res).toMatch(/\r\nALLOW: [^\r]*INVITE/);
    expect(res).toMatch(/\r\nSERVER: RTCC\/3\.5\.0\.0\r\n/);
  });

  it('redirects an INVITE with a 302 shaped like Exchange 2010\'s', async () => {
    server = await UmServer.start({ port: 0, workerPort: 0, dataDir: dir });
    const res = await exchange(server.port, invite(server.port, '6000', 'inv1'), /\r\n\r\n/);
    const lines = res.split('\r\n');
    expect(lines[0]).toBe('SIP/2.0 302 Moved Temporarily');
    // The captured Exchange 2010 302 (test/fixtures/conformance/samples/exchange2010-302-to-worker.sip):
    // FROM, TO, CSEQ, CALL-ID, VIA, CONTACT, CONTENT-LENGTH, SERVER, in that order, in upper case.
    const names = lines.slice(1).filter((l) => l.includes(':')).map((l) => l.slice(0, l.indexOf(':')));
    expect(names).toEqual(['FROM', 'TO', 'CSEQ', 'CALL-ID', 'VIA', 'CONTACT', 'CONTENT-LENGTH', 'SERVER']);
    expect(res).toContain(`\r\nCONTACT: <sip:6000@127.0.0.1:${server.worker.port};user=phone;transport=Tcp;maddr=127.0.0.1>\r\n`);
    expect(res).toMatch(/\r\nTO: <sip:6000@127\.0\.0\.1;user=phone>;tag=[0-9a-f]+\r\n/);
    expect(res).toContain('\r\nCONTENT-LENGTH: 0\r\n');
  });

  it('with --redirect-hops 2: call router → UM service → worker, and the phone follows both', async () => {
    const log: UmLogEntry[] = [];
    server = await UmServer.start({ port: 0, workerPort: 0, umServicePort: 0, redirectHops: 2, dataDir: dir, log: (e) => log.push(e) });
    expect(server.fronts).toHaveLength(2);
    const first = await exchange(server.port, invite(server.port, '6000', 'hop1'), /\r\n\r\n/);
    expect(first).toContain(`CONTACT: <sip:6000@127.0.0.1:${server.fronts[1]!.port};user=phone;transport=Tcp;maddr=127.0.0.1>`);

    const phone = await Phone.create({ localIp: '127.0.0.1' });
    try {
      const call = await phone.call(server.pilotUri, { from: '111' });
      const s = call.summary();
      expect(s.redirects.map((r) => r.status)).toEqual([302, 302, 200]);
      expect(s.redirects[2]!.uri).toContain(`:${server.worker.port};transport=Tcp;maddr=127.0.0.1`);
      expect(s.codec).toMatch(/^PCMU/);
      const next = server.worker.nextCallEnded();
      await call.hangup();
      const ended = await next;
      expect(ended.kind).toBe('subscriber-access');
    } finally {
      await phone.close();
    }
    expect(log.filter((e) => e.kind === 'call' && /redirecting 6000/.test(e.line)).map((e) => e.role)).toEqual(['call router', 'call router', 'UM service']);
  });

  it('the worker answers with the first offered of PCMU/PCMA and telephone-event', async () => {
    server = await UmServer.start({ port: 0, workerPort: 0, dataDir: dir });
    const phone = await Phone.create({ localIp: '127.0.0.1' });
    try {
      const call = await phone.call(server.pilotUri, { codecs: ['PCMA', 'PCMU'] });
      expect(call.summary().codec).toMatch(/^PCMA\/8000 \(PT 8\), telephone-event PT 101/);
      await call.hangup();
    } finally {
      await phone.close();
    }
  });

  it('a forwarded number is redirected by the worker before answering (302 to the extension)', async () => {
    server = await UmServer.start({ port: 0, workerPort: 0, dataDir: dir });
    const res = await exchange(server.worker.port, invite(server.worker.port, '6099', 'fwd1'), /\r\n\r\n/);
    expect(res).toMatch(/^SIP\/2\.0 302 Moved Temporarily\r\n/);
    expect(res).toMatch(/\r\nCONTACT: <sip:613@127\.0\.0\.1:\d+;transport=Tcp;maddr=127\.0\.0\.1>\r\n/);
  });
});
