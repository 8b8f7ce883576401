// In-memory implementations of the batch ports: the benchmark's no-I/O runs and fast unit tests.
// They keep the same semantics as the DynamoDB adapters (conditional writes, claims).
import type { BookedMove } from '../../shared/coins/outbox';
import type { CoinHoldersPage, JobName, JobProgressPort, ReviewIndexPort } from '../../shared/jobs/ports';
import type { CoinDuePort } from '../../shared/coins/due-hints';
import { byCodeUnits } from '../../shared/util/compare';
import { tierChangeKeys } from '../../shared/keys/ledger-keys';
import { coinDueHintKey, coinDueSpans, dayHintsKey, hintSources } from '../../shared/keys/metrics-keys';
import type { DayHints } from '../../shared/batch/ports';
import {
  itemRevokedPoints,
  newRefunds,
  type AppliedClaim,
  type LedgerPort,
  type MemberOrders,
  type OrderRecord,
  type RefundClaim,
} from '../../shared/member/ledger';
import { type MemberState } from '../../shared/member/state';
import type { TierChange } from '../../shared/points/tiers';
import type { MergeRequest, MergeRequestPort } from '../../shared/identity/merge-request';
import type {
  Action,
  ActionsPort,
  CounterItem,
  HintPort,
  MemberPort,
  MetricsPort,
  QuarantineItem,
  QuarantinePort,
  SegmentPort,
} from '../../shared/batch/process-batch';

/**
 * A deep copy, as a store gives back (no caller shares the stored objects). Plain data — objects,
 * arrays, Maps, Sets — is copied directly: `structuredClone` serialises and deserialises, and was
 * the largest single cost of the bench's handler-CPU passes (#16). Anything else is left to it.
 */
export function clone<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    // A copy of the same elements kind (a list of numbers stays packed numbers, as a store's decode
    // gives it; an array filled one by one is holey, and every later operation on it slower: #16),
    // then its objects copied in turn.
    const out: unknown[] = value.slice();
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      if (typeof v === 'object' && v !== null) out[i] = clone(v);
    }
    return out as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    // A spread copies the own properties in one step (V8's fast path for a plain object: #16,
    // 6 % of the bench's copying figure), then the object's objects are copied in turn (for…in:
    // no array of keys per object; a plain object inherits nothing enumerable).
    const out: Record<string, unknown> = proto === null ? Object.assign(Object.create(null), value) : { ...value };
    for (const key in out) {
      const v = out[key];
      if (typeof v === 'object' && v !== null) out[key] = clone(v);
    }
    return out as T;
  }
  if (value instanceof Map) {
    const out = new Map();
    for (const [k, v] of value) out.set(clone(k), clone(v));
    return out as T;
  }
  if (value instanceof Set) {
    const out = new Set();
    for (const v of value) out.add(clone(v));
    return out as T;
  }
  return structuredClone(value);
}

export class MemoryMembers implements MemberPort {
  constructor(
    /** The ledger whose claims a write marks applied (with the write, as the DynamoDB transaction does). */
    private readonly ledger?: MemoryLedger,
    readonly items = new Map<string, MemberState>(),
  ) {}
  /** The same members, marking claims on another ledger. */
  withLedger(ledger: MemoryLedger): MemoryMembers {
    return new MemoryMembers(ledger, this.items);
  }
  async getMany(memberIds: readonly string[]) {
    const out = new Map<string, MemberState>();
    for (const id of memberIds) {
      const found = this.items.get(id);
      if (found) out.set(id, clone(found));
    }
    return out;
  }
  /** Members read per page of the upgrade scan: the store's scan pages them, so a test can stop between. */
  scanPageSize = 1_000;
  /** Every member holding a coin lot, by member id, a page at a time from `from` (the id a page ended at). */
  async *coinHolders(from?: string): AsyncIterable<CoinHoldersPage> {
    const ids = [...this.items.keys()].sort(byCodeUnits).filter((id) => from === undefined || byCodeUnits(id, from) > 0);
    for (let i = 0; i < ids.length || i === 0; i += this.scanPageSize) {
      const page = ids.slice(i, i + this.scanPageSize);
      const members = page.map((id) => this.items.get(id)!).filter((m) => m.coins.lots.length);
      const last = i + this.scanPageSize < ids.length ? page[page.length - 1] : undefined;
      yield { members: members.map((m) => clone(m)), ...(last === undefined ? {} : { next: last }) };
    }
  }
  async put(state: MemberState, applied: readonly AppliedClaim[] = []) {
    const current = this.items.get(state.memberId)?.version ?? 0;
    if (current !== state.version) return false;
    if (applied.length && !this.ledger) throw new Error('claims to mark but no ledger');
    this.ledger?.markApplied(state.memberId, applied);
    this.items.set(state.memberId, clone({ ...state, version: state.version + 1, contribution: new Map() }));
    return true;
  }
}

export class MemoryLedger implements LedgerPort {
  readonly orders = new Map<string, OrderRecord>();
  /** `memberId|key` → the booked coin movements of one batch. */
  readonly moves = new Map<string, BookedMove[]>();
  async putCoinMoves(memberId: string, key: string, moves: readonly BookedMove[]) {
    this.moves.set(`${memberId}|${key}`, clone([...moves]));
  }
  async hasCoinMoves(memberId: string, key: string) {
    return this.moves.has(`${memberId}|${key}`);
  }
  /** Every booked movement of a member. */
  movesOf(memberId: string): BookedMove[] {
    return [...this.moves].filter(([k]) => k.startsWith(`${memberId}|`)).flatMap(([, v]) => v);
  }
  readonly tiers = new Map<string, Map<string, TierChange>>();
  async recordTierChanges(memberId: string, changes: readonly TierChange[]) {
    let history = this.tiers.get(memberId);
    if (!history) this.tiers.set(memberId, (history = new Map()));
    const keys = tierChangeKeys(changes);
    changes.forEach((change, i) => history.set(keys[i], { ...change }));
  }
  async tierHistory(memberId: string) {
    return [...(this.tiers.get(memberId)?.entries() ?? [])].sort(([a], [b]) => a.localeCompare(b)).map(([, c]) => c);
  }
  async claimPurchase(memberId: string, order: OrderRecord) {
    const key = `${memberId}|${order.orderId}`;
    if (!this.orders.has(key)) this.orders.set(key, clone(order));
    return clone(this.orders.get(key)!);
  }
  async storeOrders(outboxes: readonly MemberOrders[]) {
    for (const { memberId, orders } of outboxes) this.putOrders(memberId, orders);
  }
  async storeNewOrders(memberId: string, orders: readonly OrderRecord[]) {
    this.putOrders(memberId, orders);
  }
  private putOrders(memberId: string, orders: readonly OrderRecord[]) {
    for (const order of orders) {
      const key = `${memberId}|${order.orderId}`;
      if (order.ledgerRefunds) {
        // New refunds of an order on the ledger: each stored once, after the order's own (DynamoLedger's `x`).
        const stored = this.orders.get(key);
        if (!stored) throw new Error(`refunds of an order not on the ledger: ${order.orderId}`);
        for (const [id, r] of newRefunds(order)) {
          if (stored.refunds[id]) continue;
          stored.refunds[id] = { ...r, applied: true, afterOrder: true };
          stored.revokedPoints += r.revokedPoints;
          stored.revokedCoins += r.revokedCoins;
        }
        continue;
      }
      if (this.orders.has(key)) continue;
      const refunds = Object.fromEntries(Object.entries(order.refunds).map(([id, r]) => [id, { ...r, applied: true }]));
      this.orders.set(key, clone({ ...order, claim: { ...order.claim, applied: true }, refunds }));
    }
  }
  markApplied(memberId: string, claims: readonly AppliedClaim[]) {
    for (const { ledgerKey, orderId, refundId } of claims) {
      const order = this.orders.get(`${ledgerKey ?? memberId}|${orderId}`);
      const claim = refundId === undefined ? order?.claim : order?.refunds[refundId];
      if (!claim) throw new Error(`no claim to mark: ${orderId} ${refundId ?? ''}`);
      claim.applied = true;
    }
  }
  async getOrder(memberId: string, orderId: string) {
    const found = this.orders.get(`${memberId}|${orderId}`);
    return found ? clone(found) : null;
  }
  async claimRefund(memberId: string, orderId: string, refundId: string, refund: RefundClaim, expected: OrderRecord) {
    const order = this.orders.get(`${memberId}|${orderId}`)!;
    if (!order.refunds[refundId]) {
      if (itemRevokedPoints(order) !== itemRevokedPoints(expected)) throw new Error('refund claim raced');
      order.refunds[refundId] = { ...refund };
      order.revokedPoints += refund.revokedPoints;
      order.revokedCoins = (order.revokedCoins ?? 0) + refund.revokedCoins;
    }
    return clone(order);
  }
}

export class MemoryQuarantine implements QuarantinePort {
  readonly items = new Map<string, QuarantineItem>();
  async putAll(items: readonly QuarantineItem[]) {
    for (const item of items) this.items.set(`${item.shardId}/${item.seq}`, clone(item));
  }
}

export class MemoryMetrics implements MetricsPort {
  /** key → shard → item */
  readonly items = new Map<string, Map<string, CounterItem>>();
  async read(keys: readonly string[], shardId: string) {
    const out = new Map<string, CounterItem>();
    for (const key of keys) {
      const found = this.items.get(key)?.get(shardId);
      if (found) out.set(key, clone(found));
    }
    return out;
  }
  async write(key: string, shardId: string, item: CounterItem, previousHw: string | null) {
    let shards = this.items.get(key);
    if (!shards) this.items.set(key, (shards = new Map()));
    if ((shards.get(shardId)?.hw ?? null) !== previousHw) throw new Error(`counter item ${key} moved on`);
    shards.set(shardId, clone(item));
  }
  /** Sums a key over its shard items. */
  sum(key: string): Map<string, number> {
    const total = new Map<string, number>();
    for (const item of this.items.get(key)?.values() ?? []) {
      for (const [name, value] of Object.entries(item.counters)) total.set(name, (total.get(name) ?? 0) + value);
    }
    return total;
  }
}

export class MemorySegments implements SegmentPort {
  readonly members = new Map<string, Set<string>>();
  async apply(changes: readonly { memberId: string; entered: readonly string[]; exited: readonly string[] }[]) {
    for (const { memberId, entered, exited } of changes) {
      for (const id of entered) {
        if (!this.members.has(id)) this.members.set(id, new Set());
        this.members.get(id)!.add(memberId);
      }
      for (const id of exited) this.members.get(id)?.delete(memberId);
    }
  }
}

/** Hint items as the MetricsTable holds them: pk → sk → attributes (`ids`, `la`). */
export class MemoryHints implements HintPort {
  readonly items = new Map<string, Map<string, { ids: string[]; la?: string[] }>>();
  constructor(readonly coinDue = new MemoryCoinDue()) {}
  async put(day: number, source: string, lists: DayHints) {
    const key = dayHintsKey(day);
    if (!this.items.has(key)) this.items.set(key, new Map());
    this.items.get(key)!.set(source, { ids: [...lists.purchased], ...(lists.lastActive.length ? { la: [...lists.lastActive] } : {}) });
  }
  /** The union of a hint key's lists, read where the store reads them (hintSources). */
  ids(key: string): string[] {
    const out = new Set<string>();
    for (const { pk, attribute } of hintSources(key))
      for (const item of this.items.get(pk)?.values() ?? []) for (const id of item[attribute] ?? []) out.add(id);
    return [...out];
  }
}

export class MemoryActions implements ActionsPort {
  readonly byId = new Map<string, Action>();
  async publish(actions: readonly Action[]) {
    for (const action of actions) this.byId.set(action.actionId, clone(action));
  }
}

/** The jobs' progress items (`job#<name>`), in memory. */
export class MemoryJobProgress implements JobProgressPort {
  readonly items = new Map<string, { lastDay: number } & Record<string, unknown>>();
  async lastRun(job: JobName) {
    return this.items.get(job)?.lastDay ?? null;
  }
  async recordRun(job: JobName, day: number, details: Record<string, unknown> = {}) {
    this.items.set(job, { ...details, lastDay: day });
  }
}

/** Coin-due hints and the coins job's start mark, as MetricsTable holds them (coin-due-store.ts). */
export class MemoryCoinDue implements CoinDuePort {
  /** pk → sk → ids, keys as the store writes them. */
  readonly items = new Map<string, Map<string, { ids: string[]; ex: number }>>();
  startedDay: number | null = null;
  async put(day: number, source: string, ids: readonly string[], expiresBy: number) {
    const { pk, sk } = coinDueHintKey(day, source);
    if (!this.items.has(pk)) this.items.set(pk, new Map());
    this.items.get(pk)!.set(sk, { ids: [...ids], ex: expiresBy });
  }
  async membersDue(from: number, to: number, { expiringBy }: { expiringBy?: number } = {}) {
    const out = new Set<string>();
    for (const { pk, between } of coinDueSpans(from, to))
      for (const [sk, item] of this.items.get(pk) ?? [])
        if (sk >= between[0] && sk <= between[1] && (expiringBy === undefined || item.ex <= expiringBy))
          item.ids.forEach((id) => out.add(id));
    return [...out];
  }
  async started() {
    return this.startedDay;
  }
  async start(day: number) {
    if (this.startedDay === null || day > this.startedDay) this.startedDay = day;
  }
  isBackfilled = false;
  async backfilled() {
    return this.isBackfilled;
  }
  async markBackfilled() {
    this.isBackfilled = true;
  }
  backfillAt: string | undefined;
  async backfillFrom() {
    return this.backfillAt;
  }
  async saveBackfillFrom(next: string) {
    this.backfillAt = next;
  }
}

/** The sparse TierReviewIndex over in-memory members: members above the base tier, not merged away. */
export class MemoryReviewIndex implements ReviewIndexPort {
  constructor(private readonly members: MemoryMembers) {}
  async membersWithReviewBy(lastDay: number) {
    return [...this.members.items.values()]
      .filter((m) => m.tier.tier > 0 && m.tier.tierReviewOn !== null && m.tier.tierReviewOn <= lastDay && !m.linkedTo)
      .map((m) => m.memberId);
  }
}

/** The api's stored merge requests (`mergedfrom#<memberId>` in MembersTable), by the member merged away. */
export class MemoryMergeRequests implements MergeRequestPort {
  readonly items = new Map<string, MergeRequest>();
  async requests(fromMemberIds: readonly string[]) {
    const out = new Map<string, MergeRequest>();
    for (const id of fromMemberIds) {
      const found = this.items.get(id);
      if (found) out.set(id, clone(found));
    }
    return out;
  }
}
