/**
 * `umphone` as a function: argv in, exit code out, every byte through CliIo. main.ts calls it with the
 * real process; tests can call it with strings. yargs does the parsing (strict: an unknown option or
 * command is an error) and never exits the process itself; every usage problem, whether yargs finds it
 * or a command's own validation does, becomes one line `umphone: <what is wrong>` on stderr and exit
 * code 2, with nothing on stdout.
 */
import yargs from 'yargs';
import { VERSION } from '../phone/phone.js';
import { UmphoneError } from '../util/errors.js';
import { commands } from './commands/index.js';
import { oneLine, UsageError, type CliContext, type CliIo } from './context.js';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.js';
import { helpWidth, wrapHelp } from './help-wrap.js';

/** Marks errors from yargs' own validation (unknown option, bad choice, missing argument). */
class ParseFailure extends UsageError {}

export function buildParser() {
  let parser = yargs()
    .scriptName('umphone')
    .usage('$0 <command> [options]\n\nA SIP/RTP test phone: call Exchange UM, a PBX, an IVR or voicemail and script what the caller does.')
    .strict()
    .demandCommand(1, 'give a command, e.g. umphone call sip:680@um.example.com (see umphone --help)')
    .version(VERSION)
    .help()
    .alias('h', 'help')
    // yargs' own wrapping cuts words (help-wrap.ts): it lays out one line per entry, runCli wraps.
    .wrap(null)
    .exitProcess(false)
    .epilog(EXIT_CODES_HELP)
    .fail((msg, err) => {
      // A message and no error: yargs' own validation. An error: thrown by a handler or a coerce.
      if (err && err.name !== 'YError') throw err;
      throw new ParseFailure(oneLine(msg ?? err?.message ?? 'bad command line'));
    });
  for (const c of commands) parser = parser.command(c);
  return parser;
}

/** Run the command line; resolves with the process exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const ctx: CliContext = { io, exitCode: ExitCode.ok };
  let output = '';
  try {
    await buildParser().parseAsync([...argv], { ctx }, (_err, _argv, out) => {
      output = out;
    });
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`umphone: ${oneLine(e.message)}\n`);
      return ExitCode.usage;
    }
    const message = e instanceof UmphoneError || e instanceof Error ? e.message : String(e);
    io.err(`umphone: ${oneLine(message)}\n`);
    return ExitCode.callFailed;
  }
  // --help and --version: yargs hands us the text instead of printing it.
  if (output) io.out(`${wrapHelp(output, helpWidth(io.columns()))}\n`);
  return ctx.exitCode;
}
