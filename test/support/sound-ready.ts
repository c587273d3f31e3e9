/** Whether the virtual-sound-card tests can run here: PulseAudio's tools and the naudiodon addon. */
import { execFileSync } from 'node:child_process';

export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The addon loads (with libasound2 present); checked in a child so a failure cannot hurt this process. */
export function haveNaudiodon(): boolean {
  try {
    execFileSync(process.execPath, ['-e', "require('naudiodon')"], { stdio: 'ignore', env: { ...process.env, PULSE_SERVER: '' } });
    return true;
  } catch {
    return false;
  }
}

/** PulseAudio (daemon, parec, pacat), the addon, and any extra commands a test needs. */
export function soundCardTestable(extra: string[] = []): boolean {
  return ['pulseaudio', 'parec', 'pacat', ...extra].every(haveCommand) && haveNaudiodon();
}
