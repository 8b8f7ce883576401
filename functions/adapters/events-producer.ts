// Puts JSON records on a Kinesis stream (partition key = memberId), retrying throttled entries.
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { chunks, untilDone } from './retry';

export async function putJsonRecords(client: KinesisClient, stream: string, records: readonly { memberId: string }[]): Promise<number> {
  const encoder = new TextEncoder();
  for (const batch of chunks(records, 500)) {
    const entries = batch.map((record) => ({ Data: encoder.encode(JSON.stringify(record)), PartitionKey: record.memberId }));
    await untilDone(
      entries,
      async (pending) => {
        const out = await client.send(new PutRecordsCommand({ StreamName: stream, Records: pending }));
        return pending.filter((_, i) => out.Records?.[i]?.ErrorCode);
      },
      'PutRecords events',
    );
  }
  return records.length;
}
