// A batch whose last attempt dies part way through its member writes (a crash, a timeout) and is
// given up to the failed-batches bucket, then replayed at new stream positions as the runbook says
// (#19 Done-when: the chaos run with --max-retries 1 found the day counters off by one). Counters
// must hold exactly the members that were written: whatever the attempt booked for a member it never
// wrote must not stay, since the replay books that member again at its new positions.
import { describe, expect, it } from 'vitest';
import type { OracleEvent } from '../../harness/oracle/activity-oracle';
import { processBatch, type MemberPort } from '../../shared/batch/process-batch';
import type { MemoryPipeline } from '../support/memory-pipeline';
import { dayFigures, oracleFigures, pipelineAfter } from '../support/pipeline-after';

/** Member writes that commit until `writes` have, then the process is gone: every later call throws. */
function crashingAfter(p: MemoryPipeline, writes: number): MemberPort & { written: Set<string> } {
  let left = writes;
  let dead = false;
  const written = new Set<string>();
  const gone = () => new Error('injected: the invocation died');
  return {
    written,
    getMany: async (ids) => {
      if (dead) throw gone();
      return p.members.getMany(ids);
    },
    put: async (state, applied) => {
      if (left-- <= 0) dead = true;
      if (dead) throw gone();
      const ok = await p.members.put(state, applied);
      if (ok) written.add(state.memberId);
      return ok;
    },
  };
}

describe('a batch given up after its last attempt died among its member writes, replayed from the bucket', () => {
  for (const crashAfter of [0, 3, 10]) {
    it(`counts every member once (the attempt died after ${crashAfter} member writes)`, async () => {
      const { events, lines, p, records, size, start } = await pipelineAfter(7);

      // Both attempts (MaximumRetryAttempts 1) die, the last after `crashAfter` member writes: the
      // batch goes to the bucket whole.
      const batch = records.slice(start, start + size);
      let written = new Set<string>();
      for (const writes of [0, crashAfter]) {
        const members = crashingAfter(p, writes);
        await expect(processBatch(batch, p.ports({ members }))).rejects.toThrow('injected');
        written = new Set([...written, ...members.written]);
      }
      const inBatch = events.slice(start, start + size);
      const lost = new Set(inBatch.filter((e) => e.memberId && !written.has(e.memberId)).map((e) => e.memberId!));
      expect(lost.size).toBeGreaterThan(0);
      // The shard moves on; then the runbook replays the bucket's records at new positions.
      await p.deliver(records.slice(start + size), size);
      await p.deliver(p.records(lines.slice(start, start + size)), size);

      // What was applied, in the order it was: the records of members the attempts never wrote
      // arrive with the replay (the others' are repeats there).
      const inLost = (e: OracleEvent) => !!e.memberId && lost.has(e.memberId);
      const applied = [
        ...events.slice(0, start),
        ...inBatch.filter((e) => !inLost(e)),
        ...events.slice(start + size),
        ...inBatch.filter(inLost),
      ];
      expect(dayFigures(p)).toEqual(oracleFigures(applied));
    });
  }
});
