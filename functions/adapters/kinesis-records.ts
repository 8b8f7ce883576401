// Kinesis event-source records (the Lambda event) as the batch use case's stream records.
import type { KinesisStreamEvent } from 'aws-lambda';
import type { StreamRecord } from '../../shared/batch/process-batch';

/**
 * The shard of an eventID ("<shardId>:<sequenceNumber>"): one string for all of a batch's records
 * (a batch is one shard's), so the reducer's position checks compare them by reference, not
 * character by character (#16).
 */
function shardOf(eventId: string, previous: string | undefined): string {
  const end = eventId.indexOf(':');
  if (previous !== undefined && previous.length === end && eventId.startsWith(previous)) return previous;
  return eventId.slice(0, end);
}

export function toStreamRecords(event: KinesisStreamEvent): StreamRecord[] {
  let shard: string | undefined;
  return event.Records.map((record) => ({
    shardId: (shard = shardOf(record.eventID, shard)),
    seq: record.kinesis.sequenceNumber,
    data: Buffer.from(record.kinesis.data, 'base64'),
    arrivedAt: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
  }));
}
