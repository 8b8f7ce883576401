// `npx tsx bench/cpu-phases.ts [--members N --days D]`: the handler CPU figure split by phase
// (decode alone, then the whole processBatch), fastest of 5 passes each, for profiling #16.
import './quiet';
import { toStreamRecords } from '../functions/adapters/kinesis-records';
import { decodeBatch } from '../shared/batch/decode';
import { loadProgram } from '../shared/programme/load';
import { measureHandlerCpu } from './cpu';
import { options } from './options';
import { workload } from './runs';

const opts = options(process.argv.slice(2));
const program = loadProgram();
const w = workload(opts.members, opts.days, opts.seed, opts.start, program);
const events = w.plan.records;
const best = async (fn: () => Promise<void>) => {
  const runs: number[] = [];
  for (let i = 0; i < 6; i++) {
    const start = process.cpuUsage();
    await fn();
    const used = process.cpuUsage(start);
    runs.push((used.user + used.system) / events);
  }
  return Math.min(...runs.slice(1));
};
const records = w.plan.batches.map((shard) => shard.map((event) => toStreamRecords(event)));
const base64 = await best(async () => {
  for (const shard of w.plan.batches) for (const event of shard) toStreamRecords(event);
});
const decode = await best(async () => {
  for (const shard of records) for (const batch of shard) await decodeBatch(batch, { canForward: false });
});
const cpu = await measureHandlerCpu(w.plan.batches, program);
console.log(JSON.stringify({ events, base64, decode, total: cpu.microsPerEvent }));
