/**
 * `umphone demo` (`npm run demo`): the whole job in one command, no sound card needed: a built-in
 * Exchange-UM-like server on free loopback ports, a call through its 302 that leaves a message in
 * mailbox 613, then a sign-in that hears it back (src/um/demo.ts). Prints the timeline and the files.
 */
import type { Argv, CommandModule } from 'yargs';
import { runDemo } from '../../um/demo.js';
import { contextOf, oneLine } from '../context.js';
import { ExitCode } from '../exit-codes.js';

export interface DemoArgv {
  'out-dir': string;
  verbose?: boolean;
  secured?: boolean;
}

function builder(y: Argv): Argv<DemoArgv> {
  return y.options({
    'out-dir': { type: 'string', default: '.', describe: 'Where recordings/ and um-data/ are written' },
    verbose: { type: 'boolean', alias: 'v', describe: 'Also print every SIP message in full' },
    secured: { type: 'boolean', describe: 'Exchange\'s Secured mode: mutual TLS and SRTP, with a throwaway CA and certificates made for the run' },
  }).epilogue([
    'Examples:',
    '  The demo on plain TCP and RTP (Exchange\'s Unsecured dial plan):',
    '    umphone demo',
    '  The demo in Secured mode (mutual TLS, SRTP; npm run demo -- --secured):',
    '    umphone demo --secured',
  ].join('\n')) as unknown as Argv<DemoArgv>;
}

export const demoCommand: CommandModule<object, DemoArgv> = {
  command: 'demo',
  describe: 'Leave a voicemail on a built-in Exchange-UM-like server and hear it back (about 40 s, no sound card)',
  builder,
  handler: async (argv) => {
    const ctx = contextOf(argv);
    try {
      await runDemo({ outDir: argv['out-dir'], verbose: argv.verbose ?? false, secured: argv.secured ?? false, print: (l) => ctx.io.out(`${l}\n`) });
      ctx.exitCode = ExitCode.ok;
    } catch (e) {
      ctx.io.err(`umphone: ${oneLine((e as Error).message)}\n`);
      ctx.exitCode = ExitCode.callFailed;
    }
  },
};
