import type { AppliedClaim } from '../../shared/member/ledger';
// The batch's clock is its records' arrival times, not the wall clock of the attempt (issue 17
// item 2): Lambda retries a failed batch minutes later — possibly after midnight — and a retry
// must recompute exactly what the first attempt computed, because the counters written by the
// first attempt already hold its deltas and skip them on the retry.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dayNumber } from '../../shared/days/days';
import { dayKey, TOTALS_KEY } from '../../shared/keys/metrics-keys';
import { processBatch, type MemberPort, type StreamRecord } from '../../shared/batch/process-batch';
import type { MemberState } from '../../shared/member/state';
import { MemoryPipeline } from '../support/memory-pipeline';

const SHARD = 'shardId-000000000000';
const encoder = new TextEncoder();
let seq = 0;
const record = (line: object, arrivedAt: number): StreamRecord => ({
  shardId: SHARD,
  seq: String(++seq).padStart(20, '0'),
  data: encoder.encode(JSON.stringify(line)),
  arrivedAt,
});
const open = (memberId: string, eventId: string, occurredAt: string) => ({ eventId, type: 'app_open', memberId, occurredAt });

/** Member writes of `failing` fail on the first attempt only (a throttled write: the batch is retried). */
function failOnce(members: MemberPort, failing: string): MemberPort {
  let failed = false;
  return {
    getMany: (ids) => members.getMany(ids),
    put: async (state: MemberState, applied?: readonly AppliedClaim[]) => {
      if (state.memberId === failing && !failed) {
        failed = true;
        return false;
      }
      return members.put(state, applied);
    },
  };
}

/** Delivers one batch as Lambda does: attempt at `first`, then retries from the checkpoint at `retryAt`. */
async function deliverWithRetry(pipeline: MemoryPipeline, batch: StreamRecord[], members: MemberPort, first: number, retryAt: number) {
  vi.setSystemTime(first);
  const attempt = await processBatch(batch, pipeline.ports({ members }));
  expect(attempt.failedSeqs).toHaveLength(1);
  vi.setSystemTime(retryAt);
  const retry = await processBatch(
    batch.filter((r) => r.seq >= attempt.failedSeqs[0]),
    pipeline.ports({ members }),
  );
  expect(retry.failedSeqs).toEqual([]);
}

/** Segment sizes by the counters, and by the members' own state: they must agree. */
function segmentSizes(pipeline: MemoryPipeline) {
  const counters = Object.fromEntries([...pipeline.metrics.sum(TOTALS_KEY)].filter(([k, v]) => k.startsWith('seg|') && v !== 0));
  const fromMembers: Record<string, number> = {};
  for (const m of pipeline.members.items.values()) for (const s of m.segments) fromMembers[`seg|${s}`] = (fromMembers[`seg|${s}`] ?? 0) + 1;
  return { counters, fromMembers };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("the batch clock is the records' arrival time", () => {
  it('a record quarantined as future on one attempt stays quarantined on a retry 10 minutes later', async () => {
    // The pipeline's clock follows the (faked) wall clock, so any use of it in the batch path shows.
    const pipeline = new MemoryPipeline(undefined, () => Date.now());
    const arrived = Date.parse('2026-11-30T10:00:00+08:00');
    const batch = [
      record(open('g', 'g-1', '2026-11-30T09:00:00+08:00'), arrived),
      // Six minutes ahead of its arrival: over the 5-minute allowance.
      record(open('f', 'f-1', '2026-11-30T10:06:00+08:00'), arrived),
    ];
    await deliverWithRetry(pipeline, batch, failOnce(pipeline.members, 'g'), arrived + 1_000, arrived + 10 * 60_000);

    expect(pipeline.member('g')?.activity.lastActiveOn).toBe(dayNumber('2026-11-30'));
    expect(pipeline.member('f')).toBeUndefined();
    const quarantined = [...pipeline.quarantine.items.values()];
    expect(quarantined.map((q) => [q.seq, q.reason])).toEqual([[batch[1].seq, 'future_occurred_at']]);
    // The counters agree with the members: one active member that day, one member in all.
    const day = pipeline.metrics.sum(dayKey(dayNumber('2026-11-30')));
    expect(day.get('dau')).toBe(1);
    expect(pipeline.metrics.sum(TOTALS_KEY).get('members')).toBe(1);
  });

  it('a retry across midnight does not move segment counts', async () => {
    const pipeline = new MemoryPipeline(undefined, () => Date.now());
    // m1 was last active 29 days before the batch: still "active" that day, "silent" the next.
    const firstSeen = Date.parse('2026-11-01T12:00:00+08:00');
    vi.setSystemTime(firstSeen);
    expect((await processBatch([record(open('m1', 'm1-1', '2026-11-01T11:00:00+08:00'), firstSeen)], pipeline.ports())).failedSeqs).toEqual(
      [],
    );
    expect(segmentSizes(pipeline).counters['seg|status-active']).toBe(1);

    // Another event of that day, arriving at 23:55 on day 29; the retry runs after midnight.
    const arrived = Date.parse('2026-11-30T23:55:00+08:00');
    const batch = [
      record(open('m1', 'm1-2', '2026-11-01T18:00:00+08:00'), arrived),
      record(open('m2', 'm2-1', '2026-11-30T23:50:00+08:00'), arrived),
    ];
    await deliverWithRetry(pipeline, batch, failOnce(pipeline.members, 'm1'), arrived + 60_000, Date.parse('2026-12-01T00:05:00+08:00'));

    const sizes = segmentSizes(pipeline);
    expect(pipeline.member('m1')!.segments).toContain('status-active');
    expect(sizes.counters['seg|status-active']).toBe(2);
    expect(sizes.counters['seg|status-silent']).toBeUndefined();
    expect(sizes.counters).toEqual(sizes.fromMembers);
    expect([...(pipeline.segments.members.get('status-active') ?? [])].sort()).toEqual(['m1', 'm2']);
  });

  it('a command is checked against the day its own record arrived, not the day it is processed', async () => {
    const pipeline = new MemoryPipeline(undefined, () => Date.now());
    const seen = Date.parse('2026-11-30T09:00:00+08:00');
    vi.setSystemTime(seen);
    await processBatch([record(open('c1', 'c1-1', '2026-11-30T08:00:00+08:00'), seen)], pipeline.ports());
    // A status check for tomorrow put at 23:59 is refused even when processed after midnight.
    const arrived = Date.parse('2026-11-30T23:59:00+08:00');
    vi.setSystemTime(Date.parse('2026-12-01T00:10:00+08:00'));
    const command = pipeline.signer.sign({
      eventId: 'status_check:2026-12-01:c1',
      type: 'status_check',
      memberId: 'c1',
      occurredAt: '2026-11-30T15:59:00Z',
      asOf: '2026-12-01',
    });
    const result = await processBatch([record(command, arrived)], pipeline.ports());
    expect(result.quarantined).toBe(1);
    expect([...pipeline.quarantine.items.values()].map((q) => [q.reason, q.detail])).toEqual([
      ['invalid_event', 'asOf: 2026-12-01 is after today'],
    ]);
  });
});
