/** A script that cannot run as written: the file, the line and the reason ("script.yaml:7: unknown step "wiat_for""). */
import { UmphoneError } from '../util/errors.js';

export class ScriptError extends UmphoneError {
  constructor(readonly file: string, readonly line: number, readonly reason: string) {
    super(`${file}:${line}: ${reason}`, 'SCRIPT');
  }
}
