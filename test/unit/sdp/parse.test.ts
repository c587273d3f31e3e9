import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SdpParseError,
  fmtp,
  mediaConnection,
  mediaDirection,
  parseSdp,
  ptime,
  maxptime,
  rtcpAttribute,
  rtpMaps,
  serializeSdp,
} from '../../../src/sdp/index.js';

const samples = new URL('../../fixtures/conformance/samples/', import.meta.url);

/** The body of a captured .sip message: what follows the first blank line. */
function sampleBody(name: string): string {
  const text = readFileSync(new URL(name, samples), 'latin1');
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) throw new Error(`${name} has no body`);
  return text.slice(m.index + m[0].length);
}

const crlf = (lines: string[]) => lines.join('\r\n') + '\r\n';

describe('parseSdp on captured bodies', () => {
  it('Asterisk 200 OK: seven codecs, static PTs with rtpmap, telephone-event 101 0-16, unknown attribute kept', () => {
    const body = sampleBody('ss-asterisk-200-sdp.sip');
    const sd = parseSdp(body);
    expect(sd.origin).toEqual({ username: 'root', sessionId: '24710', sessionVersion: '24712', netType: 'IN', addrType: 'IP4', address: '213.168.225.133' });
    expect(sd.connection?.address).toBe('213.168.225.133');
    const m = sd.media[0]!;
    expect([m.type, m.port, m.protocol, m.formats]).toEqual(['audio', 18656, 'RTP/AVP', ['0', '8', '18', '3', '97', '111', '101']]);
    expect(rtpMaps(m).get(101)).toEqual({ payloadType: 101, encoding: 'telephone-event', clockRate: 8000 });
    expect(rtpMaps(m).get(111)?.encoding).toBe('G726-32');
    expect(fmtp(m, 101)).toBe('0-16');
    expect(m.attributes.at(-1)).toEqual({ name: 'silenceSupp', value: 'off - - - -' });
    expect(serializeSdp(sd)).toBe(body);
  });

  it('Avaya INVITE: session-level a=sendrecv, RFC 3605 a=rtcp with address, no final line end', () => {
    const body = sampleBody('ss-avaya-invite-sdp.sip');
    expect(body.endsWith('\r\n')).toBe(false);
    const sd = parseSdp(body);
    const m = sd.media[0]!;
    expect(mediaDirection(sd, m)).toBe('sendrecv');
    expect(sd.attributes).toEqual([{ name: 'sendrecv' }]);
    expect(rtcpAttribute(m)).toEqual({ port: 20027, address: '10.1.1.241' });
    expect(ptime(m)).toBe(20);
    expect(fmtp(m, 18)).toBe('annexb=no');
    expect(serializeSdp(sd)).toBe(body + '\r\n');
  });

  it('Netgear ATA: duplicate payload type 101 with two rtpmaps: the first one counts', () => {
    const sd = parseSdp(sampleBody('ss-netgear-invite-sdp.sip'));
    const maps = rtpMaps(sd.media[0]!);
    expect([...maps.keys()]).toEqual([0, 101, 18, 100, 2, 103, 8]);
    expect(maps.get(101)?.encoding).toBe('telephone-event');
    expect(maps.get(8)?.encoding).toBe('PCMA');
  });

  it('X-Lite: lower-case codec names', () => {
    const sd = parseSdp(sampleBody('ss-xten-invite-sdp.sip'));
    expect(rtpMaps(sd.media[0]!).get(0)?.encoding).toBe('pcmu');
  });

  it('IMS 183: IPv6 c=, telephone-event on 100 with 0-15, maxptime, precondition attributes kept', () => {
    const sd = parseSdp(sampleBody('ims-183-sdp.sip'));
    const m = sd.media[0]!;
    expect(mediaConnection(sd, m)).toEqual({ netType: 'IN', addrType: 'IP6', address: '2409:8805:84e1:3555:0000:0000:0000:0001' });
    expect(fmtp(m, 100)).toBe('0-15');
    expect(maxptime(m)).toBe(240);
    expect(m.attributes.filter((a) => a.name === 'curr')).toHaveLength(2);
  });

  it('Windows RTC OPTIONS: bare LF line endings and b=CT', () => {
    const body = sampleBody('kamailio-ms-rtc-options-sdp.sip');
    expect(body.includes('\r')).toBe(false);
    const sd = parseSdp(body);
    expect(sd.bandwidths).toEqual([{ type: 'CT', value: 1000 }]);
    expect(sd.media[0]!.formats).toHaveLength(10);
    expect(serializeSdp(sd)).toBe(body.replace(/\n/g, '\r\n'));
  });

  it.each(['ss-asterisk-200-sdp.sip', 'ss-avaya-invite-sdp.sip', 'ss-netgear-invite-sdp.sip', 'ss-xten-invite-sdp.sip', 'ims-183-sdp.sip', 'ims-invite-sdp.sip', 'kamailio-ms-rtc-options-sdp.sip', 'rfc3665-3.2-invite-proxy-authorization-sdp.sip'])(
    '%s: parse(serialize(parse(x))) equals parse(x)',
    (name) => {
      const sd = parseSdp(sampleBody(name));
      const text = serializeSdp(sd);
      expect(parseSdp(text)).toEqual(sd);
      expect(serializeSdp(parseSdp(text))).toBe(text);
    },
  );
});

describe('parseSdp on hand-written real-world shapes', () => {
  it('Exchange UM answer: PCMU + telephone-event 101 0-16', () => {
    const sd = parseSdp(crlf([
      'v=0', 'o=- 0 0 IN IP4 10.0.0.5', 's=session', 'c=IN IP4 10.0.0.5', 'b=CT:1000', 't=0 0',
      'm=audio 30000 RTP/AVP 0 101', 'c=IN IP4 10.0.0.6', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20',
    ]));
    const m = sd.media[0]!;
    expect(mediaConnection(sd, m)?.address).toBe('10.0.0.6');
    expect([...rtpMaps(m).keys()]).toEqual([0, 101]);
  });

  it('static payload types without rtpmap (RFC 3551)', () => {
    const sd = parseSdp('v=0\no=- 1 1 IN IP4 1.2.3.4\ns=-\nc=IN IP4 1.2.3.4\nt=0 0\nm=audio 4000 RTP/AVP 18 0 8 13 9\n');
    expect([...rtpMaps(sd.media[0]!).values()].map((m) => `${m.payloadType} ${m.encoding}/${m.clockRate}`)).toEqual([
      '18 G729/8000', '0 PCMU/8000', '8 PCMA/8000', '13 CN/8000', '9 G722/8000',
    ]);
  });

  it('media-level direction wins over session level', () => {
    const sd = parseSdp(crlf(['v=0', 'o=- 1 1 IN IP4 1.2.3.4', 's=-', 't=0 0', 'a=sendonly', 'm=audio 4000 RTP/AVP 0', 'c=IN IP4 1.2.3.4', 'a=recvonly', 'm=audio 4002 RTP/AVP 0', 'c=IN IP4 1.2.3.4']));
    expect(mediaDirection(sd, sd.media[0]!)).toBe('recvonly');
    expect(mediaDirection(sd, sd.media[1]!)).toBe('sendonly');
  });

  it('all line types, multicast c=, port count, r= and z= round-trip exactly', () => {
    const text = crlf([
      'v=0', 'o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1', 's=Call to John Smith', 'i=SDP Offer #1',
      'u=http://www.jdoe.example.com/home.html', 'e=Jane Doe <jane@jdoe.example.com>', 'p=+1 617 555-6011',
      'c=IN IP4 233.252.0.1/127/2', 'b=AS:64', 't=2873397496 2873404696', 'r=7d 1h 0 25h', 'z=2882844526 -1h 2898848070 0',
      'k=prompt', 'a=recvonly', 'y=0123456789', 'm=audio 49170/2 RTP/AVP 0', 'i=voice', 'c=IN IP6 ff15::101/3', 'b=TIAS:64000', 'k=prompt',
      'a=rtpmap:0 PCMU/8000', 'a=x-empty:', 'm=video 0 RTP/AVP 99', 'a=rtpmap:99 h263-1998/90000',
    ]);
    const sd = parseSdp(text);
    expect(sd.connection).toEqual({ netType: 'IN', addrType: 'IP4', address: '233.252.0.1', ttl: 127, count: 2 });
    expect(sd.media[0]!.connections[0]).toEqual({ netType: 'IN', addrType: 'IP6', address: 'ff15::101', count: 3 });
    expect(sd.media[0]!.portCount).toBe(2);
    expect(sd.timings[0]!.repeats).toEqual(['7d 1h 0 25h']);
    expect(sd.otherLines).toEqual([{ type: 'y', value: '0123456789' }]);
    expect(sd.media[0]!.attributes[1]).toEqual({ name: 'x-empty', value: '' });
    expect(sd.media[1]!.port).toBe(0);
    expect(serializeSdp(sd)).toBe(text);
  });

  it('tolerates blank lines, trailing spaces and a missing t=', () => {
    const sd = parseSdp('v=0 \r\no=- 1 1 IN IP4 1.2.3.4\r\n\r\ns=-\r\nc=IN IP4 1.2.3.4  \r\nm=audio 4000 RTP/AVP 0\r\n\r\n');
    expect(sd.timings).toEqual([{ start: '0', stop: '0', repeats: [] }]);
    expect(sd.connection?.address).toBe('1.2.3.4');
  });
});

describe('parseSdp errors carry the line number', () => {
  it.each([
    ['', 1, 'empty session description'],
    ['o=- 1 1 IN IP4 1.2.3.4\r\n', 1, 'a session description starts with v=, got "o=- 1 1 IN IP4 1.2.3.4"'],
    ['v=1\r\n', 1, 'unsupported SDP version "1", expected 0'],
    ['v=0\r\no=- 1 IN IP4 1.2.3.4\r\n', 2, 'o= needs "<username> <sess-id> <sess-version> <nettype> <addrtype> <address>", got "- 1 IN IP4 1.2.3.4"'],
    ['v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4\r\n', 4, 'c= needs "<nettype> <addrtype> <address>", got "IN IP4"'],
    ['v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n', 5, 'bad port "70000" in m='],
    ['v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 4000\r\n', 5, 'm= needs "<media> <port> <proto> <fmt> ...", got "audio 4000"'],
    ['v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\nrtpmap:0 PCMU/8000\r\n', 6, 'expected "<type>=<value>", got "rtpmap:0 PCMU/8000"'],
    ['v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nb=AS\r\n', 4, 'b= needs "<bwtype>:<bandwidth>", got "AS"'],
    ['v=0\ns=-\nt=0 0\n', 2, 'no o= line in the session description'],
    ['v=0\no=- 1 1 IN IP4 h\ns=-\nt=0\n', 4, 't= needs "<start> <stop>", got "0"'],
  ])('%j → line %i', (text, line, reason) => {
    let err: unknown;
    try {
      parseSdp(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SdpParseError);
    expect((err as SdpParseError).line).toBe(line);
    expect((err as SdpParseError).message).toBe(`SDP line ${line}: ${reason}`);
    expect((err as SdpParseError).code).toBe('SDP_PARSE');
  });
});
