// `npm run bench:cpu [-- --members N --days D --seed S]`: the handler CPU figure alone (in-memory
// ports, no DynamoDB Local), for profiling: `node --cpu-prof --import tsx bench/cpu-only.ts`.
import './quiet';
import { loadProgram } from '../shared/programme/load';
import { measureHandlerCpu } from './cpu';
import { options } from './options';
import { workload } from './runs';

const opts = options(process.argv.slice(2));
const program = loadProgram();
const w = workload(opts.members, opts.days, opts.seed, opts.start, program);
const cpu = await measureHandlerCpu(w.plan.batches, program);
console.log(
  `${w.plan.records} events: ${cpu.microsPerEvent.toFixed(1)} µs per event (passes ${cpu.passes.map((x) => x.toFixed(1)).join(', ')})`,
);
console.log(JSON.stringify({ events: w.plan.records, handlerMicrosPerEvent: cpu.microsPerEvent, passes: cpu.passes }));
