import { describe, expect, it } from 'vitest';
import { runCli } from '../../../src/cli/cli.js';
import { fakeCliIo } from '../../support/fake-cli-io.js';

const fakeIo = fakeCliIo;

describe('runCli', () => {
  it.each([
    [[], 'umphone: give a command, e.g. umphone call sip:680@um.example.com (see umphone --help)\n'],
    [['dial'], /^umphone: Unknown argument: dial/],
    [['call'], 'umphone: Not enough non-option arguments: got 0, need at least 1\n'],
    [['call', 'sip:a@b', '--transport', 'sctp'], 'umphone: Invalid values: Argument: transport, Given: "sctp", Choices: "tcp", "udp", "tls"\n'],
    [['call', 'sip:a@b', '--codec', 'g729'], 'umphone: unsupported codec "g729": umphone speaks G.711: pcmu (or ulaw, mulaw, g711u) and pcma (or alaw, g711a)\n'],
    [['call', 'sip:a@b', '--nope'], 'umphone: Unknown argument: nope\n'],
    [['call', 'sip:a@b', '--duration', 'abc'], 'umphone: --duration must be a number of seconds > 0 (got abc)\n'],
    [['call', 'sip:a@b', '--duration', '-1'], 'umphone: --duration must be a number of seconds > 0 (got -1)\n'],
    [['call', 'sip:a@b', '--dtmf', 'sms'], 'umphone: unknown DTMF mode "sms": write auto, rfc4733 (or rfc2833), inband, or info (or sipinfo)\n'],
    [['call', 'fax:5551234'], 'umphone: bad call target "fax:5551234": umphone calls sip: or sips: URIs (no gateway for fax:)\n'],
    [['listen', '--port', '0', '--local-ip', '127.0.0.1', '--dtmf', 'sms'], 'umphone: unknown DTMF mode "sms": write auto, rfc4733 (or rfc2833), inband, or info (or sipinfo)\n'],
    [['listen', '--port', '0', '--local-ip', '127.0.0.1', '--codec', 'g729'], 'umphone: unsupported codec "g729": umphone speaks G.711: pcmu (or ulaw, mulaw, g711u) and pcma (or alaw, g711a)\n'],
    [['call', 'sip:a@b', '--realtime', '--realtime-priority', '0'], 'umphone: --realtime-priority must be an integer from 1 to 99, got 0\n'],
    [['listen', '--realtime', '--realtime-priority', '120'], 'umphone: --realtime-priority must be an integer from 1 to 99, got 120\n'],
    [['call', 'sip:a@b', '--rtp-engine', 'turbo'], 'umphone: --rtp-engine must be main or native, got turbo\n'],
    [['serve', '--rtp-engine', 'gpu'], 'umphone: --rtp-engine must be main or native, got gpu\n'],
    [['run', 'x.yaml', '--rtp-engine', 'fpga'], 'umphone: --rtp-engine must be main or native, got fpga\n'],
    [['call', 'sip:a@b', '--rtp-engine', 'worker'], 'umphone: --rtp-engine must be main or native, got worker\n'],
  ])('%j → exit 2, one line on stderr, nothing on stdout', async (argv, message) => {
    const io = fakeIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.stdout).toBe('');
    if (typeof message === 'string') expect(io.stderr).toBe(message);
    else expect(io.stderr).toMatch(message);
    expect(io.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('prints --help to stdout with the commands and exit codes', async () => {
    const io = fakeIo();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(io.stdout).toMatch(/umphone call <target>/);
    expect(io.stdout).toMatch(/umphone devices/);
    expect(io.stdout).toMatch(/^ {2}8 {4}transport error/m);
    expect(io.stderr).toBe('');
  });

  it('prints the version', async () => {
    const io = fakeIo();
    expect(await runCli(['--version'], io)).toBe(0);
    expect(io.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });
});
