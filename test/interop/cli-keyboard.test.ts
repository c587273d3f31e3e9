/**
 * Issue 4 for real: `umphone call` in a pseudo-terminal (tmux), a real baresip answering. Keys typed
 * with `tmux send-keys` go out as DTMF in order (baresip logs each RFC 4733 digit it receives), the
 * status line shows them, `m` mutes, `h` hangs up with BYE and exit code 0, the summary is printed and
 * the terminal is given back in cooked mode. Every test uses its own tmux server (-L umphone-test-N),
 * killed afterwards.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { killAllChildren, pollUntil } from '../support/child-process.js';
import { startBaresip } from '../support/baresip.js';

const ROOT = resolve(new URL('../..', import.meta.url).pathname);
const dir = mkdtempSync(join(tmpdir(), 'umphone-kbd-'));

afterAll(() => killAllChildren());

/** One private tmux server with one 120×30 session running `command`. */
class Tmux {
  readonly socket = `umphone-test-${process.pid}-${Math.floor(Math.random() * 1e9)}`;

  constructor(command: string) {
    this.tmux('new-session', '-d', '-x', '120', '-y', '30', '-c', ROOT, command);
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-200');
  }

  /** Type text literally (no key-name lookup). */
  type(text: string): void {
    this.tmux('send-keys', '-l', text);
  }

  key(name: string): void {
    this.tmux('send-keys', name);
  }

  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<string> {
    try {
      return await pollUntil(`${re} on the screen`, () => (re.test(this.screen()) ? this.screen() : undefined), timeoutMs, 50);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- screen ---\n${this.screen()}`);
    }
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}

function commandLine(args: string[]): string {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  // After umphone: its exit code, then whether the terminal is back in canonical (cooked) mode.
  return `node --import tsx src/cli/main.ts ${quoted}; echo "EXIT=$?"; stty -a | tr ' ' '\\n' | grep -x -- '-\\?icanon' | sed 's/^/TTY=/'; sleep 120`;
}

describe('umphone call keyboard in a terminal (tmux) against baresip', () => {
  it('sends typed digits as DTMF in order, shows them, mutes with m, hangs up with h', async () => {
    const b = await startBaresip({ transport: 'tcp' });
    const json = join(dir, 'keys.json');
    const t = new Tmux(commandLine(['call', b.uri, '--no-audio', '--from', '111', '--json', json]));
    try {
      await t.waitFor(/✓ answered: 200/);
      await t.waitFor(/\[answered\] \d\d:\d\d · sent: - · recv: - · RTP ↑\d+ ↓\d+ lost \d+ · \? keys/);
      // Typed in one burst: the phone must queue them, none lost, none reordered.
      t.type('123#');
      await pollUntil('baresip to receive 123#', () => b.receivedDigits() === '123#' || b.receivedDigits().length >= 4, 15_000);
      expect(b.receivedDigits()).toBe('123#');
      t.type('*9');
      await pollUntil('baresip to receive *9', () => b.receivedDigits().length >= 6, 15_000);
      expect(b.receivedDigits()).toBe('123#*9');
      await t.waitFor(/sent: 123#\*9/);
      t.type('m');
      await t.waitFor(/microphone muted/);
      await t.waitFor(/· MUTED ·/);
      t.type('?');
      await t.waitFor(/Keys: 0-9 \* # A-D send DTMF .*\n(?:.*\n)*Keys: 0-9/);
      t.type('h');
      const screen = await t.waitFor(/TTY=/);
      expect(screen).toMatch(/h: hanging up \(BYE\)/);
      expect(screen).toMatch(/── Call summary/);
      expect(screen).toMatch(/Result {7}answered \(200 [^)]*\), ended by local \(BYE\)/);
      expect(screen).toMatch(/DTMF sent {4}123#\*9 \(rfc4733\)/);
      expect(screen).toMatch(/^EXIT=0$/m);
      // The terminal is back in canonical mode ("icanon", not "-icanon").
      expect(screen).toMatch(/^TTY=icanon$/m);
      const summary = JSON.parse(readFileSync(json, 'utf8')) as { dtmf: { sent: Array<{ digit: string }> } };
      expect(summary.dtmf.sent.map((d) => d.digit).join('')).toBe('123#*9');
      await b.waitForEvent('CALL_CLOSED', 5000);
    } finally {
      t.kill();
      await b.stop();
    }
  });

  it('Ctrl-C twice before any answer quits at once with 130 and gives the terminal back', async () => {
    // A TCP peer that accepts the connection and never answers: no 1xx, so the CANCEL has to wait
    // (RFC 3261 §9.1) and only the second Ctrl-C ends the process.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => { sockets.push(s); s.on('error', () => undefined); });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as net.AddressInfo).port;
    const t = new Tmux(commandLine(['call', `sip:680@127.0.0.1:${port}`, '--no-audio']));
    try {
      await t.waitFor(/\[calling\] \d\d:\d\d/);
      await pollUntil('the INVITE connection', () => sockets.length > 0, 10_000);
      t.key('C-c');
      await t.waitFor(/Ctrl-C: cancelling the call \(CANCEL\)/);
      t.key('C-c');
      const screen = await t.waitFor(/TTY=/);
      expect(screen).toMatch(/umphone: interrupted twice: quitting at once/);
      expect(screen).toMatch(/^EXIT=130$/m);
      expect(screen).toMatch(/^TTY=icanon$/m);
    } finally {
      t.kill();
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('Ctrl-C in raw mode hangs up after the answer: BYE, exit 0', async () => {
    const b = await startBaresip({ transport: 'tcp' });
    const t = new Tmux(commandLine(['call', b.uri, '--no-audio']));
    try {
      await t.waitFor(/✓ answered: 200/);
      t.key('C-c');
      const screen = await t.waitFor(/TTY=/);
      expect(screen).toMatch(/Ctrl-C: hanging up \(BYE\)/);
      expect(screen).toMatch(/ended by local \(BYE\)/);
      expect(screen).toMatch(/^EXIT=0$/m);
      expect(screen).toMatch(/^TTY=icanon$/m);
      await b.waitForEvent('CALL_CLOSED', 5000);
    } finally {
      t.kill();
      await b.stop();
    }
  });
});
