/** HMAC-SHA1 against node:crypto, the replay window and the Appendix A index estimate. */
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HmacSha1 } from '../../../../src/rtp/srtp/hmac-sha1.js';
import { estimateIndex, parseSrtcpWord, rtpHeaderLength, srtcpWord } from '../../../../src/rtp/srtp/packet-index.js';
import { ReplayWindow } from '../../../../src/rtp/srtp/replay-window.js';

describe('HmacSha1', () => {
  it('matches RFC 2202 test case 1', () => {
    const mac = new HmacSha1(Buffer.alloc(20, 0x0b)).mac(Buffer.from('Hi There'), 0, 8);
    expect(mac.toString('hex')).toBe('b617318655057264e28bc0b6fb378c8ef146be00');
  });

  it('equals node:crypto createHmac for every length 0..300, with and without the ROC trailer', () => {
    const key = randomBytes(20);
    const h = new HmacSha1(key);
    for (let n = 0; n <= 300; n++) {
      const data = randomBytes(n + 7);
      const roc = (n * 2654435761) >>> 0;
      const trailer = Buffer.alloc(4);
      trailer.writeUInt32BE(roc);
      const slice = data.subarray(3, 3 + n);
      expect(h.mac(data, 3, 3 + n).toString('hex'), `length ${n}`).toBe(createHmac('sha1', key).update(slice).digest('hex'));
      expect(h.mac(data, 3, 3 + n, roc).toString('hex'), `length ${n} + ROC`).toBe(
        createHmac('sha1', key).update(Buffer.concat([slice, trailer])).digest('hex'),
      );
    }
  });

  it('equals createHmac for random keys up to 64 bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 400 }), (key, data) => {
        const d = Buffer.from(data);
        return new HmacSha1(Buffer.from(key)).mac(d, 0, d.length).equals(createHmac('sha1', Buffer.from(key)).update(d).digest());
      }),
    );
  });

  it('verify compares only the truncated tag and says false for one wrong bit', () => {
    const h = new HmacSha1(randomBytes(20));
    const data = randomBytes(50);
    const tag = Buffer.alloc(10);
    h.sign(data, 0, 50, 7, tag, 0, 10);
    expect(h.verify(data, 0, 50, 7, tag, 0, 10)).toBe(true);
    expect(h.verify(data, 0, 50, 8, tag, 0, 10)).toBe(false);
    tag[9]! ^= 0x80;
    expect(h.verify(data, 0, 50, 7, tag, 0, 10)).toBe(false);
  });
});

describe('ReplayWindow', () => {
  it('accepts new indices, rejects a replay and an index behind the window', () => {
    const w = new ReplayWindow(64);
    expect(w.check(1000)).toBe('ok');
    w.accept(1000);
    expect(w.check(1000)).toBe('replay');
    expect(w.check(999)).toBe('ok');
    expect(w.check(1000 - 63)).toBe('ok');
    expect(w.check(1000 - 64)).toBe('too-old');
    w.accept(990);
    expect(w.check(990)).toBe('replay');
    w.accept(1100);
    expect(w.check(1000)).toBe('too-old');
    expect(w.check(1099)).toBe('ok');
    expect(w.highest).toBe(1100);
  });

  it.each([
    [64, 64],
    [100, 128],
    [1024, 1024],
  ])('a window of %i holds %i indices', (size, held) => {
    const w = new ReplayWindow(size);
    expect(w.size).toBe(held);
    w.accept(5000);
    expect(w.check(5000 - held + 1)).toBe('ok');
    expect(w.check(5000 - held)).toBe('too-old');
  });

  it.each([[0], [63], [1.5], [40000]])('refuses a window of %s', (size) => {
    expect(() => new ReplayWindow(size)).toThrow(RangeError);
  });

  it('forgets stale bits when it slides (an index seen a window ago is new again only if newer)', () => {
    const w = new ReplayWindow(64);
    for (let i = 0; i < 64; i++) w.accept(i);
    w.accept(64 + 10);
    for (let i = 65; i < 74; i++) expect(w.check(i), `index ${i}`).toBe('ok');
    expect(w.check(64)).toBe('ok');
    expect(w.check(11)).toBe('replay');
    expect(w.check(10)).toBe('too-old');
  });

  it('agrees with a set of seen indices on random traffic (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 300 }), (indices) => {
        const w = new ReplayWindow(64);
        const seen = new Set<number>();
        let top = -1;
        for (const i of indices) {
          const expected = i > top ? 'ok' : top - i >= 64 ? 'too-old' : seen.has(i) ? 'replay' : 'ok';
          if (w.check(i) !== expected) return false;
          if (expected === 'ok') {
            w.accept(i);
            seen.add(i);
            top = Math.max(top, i);
          }
        }
        return true;
      }),
    );
  });
});

describe('estimateIndex (RFC 3711 Appendix A)', () => {
  it.each([
    // seq, s_l, roc → index
    [100, 99, 0, 100],
    [0, 65535, 0, 65536], // the wrap: ROC + 1
    [5, 65530, 3, 4 * 65536 + 5],
    [65530, 5, 4, 3 * 65536 + 65530], // late packet from before the wrap: ROC − 1
    [65530, 5, 0, 65530 - 65536], // before the stream started: negative
    [40000, 10, 2, 2 * 65536 + 40000 - 65536], // more than half behind: previous cycle
    [32768 + 10, 10, 1, 65536 + 32778], // exactly half ahead is still this cycle
    [20000, 60000, 1, 2 * 65536 + 20000],
  ])('seq %i after s_l %i with ROC %i is index %i', (seq, sl, roc, index) => {
    expect(estimateIndex(seq, sl, roc)).toBe(index);
  });
});

describe('SRTCP word and RTP header length', () => {
  it('packs and splits E||index', () => {
    expect(srtcpWord(true, 0x5d4)).toBe(0x800005d4);
    expect(srtcpWord(false, 0x7fffffff)).toBe(0x7fffffff);
    expect(parseSrtcpWord(0x800005d4)).toEqual({ encrypted: true, index: 0x5d4 });
  });

  it.each([
    ['fixed header', '8000000100000000deadbeef' + '00'.repeat(8), 12],
    ['two CSRCs', '8200000100000000deadbeef' + '11111111' + '22222222' + '00', 20],
    ['one-word extension', '9000000100000000deadbeef' + 'bede0001' + 'aabbccdd' + '00', 20],
    ['extension past the end', '9000000100000000deadbeef' + 'bede0009' + 'aabbccdd', -1],
    ['short', '80000001', -1],
  ])('%s', (_name, h, expected) => {
    expect(rtpHeaderLength(Buffer.from(h, 'hex'))).toBe(expected);
  });
});
