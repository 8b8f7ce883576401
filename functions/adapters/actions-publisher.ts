// Actions stream: one JSON record per action, partition key = memberId. Ids are deterministic,
// so a retried batch re-sends the same actions rather than different ones.
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Action, ActionsPort } from '../../shared/batch/process-batch';
import { putJsonRecords } from './events-producer';

export class ActionsPublisher implements ActionsPort {
  constructor(
    private readonly client: KinesisClient,
    private readonly stream: string,
  ) {}

  async publish(actions: readonly Action[]): Promise<void> {
    await putJsonRecords(this.client, this.stream, actions);
  }
}
