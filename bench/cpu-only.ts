// `npm run bench:cpu [-- --members N --days D --seed S] [--profile FILE]`: the handler CPU figure
// alone (in-memory ports, no DynamoDB Local). `--profile FILE` also writes a V8 CPU profile of the
// measured passes only (not of the workload's generation or the warm-up; asynchronous stacks lose
// their callers, so filter nothing), for `npx tsx bench/profile-table.ts FILE`.
import './quiet';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadProgram } from '../shared/programme/load';
import { measureHandlerCpu } from './cpu';
import { options } from './options';
import { workload } from './runs';

const argv = process.argv.slice(2);
const at = argv.indexOf('--profile');
const profileFile = at >= 0 ? argv.splice(at, 2)[1] : undefined;
const opts = options(argv);
const program = loadProgram();
const w = workload(opts.members, opts.days, opts.seed, opts.start, program);
let session: Session | undefined;
const cpu = await measureHandlerCpu(w.plan.batches, program, {
  beforePasses: async () => {
    if (!profileFile) return;
    session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 250 });
    await session.post('Profiler.start');
  },
});
if (session) {
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(profileFile!, JSON.stringify(profile));
  session.disconnect();
}
console.log(
  `${w.plan.records} events: ${cpu.microsPerEvent.toFixed(1)} µs per event (passes ${cpu.passes.map((x) => x.toFixed(1)).join(', ')})`,
);
console.log(JSON.stringify({ events: w.plan.records, handlerMicrosPerEvent: cpu.microsPerEvent, passes: cpu.passes }));
