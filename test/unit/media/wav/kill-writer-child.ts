/**
 * Child process for the SIGKILL test: records a 440 Hz tone in 20 ms frames at (roughly) real
 * time-independent speed, prints "ready <frames>" after enough audio for several header patches, and
 * keeps writing until the parent kills it. Not a test file (no .test.ts): run by writer.test.ts.
 */
import { RealClock } from '../../../../src/util/clock.js';
import { WavWriter } from '../../../../src/media/wav/writer.js';

const [path, channelsArg] = process.argv.slice(2);
const channels = channelsArg === '2' ? 2 : 1;
const w = WavWriter.open(path!, { channels, patchEveryMs: 100 });
const clock = new RealClock();
let n = 0;
const frame = (): Int16Array => {
  const f = new Int16Array(160);
  for (let i = 0; i < 160; i++) f[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * (n * 160 + i)) / 8000));
  n++;
  return f;
};
// A burst of 1.3 s of audio, then one frame per millisecond until killed.
for (let i = 0; i < 65; i++) (channels === 2 ? w.writeStereo(frame(), new Int16Array(160)) : w.write(frame()));
process.stdout.write(`ready ${n}\n`);
const tick = (): void => {
  if (channels === 2) w.writeStereo(frame(), new Int16Array(160));
  else w.write(frame());
  clock.setTimeout(tick, 1);
};
tick();
