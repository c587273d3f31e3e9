/**
 * `umphone call <target>`: the options as yargs sees them, the examples of --help, and the handler
 * (validate → runCall). The option texts are the user's documentation: keep them exact.
 */
import type { Argv, CommandModule } from 'yargs';
import { applyRealtime, REALTIME_OPTIONS, rtpEngineChoice, type RealtimeArgv } from '../realtime.js';
import { callSettingsFromArgv, DIVERSION_REASONS, type CallArgv } from '../call-settings.js';
import { contextOf } from '../context.js';
import { EXIT_CODES_HELP } from '../exit-codes.js';
import { runCall } from '../run-call.js';
import { TLS_OPTIONS } from '../tls-options.js';
import { SRTP_OPTIONS } from '../srtp-options.js';
import { MEDIA_GROUP, SOUND_OPTIONS } from '../sound-card.js';

const SIP = 'SIP';
const DTMF = 'DTMF';
const MEDIA = MEDIA_GROUP;
const OUTPUT = 'Output';

/** Pre-formatted: yargs' example column would squeeze the commands (help-wrap.ts wraps what is too long). */
const EXAMPLES = [
  'Examples:',
  '  Call an Exchange UM pilot number as extension 111:',
  '    umphone call sip:680@um.example.com --from 111',
  '  Reach mailbox 613 (call answering) through a Diversion header:',
  '    umphone call sip:680@um.example.com --from 111 --diversion 613',
  '  Record the greeting of mailbox 613 for 20 seconds:',
  '    umphone call sip:680@um.example.com --diversion 613 --record greeting.wav --duration 20',
  '  Send DTMF once answered (here: # then, after a second, PIN 1234#):',
  '    umphone call sip:680@um.example.com --from 111 --dtmf-sequence "#,,1234#" --duration 30',
  '  Call through a PBX over UDP with digest credentials:',
  '    umphone call sip:200@pbx.example.com:5060 --transport udp --user 111 --password secret',
  '  Fail (exit 1) when the call\'s estimated MOS or post-dial delay is off:',
  '    umphone call sip:680@um.example.com --duration 10 --expect "mos>=4.0" --expect "pdd<2s"',
  '  Record both sides and write the HTML call report (SIP ladder, timeline, waveform):',
  '    umphone call sip:680@um.example.com --diversion 613 --duration 20 --report call.html',
  '  Call Exchange UM over mutual TLS (its 302 to the worker\'s TLS port is followed):',
  '    umphone call sips:680@um.example.com --from 111 --tls-ca ca.pem --tls-cert gw.pem --tls-key gw.key',
  '  The same with SRTP media (Exchange\'s "Secured" dial plan):',
  '    umphone call sips:680@um.example.com --from 111 --tls-ca ca.pem --tls-cert gw.pem --tls-key gw.key --srtp mandatory',
].join('\n');

function builder(y: Argv): Argv<CallArgv> {
  return y
    .positional('target', {
      describe: 'SIP URI to call: sip:680@um.example.com, sip:680@10.0.0.5:5060;transport=tcp, 680@host[:port]',
      type: 'string',
    })
    .options({
      ...REALTIME_OPTIONS,
      transport: { group: SIP, choices: ['tcp', 'udp', 'tls'] as const, default: 'tcp', describe: 'Transport when the URI names none (sips: URIs always use TLS, port 5061)' },
      ...TLS_OPTIONS,
      ...SRTP_OPTIONS,
      from: { group: SIP, type: 'string', describe: 'Our number / user part (From, Contact)' },
      name: { group: SIP, type: 'string', describe: 'Display name in From' },
      to: { group: SIP, type: 'string', describe: 'To URI or user part (default: the target)' },
      'local-ip': { group: SIP, type: 'string', describe: 'Address to bind and advertise (default: the one routing to the target)' },
      'local-port': { group: SIP, type: 'number', describe: 'SIP port to listen on (default: any free port)' },
      user: { group: SIP, type: 'string', describe: 'Digest user name (401/407 challenges)' },
      password: { group: SIP, type: 'string', describe: 'Digest password' },
      diversion: { group: SIP, type: 'string', array: true, describe: 'Diverting number (RFC 5806 Diversion), repeatable, newest first: reaches that mailbox on Exchange UM' },
      'diversion-reason': { group: SIP, type: 'string', choices: DIVERSION_REASONS, default: 'no-answer', describe: 'Reason of the diversion' },
      'history-info': { group: SIP, type: 'boolean', describe: 'Send the diversion as RFC 4244 History-Info instead of Diversion' },
      'max-redirects': { group: SIP, type: 'number', default: 5, describe: '3xx hops to follow before giving up' },
      header: { group: SIP, type: 'string', array: true, describe: 'Extra INVITE header "Name: value", repeatable' },
      codec: { group: MEDIA, type: 'string', default: 'pcmu,pcma', describe: 'Codecs to offer, in order of preference: pcmu (or ulaw), pcma (or alaw)' },
      record: { group: MEDIA, type: 'string', describe: 'Record what the far end says to this WAV (8 kHz 16-bit)' },
      'record-both': { group: MEDIA, type: 'boolean', describe: 'Record stereo: left = received, right = sent' },
      play: { group: MEDIA, type: 'string', describe: 'Play this WAV into the call once answered (any common WAV format)' },
      loop: { group: MEDIA, type: 'boolean', describe: 'Repeat --play until the call ends' },
      latch: { group: MEDIA, type: 'boolean', describe: 'Symmetric RTP: send to where the peer\'s RTP comes from' },
      'rtp-timeout': { group: MEDIA, type: 'string', describe: 'Hang up when no RTP arrives for N seconds, or 1m, 500ms (default 30, 0 = never)' },
      ...SOUND_OPTIONS,
      duration: { group: MEDIA, type: 'string', describe: 'Hang up N seconds (or 1m30s, 500ms) after the answer' },
      dtmf: { group: DTMF, type: 'string', default: 'auto', describe: 'How to send DTMF: auto (RFC 4733 when offered, else in-band), rfc4733 (or rfc2833), inband, info (SIP INFO)' },
      'dtmf-sequence': { group: DTMF, type: 'string', describe: 'Digits to send once answered, "," = 500 ms pause: "1234#,,5"' },
      'dtmf-duration': { group: DTMF, type: 'string', describe: 'Tone length per digit (ms, or 0.1s)' },
      'dtmf-gap': { group: DTMF, type: 'string', describe: 'Silence between digits (ms, or 0.1s)' },
      'dtmf-initial-silence': { group: DTMF, type: 'string', describe: 'Silence before the first digit (ms, or 1.5s)' },
      'dtmf-level': { group: DTMF, type: 'number', describe: 'In-band tone level per frequency (dBm0, e.g. -10)' },
      json: { group: OUTPUT, type: 'string', describe: 'Write the call summary as JSON to this file' },
      report: { group: OUTPUT, type: 'string', describe: 'Write the HTML call report to this file: SIP ladder, timeline, recording, quality (records both sides to FILE.wav unless --record)' },
      pcap: { group: OUTPUT, type: 'string', describe: 'Write the call\'s SIP, RTP and RTCP packets to this pcap (Wireshark, tshark); {callid} = Call-ID' },
      expect: { group: OUTPUT, type: 'string', array: true, describe: 'Quality threshold checked when the call ends, repeatable: "mos>=4.0", "pdd<2s", "loss<1%", "jitter<30ms", "one_way_audio=false"; a breach exits 1 with the figure' },
      verbose: { group: OUTPUT, alias: 'v', type: 'boolean', describe: 'Print every SIP message sent and received' },
      quiet: { group: OUTPUT, alias: 'q', type: 'boolean', describe: 'Print nothing but errors' },
    })
    .epilog([
      EXAMPLES,
      '',
      'Interactive: on a terminal, keys 0-9 * # A-D send DTMF, m mutes the',
      'microphone, h or Ctrl-C hangs up (Ctrl-C twice: quit at once), ? shows the keys.',
      'Sound: the sound card is used when stdout is a terminal (not in CI) and a',
      'device opens; otherwise the call runs without sound (say --audio or --no-audio',
      'to choose).',
      '',
      EXIT_CODES_HELP,
    ].join('\n')) as unknown as Argv<CallArgv>;
}

export const callCommand: CommandModule<object, CallArgv> = {
  command: 'call <target>',
  describe: 'Place a call: follow redirects, record, play, send and receive DTMF, print a summary',
  builder,
  handler: async (argv) => {
    const ctx = contextOf(argv);
    const settings = { ...callSettingsFromArgv(argv), rtp: rtpEngineChoice(argv as RealtimeArgv) };
    await applyRealtime(argv as RealtimeArgv, ctx.io);
    ctx.exitCode = await runCall(settings, ctx.io);
  },
};
