// A batch retried from a failed member write keeps the job hints of the members its first attempt
// wrote. A retry from the reported record (Lambda's partial failure, the import's applyBatch) ends
// at the same record, so it writes its hint lists under the same (key, source) — before, its lists
// named only the members it wrote itself and replaced the first attempt's: the members written
// first dropped out of `la#<day>` / `pu#<day>`, and 30 days later the status job never found them
// (no status_check, no win-back offer). Seen as the demo's 6 status checks (40 expected) when the
// import's member writes raced the stack's consumer applying the forwarded identity commands.
import { describe, expect, it } from 'vitest';
import { processBatch, type BatchPorts, type MemberPort } from '../../shared/batch/process-batch';
import { dayNumber, MS_PER_DAY } from '../../shared/days/days';
import type { JobCommand } from '../../shared/events/events';
import { runImport, type ImportSummary } from '../../shared/import/run-import';
import { runWinback } from '../../shared/jobs/run-winback';
import { lastActiveHintKey, purchaseHintKey } from '../../shared/keys/metrics-keys';
import { eventsToJsonLines, simulate } from '../../simulator';
import { MemoryPipeline } from '../support/memory-pipeline';
import { MemoryJobProgress } from '../support/memory-ports';

const TZ = 'Asia/Shanghai';
const DAY = '2027-01-05';

/** The member port refusing the first write of the given members (another writer changed them). */
function refusingOnce(members: MemberPort, ids: readonly string[]): MemberPort {
  const refuse = new Set(ids);
  return {
    getMany: (memberIds) => members.getMany(memberIds),
    put: async (state, applied) => (refuse.delete(state.memberId) ? false : members.put(state, applied)),
  };
}

describe('job hints of a batch retried from a failed member write', () => {
  it('keep the members the first attempt wrote (la# and pu#), and the status job finds them 30 days later', async () => {
    const p = new MemoryPipeline(undefined, () => Date.parse('2027-03-01T00:00:00Z'));
    const at = `${DAY}T10:00:00+08:00`;
    const lines = ['m1', 'm2', 'm3'].flatMap((id) => [
      JSON.stringify({ eventId: `o-${id}`, type: 'app_open', memberId: id, occurredAt: at }),
      JSON.stringify({
        eventId: `p-${id}`,
        type: 'purchase',
        memberId: id,
        occurredAt: at,
        orderId: `order-${id}`,
        channel: 'store',
        lines: [{ sku: 's1', category: 'shoes', amountCents: 12_000 }],
      }),
    ]);
    const records = p.records(lines);
    const ports: BatchPorts = p.ports({ members: refusingOnce(p.members, ['m3']) });
    const first = await processBatch(records, ports);
    expect(first.failedSeqs).toEqual([records[4].seq]); // m3's first record
    // Retried from the reported record, to the same last record.
    const retry = await processBatch(records.slice(records.findIndex((r) => r.seq === first.failedSeqs[0])), ports);
    expect(retry.failedSeqs).toEqual([]);
    const day = dayNumber(DAY);
    expect(p.hints.ids(lastActiveHintKey(day)).sort()).toEqual(['m1', 'm2', 'm3']);
    expect(p.hints.ids(purchaseHintKey(day)).sort()).toEqual(['m1', 'm2', 'm3']);

    const commands: JobCommand[] = [];
    await runWinback(p.program, day + 30, {
      members: p.members,
      hints: { hintIds: async (key) => p.hints.ids(key) },
      commands: { put: async (c) => void commands.push(...c) },
      progress: new MemoryJobProgress(),
      now: () => (day + 30) * MS_PER_DAY,
    });
    expect(commands.map((c) => c.memberId).sort()).toEqual(['m1', 'm2', 'm3']);
  });

  it('the import: refused member writes (retried by the import) leave the status checks and RFM updates of an import without', async () => {
    const start = '2026-03-01';
    const arrived = Date.parse('2026-06-15T00:00:00Z');
    const history = [...eventsToJsonLines(simulate({ members: 40, days: 90, seed: 42, start, timezone: TZ }))]
      .map((line) => ({ at: Date.parse(JSON.parse(line).occurredAt), line }))
      .sort((a, b) => a.at - b.at);
    const run = async (refuseEvery: number): Promise<ImportSummary & { refused: number }> => {
      const p = new MemoryPipeline(undefined, () => arrived);
      let writes = 0;
      let refused = 0;
      const members: MemberPort = {
        getMany: (ids) => p.members.getMany(ids),
        put: async (state, applied) => (refuseEvery && ++writes % refuseEvery === 0 ? (refused++, false) : p.members.put(state, applied)),
      };
      const summary = await runImport(
        (async function* () {
          yield* history;
        })(),
        { sourceId: 'import-test', arrivedAt: arrived, batchSize: 10_000 },
        {
          batch: p.ports({ members }),
          jobs: {
            members: p.members,
            hints: { hintIds: async (key) => p.hints.ids(key) },
            progress: new MemoryJobProgress(),
            reviewIndex: { membersWithReviewBy: async () => [] },
            coinDue: p.hints.coinDue,
          },
          saveCheckpoint: async () => {},
        },
      );
      return { ...summary, refused };
    };
    const clean = await run(0);
    expect(clean.jobCommandsByType.status_check).toBeGreaterThan(0);
    const raced = await run(7);
    expect(raced.refused).toBeGreaterThan(10);
    expect(raced.jobCommandsByType).toEqual(clean.jobCommandsByType);
  }, 240_000);
});
