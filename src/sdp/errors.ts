import { UmphoneError } from '../util/errors.js';

/** A session description that cannot be read; `line` is 1-based. */
export class SdpParseError extends UmphoneError {
  constructor(readonly reason: string, readonly line: number) {
    super(`SDP line ${line}: ${reason}`, 'SDP_PARSE');
  }
}

/** Offer/answer failed (RFC 3264): a UAS answers 488 Not Acceptable Here, a UAC sends BYE. */
export class SdpNegotiationError extends UmphoneError {
  constructor(message: string, code = 'SDP_NEGOTIATION') {
    super(message, code);
  }
}

/** The peer offered or answered no audio codec that we can use. */
export class NoCommonCodecError extends SdpNegotiationError {
  constructor(message: string) {
    super(message, 'SDP_NO_COMMON_CODEC');
  }
}
