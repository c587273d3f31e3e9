/**
 * `umphone devices`: the sound devices PortAudio sees, as a table (the index is what --output-device and
 * --input-device take). When the sound card cannot be used at all (naudiodon not installed or not
 * built, no PortAudio device), one line says why and what to install, and the exit code is 1: a
 * script asking for the devices did not get them.
 */
import type { CommandModule } from 'yargs';
import { RealClock } from '../../util/clock.js';
import { listAudioDevices } from '../../media/device/open.js';
import { SoundCardUnavailableError } from '../../media/device/errors.js';
import { contextOf, oneLine } from '../context.js';
import { ExitCode } from '../exit-codes.js';
import { formatDeviceTable } from '../device-table.js';

export const devicesCommand: CommandModule<object, object> = {
  command: 'devices',
  describe: 'List the sound devices (for --output-device / --input-device)',
  builder: (y) => y.epilog('Exit code 1 (with one line saying what to install) when no sound card can be used.'),
  handler: async (argv) => {
    const ctx = contextOf(argv);
    try {
      const devices = await listAudioDevices({ clock: new RealClock() });
      ctx.io.out(formatDeviceTable(devices));
      ctx.exitCode = ExitCode.ok;
    } catch (e) {
      const text = e instanceof SoundCardUnavailableError ? e.message : `cannot list the sound devices: ${(e as Error).message}`;
      ctx.io.err(`umphone: ${oneLine(text)}\n`);
      ctx.exitCode = ExitCode.callFailed;
    }
  },
};
