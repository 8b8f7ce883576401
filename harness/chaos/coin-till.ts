// The chaos run's till: while the month streams in, members who have bought something redeem
// coins at checkout through the HTTP API (some twice at once with the same redemptionId, as a till
// that retries), and some redemptions are reversed (some twice at once). A request that fails
// (5xx, a refused connection while DynamoDB Local restarts, an injected till fault) is retried
// with the same body until it gets an answer. Afterwards the run reads every redemption item and
// places each redemption and reversal among its member's events on the stream (their `place`), so
// the coins oracle (coins-oracle.ts) can replay the member exactly.
import { placeKey } from './replay-order';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamoClient, sleep } from '../../infra/local/engine/aws';
import type { LocalStack } from '../../infra/local/engine/stack';
import { Rng } from '../../simulator/rng';
import type { OracleEvent } from '../oracle/activity-oracle';
import type { TillOp } from './coins-oracle';
import type { SendRecord } from './plan';

export interface TillStats {
  redemptions: number;
  succeeded: number;
  refused: number;
  /** Requests sent again after a failure (5xx or no answer), with the same body. */
  retried: number;
  /** Requests repeated at once under the same redemptionId (the second gets 200 and the same answer, or waits its turn). */
  concurrentRepeats: number;
  reversals: number;
  /** Requests that never got an answer (outcome unknown; the table is the truth for them). */
  unanswered: number;
  /** Answered 404 member_not_found: the member's first records were sent but not yet applied. */
  notYetMember: number;
}

interface Outcome {
  memberId: string;
  redemptionId: string;
  coins: number;
  status: number | null;
  code?: string;
}

/** What the stream holds per member, in order: each record's sequence number and whether it is valid input. */
interface MemberRecords {
  seqs: string[];
  events: (OracleEvent | null)[];
}

export class Till {
  readonly stats: TillStats = {
    redemptions: 0,
    succeeded: 0,
    refused: 0,
    retried: 0,
    concurrentRepeats: 0,
    reversals: 0,
    unanswered: 0,
    notYetMember: 0,
  };
  readonly outcomes: Outcome[] = [];
  /** Redemption ids sent twice at once: one may be refused and the other, a moment later, applied. */
  readonly repeated = new Set<string>();
  private readonly inFlight: Promise<void>[] = [];
  private readonly buyers: string[] = [];
  private readonly buyerSet = new Set<string>();
  private readonly succeeded: { memberId: string; redemptionId: string }[] = [];
  private readonly rng: Rng;
  private n = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stack: LocalStack,
    seed: number,
    private readonly perBurst = 4,
  ) {
    this.rng = new Rng(seed * 7919 + 12);
  }

  /** Notes who has bought something in the records just sent. */
  noteSent(records: readonly SendRecord[]): void {
    for (const r of records) {
      const memberId = r.event?.memberId;
      if (r.event?.type === 'purchase' && typeof memberId === 'string' && !this.buyerSet.has(memberId)) {
        this.buyerSet.add(memberId);
        this.buyers.push(memberId);
      }
    }
  }

  /** Bursts every `intervalMs` until stop(): the till works while the stream and the consumer do. */
  start(intervalMs = 1000): void {
    this.timer = setInterval(() => this.burst(), intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** A burst of redemptions and maybe a reversal; they run while the stream goes on. */
  burst(): void {
    if (!this.buyers.length) return;
    for (let i = 0; i < this.perBurst; i++) {
      const memberId = this.buyers[this.rng.int(this.buyers.length)];
      const redemptionId = `till-${++this.n}`;
      const coins = 1 + this.rng.int(150);
      this.stats.redemptions++;
      this.track(this.redeem(memberId, redemptionId, coins, true));
      if (this.rng.chance(0.3)) {
        this.stats.concurrentRepeats++;
        this.repeated.add(redemptionId);
        this.track(this.redeem(memberId, redemptionId, coins, false));
      }
    }
    if (this.succeeded.length && this.rng.chance(0.6)) {
      const { memberId, redemptionId } = this.succeeded[this.rng.int(this.succeeded.length)];
      this.stats.reversals++;
      this.track(this.reverse(memberId, redemptionId));
      if (this.rng.chance(0.3)) this.track(this.reverse(memberId, redemptionId));
    }
  }

  async settle(): Promise<void> {
    while (this.inFlight.length) await Promise.all(this.inFlight.splice(0));
  }

  private track(p: Promise<void>): void {
    this.inFlight.push(p.catch(() => undefined));
  }

  /** POST with retries while there is no answer or a 5xx one. */
  private async post(path: string, body: unknown): Promise<{ status: number | null; body: any }> {
    for (let attempt = 1; attempt <= 40; attempt++) {
      try {
        const res = await fetch(`${this.stack.apiUrl}${path}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.stack.token}`, 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const json = await res.json().catch(() => null);
        if (res.status < 500) return { status: res.status, body: json };
      } catch {
        /* no answer: the same request again */
      }
      this.stats.retried++;
      await sleep(Math.min(100 * attempt, 1000));
    }
    return { status: null, body: null };
  }

  private async redeem(memberId: string, redemptionId: string, coins: number, first: boolean): Promise<void> {
    const res = await this.post(`/members/${encodeURIComponent(memberId)}/coins/redemptions`, { redemptionId, coins });
    const code = res.body?.error?.code as string | undefined;
    if (first) this.outcomes.push({ memberId, redemptionId, coins, status: res.status, code });
    if (!first) return;
    if (res.status === 201 || res.status === 200) {
      this.stats.succeeded++;
      this.succeeded.push({ memberId, redemptionId });
    } else if (res.status === 409) this.stats.refused++;
    else if (res.status === 404 && code === 'member_not_found') this.stats.notYetMember++;
    else if (res.status === null) this.stats.unanswered++;
  }

  private async reverse(memberId: string, redemptionId: string): Promise<void> {
    await this.post(`/members/${encodeURIComponent(memberId)}/coins/redemptions/${encodeURIComponent(redemptionId)}/reversal`, undefined);
  }

  /** Every redemption item of the members the till served, as oracle operations placed among their events. */
  operations(
    kin: KinesisClient,
    validData: ReadonlySet<string>,
    notApplied?: ReadonlySet<string>,
  ): Promise<{ ops: Map<string, TillOp[]>; arrivals: OracleEvent[]; unplaced: string[] }> {
    return placedOperations(this.stack, kin, new Set(this.outcomes.map((o) => o.memberId)), validData, notApplied);
  }
}

/**
 * The redemption items of `memberIds` as oracle operations placed among their events (each at its
 * `place`: after the member's last stream record its write had applied, then by member version),
 * with every valid event of the stream (the reference replays both: coins-oracle.ts).
 */
export async function placedOperations(
  stack: Pick<LocalStack, 'names' | 'endpoints'>,
  kin: KinesisClient,
  memberIds: Iterable<string>,
  validData: ReadonlySet<string>,
  /** Given-up records no attempt applied (`shardId/seq`): no event where they first arrived, only where replayed. */
  notApplied: ReadonlySet<string> = new Set(),
): Promise<{ ops: Map<string, TillOp[]>; arrivals: OracleEvent[]; unplaced: string[] }> {
  const records = await memberRecords(kin, stack.names.streams.EventsStream, validData, notApplied);
  const doc = DynamoDBDocumentClient.from(dynamoClient(stack.endpoints));
  const ops = new Map<string, TillOp[]>();
  const unplaced: string[] = [];
  try {
    for (const memberId of memberIds) {
      const mine = records.get(memberId) ?? { seqs: [], events: [] };
      const afterArrivals = (after: { seq: string } | null): number | null => {
        if (!after) return 0;
        const j = mine.seqs.indexOf(after.seq);
        if (j < 0) return null;
        let valid = 0;
        for (let i = 0; i <= j; i++) if (mine.events[i]) valid++;
        return valid;
      };
      const list: TillOp[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await doc.send(
          new QueryCommand({
            TableName: stack.names.tables.LedgerTable,
            KeyConditionExpression: 'memberId = :m AND begins_with(sk, :p)',
            ExpressionAttributeValues: { ':m': memberId, ':p': 'c#r#' },
            ConsistentRead: true,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          const redemptionId = (item.sk as string).slice('c#r#'.length);
          const entries = (item.entries ?? []) as { kind: string; day: number }[];
          const place = item.place as { v: number; after: { seq: string } | null } | undefined;
          const at = place ? afterArrivals(place.after) : null;
          if (!place || at === null) unplaced.push(`${memberId}/${redemptionId}`);
          else
            list.push({
              kind: 'redeem',
              redemptionId,
              coins: item.body.coins,
              day: entries.find((e) => e.kind === 'redeem')?.day ?? 0,
              afterArrivals: at,
              v: place.v,
              answer: item.answer?.balance,
            });
          if (item.reversed) {
            const rp = item.reversedPlace as { v: number; after: { seq: string } | null } | undefined;
            const rat = rp ? afterArrivals(rp.after) : null;
            if (!rp || rat === null) unplaced.push(`${memberId}/${redemptionId} reversal`);
            else
              list.push({
                kind: 'reverse',
                redemptionId,
                coins: 0,
                day: entries.find((e) => e.kind === 'reverse')?.day ?? 0,
                afterArrivals: rat,
                v: rp.v,
              });
          }
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      ops.set(memberId, list);
    }
  } finally {
    doc.destroy();
  }
  const arrivals: OracleEvent[] = [];
  for (const m of records.values()) for (const e of m.events) if (e) arrivals.push(e);
  return { ops, arrivals, unplaced };
}

/** The events stream per partition key, in sequence order: sequence numbers and the valid events. */
async function memberRecords(
  kin: KinesisClient,
  StreamName: string,
  validData: ReadonlySet<string>,
  notApplied: ReadonlySet<string>,
): Promise<Map<string, MemberRecords>> {
  const out = new Map<string, MemberRecords>();
  const shards = await kin.send(new ListShardsCommand({ StreamName }));
  for (const shard of shards.Shards ?? []) {
    let iterator = (await kin.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' })))
      .ShardIterator;
    while (iterator) {
      const page = await kin.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) {
        const key = r.PartitionKey!;
        let m = out.get(key);
        if (!m) out.set(key, (m = { seqs: [], events: [] }));
        const text = Buffer.from(r.Data!).toString('utf8');
        m.seqs.push(r.SequenceNumber!);
        const skipped = notApplied.has(placeKey(shard.ShardId!, r.SequenceNumber!));
        m.events.push(validData.has(text) && !skipped ? (JSON.parse(text) as OracleEvent) : null);
      }
      if (!page.Records?.length && !page.MillisBehindLatest) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}
