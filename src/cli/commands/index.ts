/**
 * The sub-commands of `umphone`, in the order --help lists them. A module adds its command by
 * exporting a yargs CommandModule and appending it here; its handler reads the CLI context with
 * `contextOf(argv)` (context.ts) and sets `ctx.exitCode` (exit-codes.ts).
 */
import type { CommandModule } from 'yargs';
import { callCommand } from './call.js';
import { devicesCommand } from './devices.js';
import { runCommand } from './run.js';
import { loadCommand } from './load.js';
import { listenCommand } from './listen.js';
import { serveCommand } from './serve.js';
import { demoCommand } from './demo.js';
import { reportCommand } from './report.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = CommandModule<any, any>;

export const commands: AnyCommand[] = [
  callCommand,
  devicesCommand,
  listenCommand,
  runCommand,
  loadCommand,
  serveCommand,
  demoCommand,
  reportCommand,
  // serve, listen, run and demo are added here by their modules (src/um, src/script, ...).
];
