// The operator merge's requests in MembersTable (docs/architecture.md#operator-merge): the api writes
// `merge#<mergeId>` and `mergedfrom#<memberId>` in one transaction, on the condition that neither
// exists and that the member kept is not merged away itself (so merges never form a cycle); the
// consumer reads `mergedfrom#` to verify a member_merge command; the api reads both to answer.
import { BatchGetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mergedFromKey, mergeIdKey } from '../../shared/keys/members-keys';
import type { MergeRequest, MergeRequestPort } from '../../shared/identity/merge-request';
import { documentClient } from './clients';
import { resourceNames } from './config';
import { chunks, untilDone } from './retry';

interface MergeItem extends MergeRequest {
  memberId: string;
  kind: 'merge';
}

const request = (item: MergeItem): MergeRequest => ({
  mergeId: item.mergeId,
  into: item.into,
  from: item.from,
  requestedAt: item.requestedAt,
  requestedBy: item.requestedBy,
});

export type AcceptOutcome = 'accepted' | 'lost';

export class DynamoMergeRequests implements MergeRequestPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Items by key (consistent reads). */
  private async items(keys: readonly string[]): Promise<Map<string, MergeItem>> {
    const found = new Map<string, MergeItem>();
    for (const batch of chunks([...new Set(keys)], 100)) {
      await untilDone(
        batch.map((memberId) => ({ memberId })),
        async (ks) => {
          const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: ks, ConsistentRead: true } } }));
          for (const item of out.Responses?.[this.table] ?? []) found.set(item.memberId as string, item as MergeItem);
          return (out.UnprocessedKeys?.[this.table]?.Keys ?? []) as { memberId: string }[];
        },
        'BatchGetItem merge requests',
      );
    }
    return found;
  }

  async requests(fromMemberIds: readonly string[]): Promise<Map<string, MergeRequest>> {
    const items = await this.items(fromMemberIds.map(mergedFromKey));
    return new Map(
      fromMemberIds.flatMap((id) => (items.has(mergedFromKey(id)) ? [[id, request(items.get(mergedFromKey(id))!)] as const] : [])),
    );
  }

  /** The request stored under this mergeId, if any. */
  async byMergeId(mergeId: string): Promise<MergeRequest | null> {
    const item = (await this.items([mergeIdKey(mergeId)])).get(mergeIdKey(mergeId));
    return item ? request(item) : null;
  }

  /**
   * Stores the request unless its mergeId is taken, its member merged away already is, or the member
   * kept is merged away itself: 'lost' then (the caller reads again to say which).
   */
  async accept(merge: MergeRequest): Promise<AcceptOutcome> {
    const fields = { kind: 'merge' as const, ...merge };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.table,
                Item: { memberId: mergeIdKey(merge.mergeId), ...fields },
                ConditionExpression: 'attribute_not_exists(memberId)',
              },
            },
            {
              Put: {
                TableName: this.table,
                Item: { memberId: mergedFromKey(merge.from), ...fields },
                ConditionExpression: 'attribute_not_exists(memberId)',
              },
            },
            {
              ConditionCheck: {
                TableName: this.table,
                Key: { memberId: mergedFromKey(merge.into) },
                ConditionExpression: 'attribute_not_exists(memberId)',
              },
            },
          ],
        }),
      );
      return 'accepted';
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TransactionCanceledException' || name === 'TransactionConflictException') return 'lost';
      throw error;
    }
  }
}

let cached: DynamoMergeRequests | undefined;

/** The merge requests of this stack (MEMBERS_TABLE). */
export function mergeRequests(): DynamoMergeRequests {
  cached ??= new DynamoMergeRequests(documentClient(), resourceNames().membersTable);
  return cached;
}
