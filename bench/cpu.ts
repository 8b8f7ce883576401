// CPU time of the events handler's own code: the same batches through `toStreamRecords` and
// `processBatch` with the in-memory ports (no I/O), after a warm-up pass on separate ports.
import type { KinesisStreamEvent } from 'aws-lambda';
import { toStreamRecords } from '../functions/adapters/kinesis-records';
import {
  MemoryActions,
  MemoryHints,
  MemoryLedger,
  MemoryMembers,
  MemoryMetrics,
  MemoryQuarantine,
  MemorySegments,
} from '../test/support/memory-ports';
import { processBatch, type BatchPorts } from '../shared/batch/process-batch';
import type { Program } from '../shared/programme/vocabulary';

export interface CpuResult {
  events: number;
  /** User + system CPU of the fastest measured pass, µs. */
  cpuMicros: number;
  microsPerEvent: number;
  /** µs per event of each measured pass. */
  passes: number[];
}

async function pass(batches: readonly (readonly KinesisStreamEvent[])[], program: Program): Promise<number> {
  const ledger = new MemoryLedger();
  const ports: BatchPorts = {
    // Member writes mark their claims on this ledger, as the DynamoDB transaction does.
    members: new MemoryMembers(ledger),
    ledger,
    quarantine: new MemoryQuarantine(),
    metrics: new MemoryMetrics(),
    actions: new MemoryActions(),
    segments: new MemorySegments(),
    hints: new MemoryHints(),
    program,
  };
  let events = 0;
  // Shard after shard, each in order (shards do not share members, so this is the same work).
  for (const shard of batches) {
    for (const event of shard) {
      const result = await processBatch(toStreamRecords(event), ports);
      if (result.failedSeqs.length) throw new Error('in-memory batch failed');
      events += event.Records.length;
    }
  }
  return events;
}

/**
 * A warm-up pass, then `passes` measured passes on fresh ports. The fastest pass is reported: it
 * is the code's own cost; slower passes measure neighbours on the machine (shared cores, caches,
 * frequency), which process CPU time does not exclude.
 */
export async function measureHandlerCpu(
  batches: readonly (readonly KinesisStreamEvent[])[],
  program: Program,
  opts: { warmup?: boolean; passes?: number; beforePasses?: () => Promise<void> } = {},
): Promise<CpuResult> {
  if (opts.warmup !== false) await pass(batches, program);
  await opts.beforePasses?.();
  const runs: { events: number; cpuMicros: number }[] = [];
  for (let i = 0; i < (opts.passes ?? 5); i++) {
    const start = process.cpuUsage();
    const events = await pass(batches, program);
    const used = process.cpuUsage(start);
    runs.push({ events, cpuMicros: used.user + used.system });
  }
  runs.sort((a, b) => a.cpuMicros - b.cpuMicros);
  const best = runs[0];
  const per = (r: { events: number; cpuMicros: number }) => r.cpuMicros / Math.max(r.events, 1);
  return { ...best, microsPerEvent: per(best), passes: runs.map(per) };
}
