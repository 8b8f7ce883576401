// The outbound actions a local stack put on its ActionsStream: every shard read from TRIM_HORIZON
// (at most 50 pages a shard), each action once. Publication is at least once (an action rides on
// its member write and the member's next delivery sends it again: docs/events.md#outbound-actions),
// so records of the same actionId are one action — and must carry the same content.
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { kinesisClient } from '../../infra/local/engine/aws';
import type { LocalStack } from '../../infra/local/engine/stack';

export async function actionsOnStream(stack: LocalStack): Promise<any[]> {
  const client = kinesisClient(stack.endpoints);
  const StreamName = stack.names.streams.ActionsStream;
  const out: any[] = [];
  for (const shard of (await client.send(new ListShardsCommand({ StreamName }))).Shards ?? []) {
    let iterator = (
      await client.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    for (let i = 0; iterator && i < 50; i++) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
      for (const r of page.Records ?? []) out.push(JSON.parse(Buffer.from(r.Data!).toString('utf8')));
      if (!page.Records?.length) break;
      iterator = page.NextShardIterator;
    }
  }
  const byId = new Map<string, string>();
  for (const action of out) {
    const content = JSON.stringify(action);
    const seen = byId.get(action.actionId);
    if (seen !== undefined && seen !== content) throw new Error(`actionId ${action.actionId} sent with two contents: ${seen} / ${content}`);
    byId.set(action.actionId, content);
  }
  return [...byId.values()].map((content) => JSON.parse(content));
}
