// Members table: batched consistent reads and one version-conditioned write per member.
import { isConditionFailure } from './errors';
import { BatchGetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MemberState } from '../../shared/member/state';
import type { MemberPort } from '../../shared/batch/process-batch';
import { fromMemberItem, toMemberItem, type MemberItem } from './member-item';
import { chunks, untilDone } from './retry';

export class MemberStore implements MemberPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async getMany(memberIds: readonly string[]): Promise<Map<string, MemberState>> {
    const items = await this.getItems(memberIds);
    return new Map([...items].map(([id, item]) => [id, fromMemberItem(item)]));
  }

  async put(state: MemberState): Promise<boolean> {
    return this.putItem(toMemberItem(state));
  }

  async getItems(memberIds: readonly string[]): Promise<Map<string, MemberItem>> {
    const found = new Map<string, MemberItem>();
    for (const batch of chunks(memberIds, 100)) {
      await untilDone(
        batch.map((memberId) => ({ memberId })),
        async (keys) => {
          const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys, ConsistentRead: true } } }));
          for (const item of out.Responses?.[this.table] ?? []) found.set(item.memberId as string, item as MemberItem);
          return (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as { memberId: string }[];
        },
        'BatchGetItem members',
      );
    }
    return found;
  }

  /** Writes `item` if the stored version is still `item.v − 1`; false when someone else wrote first. */
  async putItem(item: MemberItem): Promise<boolean> {
    const first = item.v === 1;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: first ? 'attribute_not_exists(memberId)' : 'v = :expected',
          ExpressionAttributeValues: first ? undefined : { ':expected': item.v - 1 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
