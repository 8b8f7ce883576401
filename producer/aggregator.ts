// Aggregation in the KPL format that keeps every member on its own shard: records are grouped by
// the shard their partition key maps to, and each aggregate is pinned there with ExplicitHashKey
// (the hash of its first record's key), so a consumer finds each sub-record on its member's shard.
import { AGGREGATE_OVERHEAD, aggregateGrowth, encodeAggregate, hashKeyOf } from '../shared/stream/kpl-aggregate';
import { MAX_RECORD_BYTES, plainEntry, type PutEntry, type UserRecordInput } from './batching';
import type { ShardRange } from './shard-map';
import { shardFor } from './shard-map';

/** One PUT payload unit (25 KB): fills units without rounding waste and keeps a retry small. */
export const DEFAULT_AGGREGATE_BYTES = 25 * 1024;

export function aggregateEntries(
  records: readonly UserRecordInput[],
  shards: readonly ShardRange[],
  maxBytes = DEFAULT_AGGREGATE_BYTES,
): PutEntry[] {
  const limit = Math.min(maxBytes, MAX_RECORD_BYTES);
  const byShard = new Map<string, UserRecordInput[]>();
  const out: PutEntry[] = [];
  for (const record of records) {
    const shard = shardFor(shards, hashKeyOf(record.partitionKey));
    if (!shard) {
      out.push(plainEntry(record)); // a map that does not cover the key: send it on its own
      continue;
    }
    const list = byShard.get(shard.shardId);
    if (list) list.push(record);
    else byShard.set(shard.shardId, [record]);
  }
  for (const [shardId, list] of byShard) {
    let group: UserRecordInput[] = [];
    let keys = new Set<string>();
    let size = AGGREGATE_OVERHEAD;
    const close = () => {
      if (group.length) out.push(toEntry(group, shardId));
      group = [];
      keys = new Set();
      size = AGGREGATE_OVERHEAD;
    };
    for (const record of list) {
      const pkBytes = Buffer.byteLength(record.partitionKey);
      if (AGGREGATE_OVERHEAD + aggregateGrowth(record, true) + pkBytes > limit) {
        out.push(plainEntry(record)); // too big to share a record: alone, unaggregated
        continue;
      }
      let growth = aggregateGrowth(record, !keys.has(record.partitionKey));
      // The aggregate's own partition key (its first record's) counts towards the record size.
      const headKeyBytes = group.length ? Buffer.byteLength(group[0].partitionKey) : pkBytes;
      if (group.length && size + growth + headKeyBytes > limit) {
        close();
        growth = aggregateGrowth(record, true);
      }
      group.push(record);
      keys.add(record.partitionKey);
      size += growth;
    }
    close();
  }
  return out;
}

function toEntry(group: UserRecordInput[], shardId: string): PutEntry {
  // A single record needs no envelope: it is the same on the wire either way, and cheaper plain.
  if (group.length === 1) return plainEntry(group[0]);
  const first = group[0].partitionKey;
  return {
    data: encodeAggregate(group.map((r) => ({ partitionKey: r.partitionKey, data: r.data }))),
    partitionKey: first,
    explicitHashKey: hashKeyOf(first).toString(),
    expectedShardId: shardId,
    records: group,
  };
}
