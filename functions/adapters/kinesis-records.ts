// Kinesis event-source records (the Lambda event) as the batch use case's stream records.
import type { KinesisStreamEvent } from 'aws-lambda';
import type { StreamRecord } from '../../shared/batch/process-batch';

function shardOf(eventId: string): string {
  // eventID is "<shardId>:<sequenceNumber>".
  return eventId.slice(0, eventId.indexOf(':'));
}

export function toStreamRecords(event: KinesisStreamEvent): StreamRecord[] {
  return event.Records.map((record) => ({
    shardId: shardOf(record.eventID),
    seq: record.kinesis.sequenceNumber,
    data: Buffer.from(record.kinesis.data, 'base64'),
    arrivedAt: Math.round(record.kinesis.approximateArrivalTimestamp * 1000),
  }));
}
