// The chaos run's actions oracle (harness/chaos/actions-oracle.ts) against the in-memory pipeline:
// every kind of action the month produces — upgrades, refund reverts, segments entered and exited as
// of each record's arrival day — with producer repeats and a refund of an unknown order in the
// stream, under member-write faults and crashes. A disagreement here is the oracle's or the
// pipeline's, found in seconds rather than in a chaos run.
import { describe, expect, it } from 'vitest';
import { eventsToJsonLines, operatorMerges, simulate, withIdentities } from '../../simulator';
import { buildActivityOracle, type OracleEvent } from '../../harness/oracle/activity-oracle';
import { actionKey, expectedActions } from '../../harness/chaos/actions-oracle';
import { processBatch, type MemberPort } from '../../shared/batch/process-batch';
import { MemoryPipeline } from '../support/memory-pipeline';
import { ShardedStream } from '../support/sharded-stream';
import { refundLine } from '../support/event-lines';

const TZ = 'Asia/Shanghai';

function actualByMember(p: MemoryPipeline): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of p.actions.byId.values()) out.set(a.memberId, [...(out.get(a.memberId) ?? []), actionKey(a)].sort());
  return out;
}

describe('the chaos actions oracle', () => {
  it('expects exactly the actions the pipeline publishes, of every kind, under faults', async () => {
    const events = [...simulate({ members: 40, days: 12, seed: 5, start: '2026-10-01', timezone: TZ })] as unknown as OracleEvent[];
    const lines = [...eventsToJsonLines(events as never)];
    // Producer repeats, and a refund of an order nobody bought (quarantined: no action, no segment change).
    const stream = [...lines];
    for (let i = 50; i < stream.length; i += 97) stream.splice(i + 3, 0, stream[i]);
    stream.splice(200, 0, refundLine('ghost-refund', events[0].memberId!, 'no-such-order', '2026-10-02', 100));
    // Arrivals spread over two days, a month after the events: statuses change as the records come in.
    let clock = Date.parse('2026-10-31T08:00:00+08:00');
    const p = new MemoryPipeline(undefined, () => (clock += 90_000));
    const records = p.records(stream);

    // Every 5th member write refused once, every 7th batch crashes after its member writes.
    let writes = 0;
    const flaky: MemberPort = {
      getMany: (ids) => p.members.getMany(ids),
      put: async (state, applied) => (++writes % 5 === 0 ? false : p.members.put(state, applied)),
    };
    let batches = 0;
    for (let at = 0; at < records.length;) {
      const batch = records.slice(at, at + 120);
      let failed: string | undefined;
      try {
        const result = await processBatch(batch, p.ports({ members: flaky }));
        if (++batches % 7 === 0) throw new Error('crash after the member writes');
        failed = result.failedSeqs[0];
      } catch {
        failed = batch[0].seq;
      }
      at = failed === undefined ? at + batch.length : records.findIndex((r) => r.seq === failed);
    }

    const activity = buildActivityOracle(events, TZ);
    const expected = expectedActions(
      records.map((r) => ({ data: new TextDecoder().decode(r.data), arrivedAt: r.arrivedAt })),
      new Set(stream),
      { timeZone: TZ, joinedOn: (id) => activity.member(id)?.joinedOn, coinsJobDay: '2026-11-02' },
    );
    const kinds = new Set([...expected.values()].flat().map((k) => k.split('|')[0]));
    expect([...kinds].sort()).toEqual(['segment_entered', 'segment_exited', 'tier_upgraded']);
    expect(actualByMember(p)).toEqual(expected);
  });

  it('expects exactly the actions with identities: visitors, late identifies, forwards and operator merges, under faults', async () => {
    const events = withIdentities(simulate({ members: 60, days: 12, seed: 8, start: '2026-10-01', timezone: TZ }), {
      seed: 8,
    }) as unknown as OracleEvent[];
    const lines = [...eventsToJsonLines(events as never)];
    const stream = [...lines];
    for (let i = 40; i < stream.length; i += 89) stream.splice(i + 3, 0, stream[i]);
    let clock = Date.parse('2026-10-31T08:00:00+08:00');
    const p = new MemoryPipeline(undefined, () => (clock += 60_000));
    // Every 5th member write refused once; every 9th forward put fails after its records went out
    // (the batch is retried and forwards them again).
    let writes = 0;
    let puts = 0;
    const sharded = new ShardedStream(p, 4, (ports) => ({
      members: {
        getMany: (ids) => ports.members.getMany(ids),
        put: async (s, a) => (++writes % 5 === 0 ? false : ports.members.put(s, a)),
      },
      forward: {
        put: async (records) => {
          await ports.forward!.put(records);
          if (++puts % 9 === 0) throw new Error('crash after the forwards went out');
        },
      },
    }));
    for (let i = 0; i < stream.length; i += 300) {
      sharded.put(stream.slice(i, i + 300));
      for (let shard = 0; shard < 4; shard++) await sharded.step(shard, 120);
    }
    await sharded.drain(120);
    // The operator merges after the month, as the chaos run asks them.
    const merges = operatorMerges(events, { seed: 8, count: 3 });
    sharded.put(merges.map((m) => p.merge(m.into, m.from, m.mergeId)));
    await sharded.drain(120);

    const activity = buildActivityOracle(events, TZ, merges);
    const own = buildActivityOracle(events, TZ);
    const decoder = new TextDecoder();
    const expected = expectedActions(
      sharded.shards.flat().map((r) => ({ data: decoder.decode(r.data), arrivedAt: r.arrivedAt })),
      new Set(stream),
      { timeZone: TZ, joinedOn: (id) => (activity.member(id) ?? own.member(id))?.joinedOn, coinsJobDay: '2026-11-02' },
    );
    const kinds = new Set([...expected.values()].flat().map((k) => k.split('|')[0]));
    expect([...kinds].sort()).toEqual(['member_merged', 'segment_entered', 'segment_exited', 'tier_upgraded']);
    expect(sharded.forwarded.length).toBeGreaterThan(50);
    expect(actualByMember(p)).toEqual(expected);
  });
});
