// Actions stream: one JSON record per action, partition key = memberId. Ids are deterministic,
// so a retried batch re-sends the same actions rather than different ones.
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { Action, ActionsPort } from '../../shared/process-batch';
import { chunks, untilDone } from './retry';

export class ActionsPublisher implements ActionsPort {
  constructor(
    private readonly client: KinesisClient,
    private readonly stream: string,
  ) {}

  async publish(actions: readonly Action[]): Promise<void> {
    const encoder = new TextEncoder();
    for (const batch of chunks(actions, 500)) {
      const entries = batch.map((action) => ({ Data: encoder.encode(JSON.stringify(action)), PartitionKey: action.memberId }));
      await untilDone(entries, async (pending) => {
        const out = await this.client.send(new PutRecordsCommand({ StreamName: this.stream, Records: pending }));
        return pending.filter((_, i) => out.Records?.[i]?.ErrorCode);
      }, 'PutRecords actions');
    }
  }
}
