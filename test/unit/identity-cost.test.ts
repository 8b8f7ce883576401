// What identity costs in writes (issue #14, point 7): the same simulated history streamed twice over
// the in-memory pipeline's four shards — once as producers send it (anonymous ids, identifies, links,
// forwards), once with every id already resolved to its person — counting the item writes the
// DynamoDB adapters would make (member items, counter items, ledger claims). Printed for the report;
// the bound checked: the identity run's extra writes stay within one per record the consumer forwarded.
import { describe, expect, it } from 'vitest';
import { simulate, withIdentities } from '../../simulator';
import { ShardedStream } from '../support/sharded-stream';
import { MemoryPipeline } from '../support/memory-pipeline';
import type { BatchPorts } from '../../shared/batch/process-batch';

const PERSONS = 300;

async function run(lines: readonly string[]) {
  const writes = { members: 0, counters: 0, ledger: 0 };
  const counting = (ports: BatchPorts): Partial<BatchPorts> => ({
    members: { getMany: (ids) => ports.members.getMany(ids), put: async (s) => (writes.members++, ports.members.put(s)) },
    metrics: { read: (k, s) => ports.metrics.read(k, s), write: async (...a) => (writes.counters++, ports.metrics.write(...a)) },
    ledger: new Proxy(ports.ledger, {
      get: (target, name) => {
        const value = Reflect.get(target, name) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (String(name).startsWith('claim') || name === 'recordTierChanges') writes.ledger++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }),
  });
  const stream = new ShardedStream(new MemoryPipeline(), 4, counting);
  for (let i = 0; i < lines.length; i += 400) {
    stream.put(lines.slice(i, i + 400));
    for (let shard = 0; shard < 4; shard++) await stream.step(shard, 250);
  }
  await stream.drain(250);
  return { writes, total: writes.members + writes.counters + writes.ledger, forwarded: stream.forwarded.length };
}

describe('the write cost of identity', () => {
  it('extra writes per forwarded record stay at most one', async () => {
    const history = withIdentities(simulate({ members: PERSONS, days: 45, seed: 21 }), { seed: 21 }) as unknown as Record<string, string>[];
    const links = new Map(history.filter((e) => e.type === 'identify').map((e) => [e.anonymousId, e.memberId]));
    const resolved = history
      .filter((e) => e.type !== 'identify')
      .map((e) => {
        if (e.memberId || !links.has(e.anonymousId)) return e;
        const { anonymousId, ...rest } = e;
        return { ...rest, memberId: links.get(anonymousId)! };
      });
    const withIds = await run(history.map((e) => JSON.stringify(e)));
    const plain = await run(resolved.map((e) => JSON.stringify(e)));
    const extra = withIds.total - plain.total;
    console.log(
      `identity cost: ${history.length} events, ${withIds.forwarded} forwarded records; item writes ${withIds.total} vs ${plain.total} resolved ` +
        `(members ${withIds.writes.members}/${plain.writes.members}, counters ${withIds.writes.counters}/${plain.writes.counters}, ` +
        `ledger ${withIds.writes.ledger}/${plain.writes.ledger}); ${(withIds.total / history.length).toFixed(3)} vs ${(plain.total / resolved.length).toFixed(3)} per event; ` +
        `extra ${extra} = ${(extra / withIds.forwarded).toFixed(3)} per forwarded record`,
    );
    expect(withIds.forwarded).toBeGreaterThan(100);
    expect(extra).toBeLessThanOrEqual(withIds.forwarded);
  }, 600_000);
});
