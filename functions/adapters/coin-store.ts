// The API's coin writes (redemption, reversal, adjustment): CoinOperationsPort over DynamoDB.
//
// Two writers own the member item: the events consumer (behaviour and job commands) and the API
// (coin operations at the till). Each reads the item, computes the new state, and writes it with
// a condition on the version it read (`v`), so neither can overwrite the other: the loser re-reads
// and redoes its work on the winner's state (the API: shared/coins/operations.ts; the consumer by
// reporting the member's records as failed, so Lambda re-delivers them). The API's decision is
// that one conditional PutItem (the operation pending on the item, `tp`); its counter items
// (MetricsTable, source `api#<operation>`, placed by keys/metrics-keys.ts: a rewrite adds nothing)
// and then its LedgerTable record (`c#r#<redemptionId>`, `c#a#<adjustmentId>`: the exactly-once
// key for good) follow as plain puts — no transaction, which would bill every item twice.
import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { CoinOperationsPort } from '../../shared/coins/operations';
import type { OperationRecord, PendingOperation } from '../../shared/coins/operation-records';
import { hashHex } from '../../shared/util/hash';
import { counterItemKey } from '../../shared/keys/metrics-keys';
import type { MemberState } from '../../shared/member/state';
import { COUNTERS_ATTRIBUTE, encodeCounters } from './counter-codec';
import { toMemberItem } from './member-item';

const conditionFailed = (error: unknown) => (error as { name?: string }).name === 'ConditionalCheckFailedException';

export class CoinStore implements CoinOperationsPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly names: { members: string; ledger: string; metrics: string },
  ) {}

  async operation<T extends OperationRecord>(memberId: string, sk: string): Promise<T | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.names.ledger, Key: { memberId, sk }, ConsistentRead: true }));
    return (out.Item as T) ?? null;
  }

  async putMember(state: MemberState): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.names.members,
          Item: toMemberItem(state),
          ConditionExpression: 'v = :v',
          ExpressionAttributeValues: { ':v': state.version },
        }),
      );
      return true;
    } catch (error) {
      if (conditionFailed(error)) return false;
      throw error;
    }
  }

  async store(memberId: string, pending: PendingOperation): Promise<void> {
    const source = `api#${hashHex(`${memberId}|${pending.op}`)}`;
    await Promise.all(
      Object.entries(pending.counts).map(([key, m]) =>
        this.client.send(
          new PutCommand({
            TableName: this.names.metrics,
            Item: { ...counterItemKey(key, source), [COUNTERS_ATTRIBUTE]: encodeCounters(m) },
          }),
        ),
      ),
    );
    const record = pending.record;
    const reversal = record.kind === 'redemption' && record.reversed;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.names.ledger,
          Item: record,
          ...(reversal
            ? { ConditionExpression: 'attribute_not_exists(sk) OR reversed = :f', ExpressionAttributeValues: { ':f': false } }
            : { ConditionExpression: 'attribute_not_exists(sk)' }),
        }),
      );
    } catch (error) {
      // Stored before (by this operation's earlier attempt, or by the request that found it pending).
      if (!conditionFailed(error)) throw error;
    }
  }
}
