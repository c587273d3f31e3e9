/**
 * The SRTP options `call`, `run` and `listen` share (--srtp, --srtp-suites): their yargs definitions and
 * their values checked into the `srtp`/`srtpSuites` call options (call-srtp.ts says what each mode does).
 */
import type { SdesSuiteName } from '../sdp/index.js';
import { DEFAULT_CALL_SRTP_SUITES, SRTP_MODES, parseSrtpMode, parseSrtpSuites, type SrtpMode } from '../phone/call-srtp.js';
import { SpellingError } from '../util/errors.js';
import { UsageError } from './context.js';

const SRTP = 'SRTP';

export const SRTP_OPTIONS = {
  srtp: {
    group: SRTP, type: 'string', choices: SRTP_MODES, default: 'off',
    describe: 'SRTP media with SDES keys (use over TLS): off; optional (a=crypto on RTP/AVP, SRTP when the peer takes it); mandatory (RTP/SAVP, refuse plain RTP)',
  },
  'srtp-suites': {
    group: SRTP, type: 'string',
    describe: `SRTP crypto suites in order of preference, comma-separated (default ${DEFAULT_CALL_SRTP_SUITES.join(', ')}; also AEAD_AES_128_GCM)`,
  },
} as const;

export interface SrtpArgv {
  srtp?: string;
  srtpSuites?: string;
}

/** --srtp and --srtp-suites checked: a known mode, known suite names (any case), no repeats. */
export function srtpSettings(a: SrtpArgv): { srtp: SrtpMode; srtpSuites?: SdesSuiteName[] } {
  try {
    const srtp = parseSrtpMode(a.srtp ?? 'off');
    return a.srtpSuites === undefined ? { srtp } : { srtp, srtpSuites: parseSrtpSuites(String(a.srtpSuites)) };
  } catch (e) {
    if (e instanceof SpellingError) throw new UsageError(`--${e.code === 'SRTP_MODE' ? 'srtp' : 'srtp-suites'}: ${e.message}`);
    throw e;
  }
}

/** The warning line for SRTP over a transport that shows the keys (SDES keys travel in the SDP). */
export const SRTP_CLEAR_KEYS_WARNING = 'umphone: warning: --srtp without TLS: the SRTP keys travel in clear in the SDP (use --transport tls or a sips: URI)';
