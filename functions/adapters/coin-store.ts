// The API's coin writes (redemption, reversal, adjustment): CoinOperationsPort over DynamoDB.
//
// Two writers own the member item: the events consumer (behaviour and job commands) and the API
// (coin operations at the till). Each reads the item, computes the new state, and writes it with
// a condition on the version it read (`v`), so neither can overwrite the other: the loser re-reads
// and redoes its work on the winner's state (the API: shared/coins/operations.ts; the consumer by
// reporting the member's records as failed, so Lambda re-delivers them). The API's decision is
// that one conditional PutItem (the operation pending on the item, `tp`); then a `coins_settle`
// record on the events stream. The consumer stores the LedgerTable record (`c#r#<redemptionId>`,
// `c#a#<adjustmentId>`: the exactly-once key for good) naming the position of the settle record it
// takes, and adds the operation's coin counts there (shared/coins/settle.ts). The API writes no
// counter item: an operation costs its member write and its ledger record. The api stores a
// record itself only for an entry it drops from the member before the consumer got to it.
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutRecordCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { CoinOperationsPort } from '../../shared/coins/operations';
import type { OperationRecord, PendingOperation } from '../../shared/coins/operation-records';
import { withCountPlace } from '../../shared/coins/settle';
import { hashHex } from '../../shared/util/hash';
import { counterItemKey } from '../../shared/keys/metrics-keys';
import type { MemberState } from '../../shared/member/state';
import { COUNTERS_ATTRIBUTE, encodeCounters } from './counter-codec';
import { DynamoLedger, putOperationRecord } from './ledger-store';
import { toMemberItem } from './member-item';

const conditionFailed = (error: unknown) => (error as { name?: string }).name === 'ConditionalCheckFailedException';
const encoder = new TextEncoder();

export class CoinStore implements CoinOperationsPort {
  private readonly ledger: DynamoLedger;
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly names: { members: string; ledger: string; metrics: string; events: string },
    private readonly kinesis: () => KinesisClient,
  ) {
    this.ledger = new DynamoLedger(client, names.ledger);
  }

  operation<T extends OperationRecord>(memberId: string, sk: string): Promise<T | null> {
    return this.ledger.operation(memberId, sk) as Promise<T | null>;
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

  async announce(memberId: string, pending: PendingOperation): Promise<void> {
    await this.settleRecord(memberId, pending);
  }

  async store(memberId: string, pending: PendingOperation): Promise<void> {
    if (!pending.settle) return this.storeCounted(memberId, pending);
    // A settle record in case the operation's own never went out (a request that died before it),
    // then the record naming no place: the first settle record the consumer takes claims it
    // (shared/coins/settle.ts), so one whose batch is given up before it is listed still counts.
    await this.settleRecord(memberId, pending);
    // False: stored first by the consumer (from the member's pending entry) or an earlier attempt.
    await putOperationRecord(this.client, this.names.ledger, withCountPlace(pending.record, pending.op, undefined, pending.counts));
  }

  /** The operation's coins_settle record on the events stream (by the member's key). */
  private async settleRecord(memberId: string, pending: PendingOperation): Promise<void> {
    const command = {
      type: 'coins_settle',
      eventId: `coins_settle:${pending.op}`,
      memberId,
      occurredAt: new Date().toISOString(),
      op: pending.op,
    };
    await this.kinesis().send(
      new PutRecordCommand({ StreamName: this.names.events, PartitionKey: memberId, Data: encoder.encode(JSON.stringify(command)) }),
    );
  }

  /** An operation of an earlier api (no settle record): its counter items, as that api wrote them, then its record. */
  private async storeCounted(memberId: string, pending: PendingOperation): Promise<void> {
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
    await putOperationRecord(this.client, this.names.ledger, pending.record);
  }
}
