/**
 * SDES keys from an offer/answer drive SRTP in both directions: the shapes meet without adapters
 * (SdesKeys is an SrtpMasterKey plus an SrtpPolicy), which is what the call wiring will rely on.
 */
import { describe, expect, it } from 'vitest';
import { writeRtpHeader } from '../../../../src/rtp/packet.js';
import { SrtpReceiver, SrtpSender } from '../../../../src/rtp/srtp/index.js';
import {
  acceptCryptoAnswer,
  answerCrypto,
  createCryptoOffer,
  parseCrypto,
  serializeCrypto,
  type CryptoLine,
  type SdesKeys,
  type SdpCrypto,
} from '../../../../src/sdp/index.js';

function packet(seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(172, 0x55);
  writeRtpHeader(b, { payloadType: 8, marker: false, sequence: seq, timestamp: seq * 160, ssrc });
  return b;
}

const sender = (k: SdesKeys): SrtpSender => new SrtpSender(k, k);
const receiver = (k: SdesKeys): SrtpReceiver => new SrtpReceiver(k, k);

describe.each([
  ['AES_CM_128_HMAC_SHA1_80', undefined],
  ['AES_CM_128_HMAC_SHA1_32', undefined],
  ['AEAD_AES_128_GCM', undefined],
  ['AES_CM_128_HMAC_SHA1_80', { value: '1', length: 1 }],
] as const)('%s offer/answer (MKI %o)', (suite, mki) => {
  it('lets caller and callee exchange SRTP and SRTCP both ways', () => {
    const offered = createCryptoOffer({ suites: [suite], lifetime: '2^31', ...(mki ? { mki } : {}) });
    // The offer crosses the wire as text.
    const wire = (c: SdpCrypto): CryptoLine => ({ value: serializeCrypto(c), crypto: parseCrypto(serializeCrypto(c)) });
    const callee = answerCrypto(offered.map(wire));
    const caller = acceptCryptoAnswer(offered, [wire(callee.answer)]);

    const callerTx = sender(caller.local);
    const calleeRx = receiver(callee.remote);
    const calleeTx = sender(callee.local);
    const callerRx = receiver(caller.remote);
    for (let seq = 65533; seq < 65540; seq++) {
      const up = calleeRx.unprotectRtp(callerTx.protectRtp(packet(seq & 0xffff, 0x1111)));
      expect(up.ok && up.packet).toEqual(packet(seq & 0xffff, 0x1111));
      const down = callerRx.unprotectRtp(calleeTx.protectRtp(packet(seq & 0xffff, 0x2222)));
      expect(down.ok && down.packet).toEqual(packet(seq & 0xffff, 0x2222));
    }
    const rr = Buffer.from('81c90007' + '00001111' + '00002222' + '00'.repeat(20), 'hex');
    expect(calleeRx.unprotectRtcp(callerTx.protectRtcp(rr))).toMatchObject({ ok: true, ssrc: 0x1111, index: 0 });
    // Our own key does not open the peer's packets.
    expect(receiver(caller.local).unprotectRtp(calleeTx.protectRtp(packet(1, 0x2222)))).toEqual({ ok: false, reason: 'auth' });
  });
});
