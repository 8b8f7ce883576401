// The API's coin writes (redemption, reversal, adjustment): CoinOperationsPort over DynamoDB.
//
// Two writers own the member item: the events consumer (behaviour and job commands) and the API
// (coin operations at the till). Each reads the item, computes the new state, and writes it with
// a condition on the version it read (`v`), so neither can overwrite the other: the loser re-reads
// and redoes its work on the winner's state (the API: shared/coins/operations.ts; the consumer by
// reporting the member's records as failed, so Lambda re-delivers them). The API's write is one
// TransactWriteItems: the member (conditional on `v`), the operation's own LedgerTable item
// (conditional on not existing: the exactly-once key, `c#r#<redemptionId>`, `c#a#<adjustmentId>`)
// and one MetricsTable item per coin counter key it moves (source `api#<operation>`, placed by
// keys/metrics-keys.ts: a retried request rewrites the same item, never adds twice).
import { GetCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CoinEntry } from '../../shared/coins/ledger';
import type { CoinOperationsPort } from '../../shared/coins/operations';
import type { OperationRecord } from '../../shared/coins/operation-records';
import { coinCounts } from '../../shared/coins/outbox';
import { hashHex } from '../../shared/util/hash';
import { counterItemKey } from '../../shared/keys/metrics-keys';
import type { MemberState } from '../../shared/member/state';
import { COUNTERS_ATTRIBUTE, encodeCounters } from './counter-codec';
import { toMemberItem } from './member-item';

export class CoinStore implements CoinOperationsPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly names: { members: string; ledger: string; metrics: string },
  ) {}

  async operation<T extends OperationRecord>(memberId: string, sk: string): Promise<T | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.names.ledger, Key: { memberId, sk }, ConsistentRead: true }));
    return (out.Item as T) ?? null;
  }

  async commit(
    state: MemberState,
    record: OperationRecord,
    entries: readonly CoinEntry[],
    opName: string,
    create: boolean,
  ): Promise<boolean> {
    const item = toMemberItem(state);
    const counts = coinCounts(entries);
    const source = `api#${hashHex(`${state.memberId}|${opName}`)}`;
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.names.members,
                Item: item,
                ConditionExpression: 'v = :v',
                ExpressionAttributeValues: { ':v': state.version },
              },
            },
            create
              ? { Put: { TableName: this.names.ledger, Item: record, ConditionExpression: 'attribute_not_exists(sk)' } }
              : {
                  Put: {
                    TableName: this.names.ledger,
                    Item: record,
                    ConditionExpression: 'attribute_exists(sk) AND reversed = :f',
                    ExpressionAttributeValues: { ':f': false },
                  },
                },
            ...Object.entries(counts).map(([key, m]) => ({
              Put: {
                TableName: this.names.metrics,
                Item: { ...counterItemKey(key, source), [COUNTERS_ATTRIBUTE]: encodeCounters(m) },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            })),
          ],
        }),
      );
      return true;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'TransactionCanceledException' || name === 'TransactionConflictException') return false;
      throw error;
    }
  }
}
