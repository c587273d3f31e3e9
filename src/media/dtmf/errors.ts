/** Errors of the DTMF layer: exact sentences, stable codes. */
import { UmphoneError } from '../../util/errors.js';

/** A payload that is not a 4-byte RFC 4733 event report (RFC 4733 §2.3). */
export class TelephoneEventParseError extends UmphoneError {
  constructor(message: string) {
    super(message, 'DTMF_EVENT_PARSE');
  }
}

/** A sequence string with a character that is neither a key nor a pause. */
export class DtmfSequenceError extends UmphoneError {
  constructor(readonly sequence: string, readonly index: number) {
    super(
      `DTMF sequence ${JSON.stringify(sequence)} has an invalid character ${JSON.stringify(sequence[index])} at index ${index}.`,
      'DTMF_SEQUENCE',
    );
  }
}

/** A SIP INFO body that carries no DTMF key we understand. */
export class DtmfInfoParseError extends UmphoneError {
  constructor(message: string) {
    super(message, 'DTMF_INFO_PARSE');
  }
}

/** A DTMF setting out of range, or a mode that cannot be used with what was negotiated. */
export class DtmfConfigError extends UmphoneError {
  constructor(message: string) {
    super(message, 'DTMF_CONFIG');
  }
}

/** An operation that the sender's current state does not allow (e.g. releasing a key never pressed). */
export class DtmfStateError extends UmphoneError {
  constructor(message: string) {
    super(message, 'DTMF_STATE');
  }
}
