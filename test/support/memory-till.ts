// The till's records and api over an in-memory pipeline (shared/coins/settle.ts,
// shared/coins/operations.ts), as the DynamoDB ledger and CoinStore behave.
import type { CoinOperationsDeps, CoinOperationsPort } from '../../shared/coins/operations';
import type { OperationRecord, PendingOperation } from '../../shared/coins/operation-records';
import { withCountPlace, type TillRecordsPort } from '../../shared/coins/settle';
import type { StreamRecord } from '../../shared/batch/process-batch';
import type { MemberState } from '../../shared/member/state';
import type { Program } from '../../shared/programme/vocabulary';
import type { MemoryPipeline } from './memory-pipeline';

export class MemoryTill implements TillRecordsPort {
  readonly records = new Map<string, OperationRecord>();
  stores = 0;
  async operation(memberId: string, sk: string) {
    return structuredClone(this.records.get(`${memberId}|${sk}`)) ?? null;
  }
  async storeOperation(record: OperationRecord) {
    const key = `${record.memberId}|${record.sk}`;
    const known = this.records.get(key);
    const reversal = record.kind === 'redemption' && record.reversed;
    if (known && (!reversal || (known.kind === 'redemption' && known.reversed))) return false;
    // As the DynamoDB ledger: a reversal keeps the place and counts a claim set on the redemption first.
    const kept = known ? { ...(known.cs !== undefined ? { cs: known.cs } : {}), ...(known.cc ? { cc: known.cc } : {}) } : {};
    this.records.set(key, structuredClone({ ...record, ...kept }));
    this.stores++;
    return true;
  }
  async claimPlace(memberId: string, sk: string, op: string, at: string) {
    const known = this.records.get(`${memberId}|${sk}`);
    if (!known) return false;
    if (op.startsWith('v#')) {
      if (known.kind !== 'redemption' || !known.reversed || known.vs !== undefined) return false;
      known.vs = at;
    } else {
      if (known.cs !== undefined) return false;
      known.cs = at;
    }
    return true;
  }
}

/** The api over the pipeline's members: puts its settle records on `stream`, as CoinStore does. */
export class MemoryTillApi implements CoinOperationsPort {
  readonly stream: StreamRecord[] = [];
  /** What the next `store` does before dying: nothing, or the settle record only. */
  dieNext: 'before-settle' | 'after-settle' | null = null;
  /** The next settle record goes on the stream twice (an SDK retry after a lost answer). */
  twiceNext = false;
  constructor(
    readonly p: MemoryPipeline,
    readonly till: MemoryTill,
    readonly program: Program,
    readonly now: () => number,
  ) {}
  operation<T extends OperationRecord>(memberId: string, sk: string) {
    return this.till.operation(memberId, sk) as Promise<T | null>;
  }
  putMember(state: MemberState) {
    return this.p.members.put(state);
  }
  /** The settle record(s) on the stream, as CoinStore puts them; the last one's record. */
  private settle(memberId: string, pending: PendingOperation): StreamRecord {
    const die = this.dieNext;
    this.dieNext = null;
    if (die === 'before-settle') throw new Error('the request died');
    const line = JSON.stringify({
      type: 'coins_settle',
      eventId: `coins_settle:${pending.op}`,
      memberId,
      occurredAt: new Date(this.now()).toISOString(),
      op: pending.op,
    });
    const put = this.p.records(this.twiceNext ? [line, line] : [line]);
    this.twiceNext = false;
    this.stream.push(...put);
    if (die === 'after-settle') throw new Error('the request died');
    return put[put.length - 1];
  }
  async announce(memberId: string, pending: PendingOperation) {
    this.settle(memberId, pending);
  }
  /** As CoinStore: a settle record, then the record naming no place (the consumer claims it). */
  /** Records the api stored itself (a member's operation that could not wait for the consumer). */
  stores: string[] = [];
  async store(memberId: string, pending: PendingOperation) {
    this.stores.push(pending.op);
    this.settle(memberId, pending);
    await this.till.storeOperation(withCountPlace(pending.record, pending.op, undefined, pending.counts));
  }
  deps(): CoinOperationsDeps {
    return {
      store: this,
      hints: this.p.hints.coinDue,
      // A copy, as a read from the table is: the stored state is never changed in place.
      member: async (id) => structuredClone(this.p.member(id)!),
      coins: this.program.coins,
      timezone: this.program.timezone,
      now: this.now,
    };
  }
}
