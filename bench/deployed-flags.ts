// Imported first by the benchmarks that time the handler (bench/run.ts, bench/cpu-only.ts): the
// handler is measured under the V8 flags it runs with on Lambda (infra/runtime-flags.ts). A process
// started without them starts itself again with them and ends with that run's exit code; V8 reads
// its heap sizes once, at start-up, so they cannot be set from inside.
import { spawnSync } from 'node:child_process';
import { BATCH_CODE_V8_FLAGS } from '../infra/runtime-flags';

const given = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const missing = BATCH_CODE_V8_FLAGS.filter((flag) => !given.includes(flag));
if (missing.length) {
  const run = spawnSync(process.execPath, [...process.execArgv, ...missing, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
