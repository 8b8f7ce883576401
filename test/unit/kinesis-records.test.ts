// The Lambda event's Kinesis records as the batch's stream records: shard and position from
// eventID (a record of another shard, or of a shard id that only starts the same, keeps its own),
// the data decoded, the arrival time in ms.
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { toStreamRecords } from '../../functions/adapters/kinesis-records';

const record = (shardId: string, seq: string, text: string, arrival: number) =>
  ({
    eventID: `${shardId}:${seq}`,
    kinesis: { sequenceNumber: seq, data: Buffer.from(text).toString('base64'), approximateArrivalTimestamp: arrival },
  }) as unknown as KinesisStreamRecord;

describe('toStreamRecords', () => {
  it('reads shard, position, data and arrival of each record', () => {
    const event = {
      Records: [
        record('shardId-000000000003', '4959', '{"a":1}', 1_700_000_000.123),
        record('shardId-000000000003', '4960', '{"b":2}', 1_700_000_001),
      ],
    } as KinesisStreamEvent;
    const [a, b] = toStreamRecords(event);
    expect(a).toMatchObject({ shardId: 'shardId-000000000003', seq: '4959', arrivedAt: 1_700_000_000_123 });
    expect(Buffer.from(a.data).toString()).toBe('{"a":1}');
    expect(b).toMatchObject({ shardId: 'shardId-000000000003', seq: '4960', arrivedAt: 1_700_000_001_000 });
  });

  it('a record of another shard (or a shard id that only starts the same) gets its own', () => {
    const out = toStreamRecords({
      Records: [
        record('shardId-000000000001', '1', '{}', 1),
        record('shardId-0000000000012', '2', '{}', 1),
        record('shardId-000000000002', '3', '{}', 1),
      ],
    } as KinesisStreamEvent);
    expect(out.map((r) => r.shardId)).toEqual(['shardId-000000000001', 'shardId-0000000000012', 'shardId-000000000002']);
  });
});
