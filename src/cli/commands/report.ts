/**
 * `umphone report <summary.json> -o report.html`: the HTML call report made afterwards from what a
 * call or a run saved — `umphone call --json` (the summary with its evidence) or `umphone run --report
 * x.json` (every call of the script). Recordings named in the JSON are looked for as written (relative
 * to the working directory), then beside the JSON.
 */
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule } from 'yargs';
import { contextOf, oneLine } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { pageFromJson, writeReport } from '../report-file.js';

interface ReportArgv {
  json: string;
  output?: string;
}

export const reportCommand: CommandModule<object, ReportArgv> = {
  command: 'report <json>',
  describe: 'Make the HTML call report from a saved call summary (call --json) or run report (run --report x.json)',
  builder: (y) => (y
    .positional('json', { type: 'string', describe: 'The summary: umphone call --json FILE, or umphone run --report FILE.json' })
    .options({
      output: { alias: 'o', type: 'string', describe: 'The HTML page to write (default: the JSON\'s name with .html)' },
    })
    .epilog([
      'Examples:',
      '  umphone call sip:680@um.example.com --record-both --record call.wav --json call.json',
      '  umphone report call.json -o call.html',
      '  umphone run greeting.yaml --report result.json && umphone report result.json -o run.html',
      '',
      'Exit codes: 0 written, 2 the JSON cannot be read or is not a umphone summary.',
    ].join('\n'))) as unknown as Argv<ReportArgv>,
  handler: (argv) => {
    const ctx = contextOf(argv);
    const out = argv.output ?? argv.json.replace(/\.json$/i, '') + '.html';
    let text: string;
    try {
      text = readFileSync(argv.json, 'utf8');
    } catch (e) {
      ctx.io.err(`umphone: cannot read ${argv.json}: ${oneLine((e as Error).message)}\n`);
      ctx.exitCode = ExitCode.usage;
      return;
    }
    try {
      writeReport(out, pageFromJson(text, argv.json, out));
    } catch (e) {
      ctx.io.err(`umphone: ${oneLine((e as Error).message)}\n`);
      ctx.exitCode = ExitCode.usage;
      return;
    }
    ctx.io.out(`report written to ${out}\n`);
    ctx.exitCode = ExitCode.ok;
  },
};
