import { toStreamRecords } from '../functions/adapters/kinesis-records';
import { toMemberItem } from '../functions/adapters/member-item';
import { processBatch } from '../shared/batch/process-batch';
import { loadProgram } from '../shared/programme/load';
import { MemoryPipeline } from '../test/support/memory-pipeline';
import { workload } from './../bench/runs';
const program = loadProgram();
const w = workload(300, 30, 42, '2026-10-01', program);
const p = new MemoryPipeline(program);
const reasons: Record<string, number> = {};
const bump = (k: string, n = 1) => (reasons[k] = (reasons[k] ?? 0) + n);
const snap = () => new Map([...p.members.items].map(([id, s]) => [id, toMemberItem(s)]));
// Shards in turn, batch by batch (round robin), as the bench's plan orders them per shard.
const max = Math.max(...w.plan.batches.map((b) => b.length));
for (let i = 0; i < max; i++) {
  for (const shard of w.plan.batches) {
    const ev = shard[i];
    if (!ev) continue;
    const before = snap();
    await processBatch(toStreamRecords(ev), p.ports());
    for (const [id, s] of p.members.items) {
      const a = toMemberItem(s);
      const b = before.get(id);
      if (b && b.v === a.v) continue;
      const had = b?.cj !== undefined, has = a.cj !== undefined;
      if (!had && has) bump('enter');
      else if (had && !has) bump('leave');
      else if (had && has) {
        if (b!.cj !== a.cj) bump('cj move (2 writes)', 2);
        else if (b!.ce !== a.ce) bump('ce change');
      }
    }
  }
}
console.log(reasons);
