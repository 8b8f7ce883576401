// Request planning within the Kinesis limits, the KPL record format, and per-shard aggregation.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  aggregateEntries,
  MAX_REQUEST_BYTES,
  planRequests,
  RecordTooLargeError,
  shardFor,
  type PutEntry,
  type ShardRange,
} from '../../producer';
import { plainEntry } from '../../producer/batching';
import {
  CorruptAggregateError,
  decodeAggregate,
  encodeAggregate,
  hashKeyOf,
  isAggregated,
  KPL_MAGIC,
} from '../../shared/stream/kpl-aggregate';

const enc = new TextEncoder();
const rec = (pk: string, text: string) => ({ partitionKey: pk, data: enc.encode(text) });
const entry = (bytes: number, pk = 'm'): PutEntry => plainEntry({ partitionKey: pk, data: new Uint8Array(bytes) });

/** n equal hash key ranges, like a stream created with n shards. */
function evenShards(n: number): ShardRange[] {
  const span = 2n ** 128n / BigInt(n);
  return Array.from({ length: n }, (_, i) => ({
    shardId: `shardId-${String(i).padStart(12, '0')}`,
    start: span * BigInt(i),
    end: i === n - 1 ? 2n ** 128n - 1n : span * BigInt(i + 1) - 1n,
  }));
}

describe('PutRecords request planning', () => {
  it('keeps at most 500 records per request, in order', () => {
    const entries = Array.from({ length: 1234 }, (_, i) => entry(10, `m${i}`));
    const requests = planRequests(entries);
    expect(requests.map((r) => r.length)).toEqual([500, 500, 234]);
    expect(requests.flat()).toEqual(entries);
  });

  it('keeps at most 5 MiB per request, counting partition keys', () => {
    const entries = Array.from({ length: 12 }, () => entry(900 * 1024, 'k'.repeat(200)));
    const requests = planRequests(entries);
    expect(requests.map((r) => r.length)).toEqual([5, 5, 2]);
    for (const r of requests) expect(r.reduce((n, e) => n + e.data.byteLength + 200, 0)).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    // Exactly at the limit still fits in one request.
    expect(
      planRequests([entry(MAX_REQUEST_BYTES / 5 - 1), ...Array.from({ length: 4 }, () => entry(MAX_REQUEST_BYTES / 5 - 1))]).length,
    ).toBe(1);
  });

  it('refuses a record over 1 MiB including its partition key', () => {
    expect(() => planRequests([entry(1024 * 1024, 'mm')])).toThrow(RecordTooLargeError);
    expect(planRequests([entry(1024 * 1024 - 1, 'm')]).length).toBe(1);
  });
});

describe('the KPL aggregated record format', () => {
  it('round-trips records with shared and distinct keys, UTF-8 and empty data', () => {
    const records = [rec('a', '{"x":1}'), rec('b', '我愛你'), rec('a', ''), { ...rec('c', 'z'), explicitHashKey: '12345' }];
    const bytes = encodeAggregate(records);
    expect([...bytes.subarray(0, 4)]).toEqual([...KPL_MAGIC]);
    expect(bytes[4]).toBe(0x0a); // field 1 (partition key table), length-delimited
    expect(isAggregated(bytes)).toBe(true);
    const back = decodeAggregate(bytes);
    expect(back.map((r) => [r.partitionKey, Buffer.from(r.data).toString('utf8'), r.explicitHashKey])).toEqual([
      ['a', '{"x":1}', undefined],
      ['b', '我愛你', undefined],
      ['a', '', undefined],
      ['c', 'z', '12345'],
    ]);
  });

  it('detects a changed byte, a truncation and a forged body with a matching checksum', () => {
    const bytes = encodeAggregate([rec('a', 'hello'), rec('b', 'world')]);
    const flipped = bytes.slice();
    flipped[10] ^= 1;
    expect(() => decodeAggregate(flipped)).toThrow(CorruptAggregateError);
    expect(() => decodeAggregate(bytes.subarray(0, bytes.length - 3))).toThrow(CorruptAggregateError);
    expect(() => decodeAggregate(KPL_MAGIC)).toThrow(CorruptAggregateError);
    // Valid checksum over a body whose record points past the key table.
    const body = Uint8Array.of(0x1a, 0x05, 0x08, 0x07, 0x1a, 0x01, 0x41);
    const forged = Buffer.concat([KPL_MAGIC, body, createHash('md5').update(body).digest()]);
    expect(() => decodeAggregate(forged)).toThrow(/outside the table/);
  });

  it('computes the hash key Kinesis uses (MD5 of the key, big-endian)', () => {
    expect(hashKeyOf('')).toBe(BigInt('0xd41d8cd98f00b204e9800998ecf8427e'));
    const shards = evenShards(4);
    expect(shardFor(shards, 0n)?.shardId).toBe('shardId-000000000000');
    expect(shardFor(shards, 2n ** 128n - 1n)?.shardId).toBe('shardId-000000000003');
    expect(shardFor(shards, shards[2].start)?.shardId).toBe('shardId-000000000002');
    expect(shardFor(shards, shards[1].end)?.shardId).toBe('shardId-000000000001');
  });
});

describe('aggregation per destination shard', () => {
  const shards = evenShards(4);
  const records = Array.from({ length: 3000 }, (_, i) => rec(`member-${i % 337}`, JSON.stringify({ n: i, pad: 'x'.repeat(i % 300) })));

  it('packs only records of one shard, pinned there, each aggregate within the size limit', () => {
    const entries = aggregateEntries(records, shards, 25 * 1024);
    expect(entries.length).toBeLessThan(records.length / 20);
    for (const e of entries) {
      expect(e.data.byteLength + Buffer.byteLength(e.partitionKey)).toBeLessThanOrEqual(25 * 1024);
      if (!isAggregated(e.data)) continue;
      const target = shardFor(shards, BigInt(e.explicitHashKey!))!.shardId;
      expect(target).toBe(e.expectedShardId);
      expect(shardFor(shards, hashKeyOf(e.partitionKey))!.shardId).toBe(target);
      for (const sub of decodeAggregate(e.data)) expect(shardFor(shards, hashKeyOf(sub.partitionKey))!.shardId).toBe(target);
    }
  });

  it('carries every record exactly once and keeps each member in order', () => {
    const entries = aggregateEntries(records, shards, 10 * 1024);
    const out = entries.flatMap((e) => (isAggregated(e.data) ? decodeAggregate(e.data) : [{ partitionKey: e.partitionKey, data: e.data }]));
    const texts = (list: { partitionKey: string; data: Uint8Array }[], pk: string) =>
      list.filter((r) => r.partitionKey === pk).map((r) => Buffer.from(r.data).toString());
    expect(out.length).toBe(records.length);
    for (const pk of ['member-0', 'member-5', 'member-336']) expect(texts(out, pk)).toEqual(texts(records, pk));
    expect(new Set(out.map((r) => Buffer.from(r.data).toString())).size).toBe(records.length);
    expect(entries.every((e) => e.records.length >= 1)).toBe(true);
  });

  it('sends a record too big to share alone, unaggregated', () => {
    const big = rec('m', 'y'.repeat(30 * 1024));
    const entries = aggregateEntries([rec('m', 'a'), big, rec('m', 'b')], shards, 25 * 1024);
    expect(entries.some((e) => e.data === big.data && !e.explicitHashKey)).toBe(true);
    expect(entries.reduce((n, e) => n + e.records.length, 0)).toBe(3);
  });
});
