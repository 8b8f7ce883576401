// The handler CPU figure alone (in-memory ports, no DynamoDB Local): `npm run bench:cpu` runs it
// bundled as deployed (bench/cpu-bundle.ts), `npm run bench:cpu:source` from the sources under tsx.
// `[-- --members N --days D --seed S] [--profile FILE] [--ports sharing]`. `--profile FILE` also writes a V8
// CPU profile of the measured passes only (not of the workload's generation or the warm-up;
// asynchronous stacks lose their callers, so filter nothing), for `npx tsx bench/profile-table.ts
// FILE`. `--ports sharing`: ports that copy nothing (bench/cpu.ts), after checking that a pass on
// them ends as one on the copying ports does — the handler's own CPU without the test store's copies.
import './deployed-flags';
import { BATCH_CODE_V8_FLAGS } from '../infra/runtime-flags';
import './quiet';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadProgram } from '../shared/programme/load';
import { measureHandlerCpu, sameEnd, type PortMode } from './cpu';
import { options } from './options';
import { workload } from './runs';

const argv = process.argv.slice(2);
const at = argv.indexOf('--profile');
const profileFile = at >= 0 ? argv.splice(at, 2)[1] : undefined;
const portsAt = argv.indexOf('--ports');
const ports = (portsAt >= 0 ? argv.splice(portsAt, 2)[1] : 'copying') as PortMode;
if (ports !== 'copying' && ports !== 'sharing') throw new Error('--ports copying|sharing');
const opts = options(argv);
const program = loadProgram();
const w = workload(opts.members, opts.days, opts.seed, opts.start, program);
if (ports === 'sharing' && !(await sameEnd(w.plan.batches, program))) throw new Error('the sharing ports ended differently');
let session: Session | undefined;
const cpu = await measureHandlerCpu(w.plan.batches, program, {
  ports,
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
  `${w.plan.records} events, ${ports} ports, V8 flags ${BATCH_CODE_V8_FLAGS.join(' ')}: ${cpu.microsPerEvent.toFixed(1)} µs per event (passes ${cpu.passes.map((x) => x.toFixed(1)).join(', ')})`,
);
console.log(
  JSON.stringify({
    events: w.plan.records,
    ports,
    v8Flags: BATCH_CODE_V8_FLAGS,
    handlerMicrosPerEvent: cpu.microsPerEvent,
    passes: cpu.passes,
  }),
);
