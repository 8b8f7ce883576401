import { marshall } from '@aws-sdk/util-dynamodb';
import { attributeSize, itemSize } from '../bench/billing';
import { toStreamRecords } from '../functions/adapters/kinesis-records';
import { toMemberItem } from '../functions/adapters/member-item';
import { processBatch } from '../shared/batch/process-batch';
import { loadProgram } from '../shared/programme/load';
import { MemoryPipeline } from '../test/support/memory-pipeline';
import { workload } from '../bench/runs';
const program = loadProgram();
const w = workload(Number(process.argv[2] ?? 300), 30, 42, '2026-10-01', program);
const p = new MemoryPipeline(program);
const attr: Record<string, number> = {};
let over = 0, writes = 0;
const max = Math.max(...w.plan.batches.map((b) => b.length));
for (let i = 0; i < max; i++) for (const shard of w.plan.batches) {
  const ev = shard[i]; if (!ev) continue;
  const before = new Map([...p.members.items].map(([id, s]) => [id, s.version]));
  await processBatch(toStreamRecords(ev), p.ports());
  for (const [id, s] of p.members.items) {
    if (before.get(id) === s.version) continue;
    writes++;
    const m = marshall(toMemberItem(s), { removeUndefinedValues: true });
    if (itemSize(m) <= 1024) continue;
    over++;
    for (const [k, v] of Object.entries(m)) attr[k] = (attr[k] ?? 0) + attributeSize(k, v as any);
  }
}
console.log({ writes, over });
console.log(Object.entries(attr).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}:${Math.round(n / over)}`).join(' '));
