// The Kinesis Producer Library's aggregated record format, both ways: 4 magic bytes, a protobuf
// `AggregatedRecord`, then the MD5 of the protobuf bytes. Also the hash key Kinesis derives from a
// partition key (MD5 as a 128-bit unsigned integer), which decides a record's shard.
//
//   message AggregatedRecord { repeated string partition_key_table = 1;
//                              repeated string explicit_hash_key_table = 2;
//                              repeated Record records = 3; }
//   message Record { required uint64 partition_key_index = 1; optional uint64 explicit_hash_key_index = 2;
//                    required bytes data = 3; repeated Tag tags = 4; }
import { createHash } from 'node:crypto';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

export const KPL_MAGIC = Uint8Array.of(0xf3, 0x89, 0x9a, 0xc2);
const DIGEST_BYTES = 16;

export interface UserRecord {
  partitionKey: string;
  /** Decimal 128-bit hash key, when the producer chose one. */
  explicitHashKey?: string;
  data: Uint8Array;
}

/** The 128-bit hash key Kinesis computes from a partition key. */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

function md5(bytes: Uint8Array): Uint8Array {
  return createHash('md5').update(bytes).digest();
}

/** True when the bytes start with the KPL magic (they may still be corrupt). */
export function isAggregated(bytes: Uint8Array): boolean {
  return bytes.byteLength >= KPL_MAGIC.length && KPL_MAGIC.every((b, i) => bytes[i] === b);
}

/** Packs user records into one aggregated record's bytes. */
export function encodeAggregate(records: readonly UserRecord[]): Uint8Array {
  const keys = new Map<string, number>();
  const hashKeys = new Map<string, number>();
  const index = (table: Map<string, number>, value: string) => {
    let i = table.get(value);
    if (i === undefined) table.set(value, (i = table.size));
    return i;
  };
  const entries = records.map((r) => ({
    pk: index(keys, r.partitionKey),
    ehk: r.explicitHashKey === undefined ? undefined : index(hashKeys, r.explicitHashKey),
    data: r.data,
  }));
  const w = new BinaryWriter();
  for (const key of keys.keys()) w.tag(1, WireType.LengthDelimited).string(key);
  for (const key of hashKeys.keys()) w.tag(2, WireType.LengthDelimited).string(key);
  for (const e of entries) {
    w.tag(3, WireType.LengthDelimited).fork();
    w.tag(1, WireType.Varint).uint64(e.pk);
    if (e.ehk !== undefined) w.tag(2, WireType.Varint).uint64(e.ehk);
    w.tag(3, WireType.LengthDelimited).bytes(e.data);
    w.join();
  }
  const body = w.finish();
  const out = new Uint8Array(KPL_MAGIC.length + body.byteLength + DIGEST_BYTES);
  out.set(KPL_MAGIC, 0);
  out.set(body, KPL_MAGIC.length);
  out.set(md5(body), KPL_MAGIC.length + body.byteLength);
  return out;
}

/** Upper bound of the bytes one more record adds to an aggregate (for sizing before encoding). */
export function aggregateGrowth(record: UserRecord, newKey: boolean): number {
  const varint = (n: number) => (n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5);
  const pkBytes = Buffer.byteLength(record.partitionKey);
  const ehkBytes = record.explicitHashKey ? record.explicitHashKey.length : 0;
  const keyCost = newKey ? 1 + varint(pkBytes) + pkBytes + (ehkBytes ? 1 + varint(ehkBytes) + ehkBytes : 0) : 0;
  const inner = 1 + 5 + (ehkBytes ? 1 + 5 : 0) + 1 + varint(record.data.byteLength) + record.data.byteLength;
  return keyCost + 1 + varint(inner) + inner;
}

/** Bytes of an aggregate holding nothing yet (magic and checksum). */
export const AGGREGATE_OVERHEAD = KPL_MAGIC.length + DIGEST_BYTES;

export class CorruptAggregateError extends Error {}

/** Unpacks an aggregated record; throws CorruptAggregateError on a bad checksum or bad protobuf. */
export function decodeAggregate(bytes: Uint8Array): UserRecord[] {
  if (!isAggregated(bytes) || bytes.byteLength < AGGREGATE_OVERHEAD) throw new CorruptAggregateError('not a KPL aggregated record');
  const body = bytes.subarray(KPL_MAGIC.length, bytes.byteLength - DIGEST_BYTES);
  const digest = bytes.subarray(bytes.byteLength - DIGEST_BYTES);
  const expected = md5(body);
  if (!expected.every((b, i) => b === digest[i]))
    throw new CorruptAggregateError('aggregated record checksum (MD5) does not match its contents');
  const keys: string[] = [];
  const hashKeys: string[] = [];
  const raw: { pk: number; ehk?: number; data?: Uint8Array }[] = [];
  try {
    const r = new BinaryReader(body);
    while (r.pos < r.len) {
      const [field, type] = r.tag();
      if (field === 1 && type === WireType.LengthDelimited) keys.push(r.string(true));
      else if (field === 2 && type === WireType.LengthDelimited) hashKeys.push(r.string(true));
      else if (field === 3 && type === WireType.LengthDelimited) raw.push(readRecord(new BinaryReader(r.bytes())));
      else r.skip(type, field);
    }
  } catch (error) {
    throw new CorruptAggregateError(`aggregated record is not a valid protobuf: ${(error as Error).message}`);
  }
  return raw.map((rec, i) => {
    const partitionKey = keys[rec.pk];
    if (partitionKey === undefined) throw new CorruptAggregateError(`records[${i}]: partition key index ${rec.pk} is outside the table`);
    if (!rec.data) throw new CorruptAggregateError(`records[${i}]: no data`);
    const out: UserRecord = { partitionKey, data: rec.data };
    if (rec.ehk !== undefined) {
      const ehk = hashKeys[rec.ehk];
      if (ehk === undefined) throw new CorruptAggregateError(`records[${i}]: explicit hash key index ${rec.ehk} is outside the table`);
      out.explicitHashKey = ehk;
    }
    return out;
  });
}

function readRecord(r: BinaryReader): { pk: number; ehk?: number; data?: Uint8Array } {
  const out: { pk: number; ehk?: number; data?: Uint8Array } = { pk: -1 };
  while (r.pos < r.len) {
    const [field, type] = r.tag();
    if (field === 1 && type === WireType.Varint) out.pk = Number(r.uint64());
    else if (field === 2 && type === WireType.Varint) out.ehk = Number(r.uint64());
    else if (field === 3 && type === WireType.LengthDelimited) out.data = r.bytes();
    else r.skip(type, field);
  }
  return out;
}
