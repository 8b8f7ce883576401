// The subject access document (docs/api.md#privacy-erasure-and-subject-access, GET /members/{id}/data): everything stored about one
// member, from its member item and its LedgerTable items — its own and those of the ids folded into it
// (shared/identity/person-ledger.ts), each marked `mergedFrom` / `anonymousId`. Documented field by field in
// docs/privacy.md. Actions are not stored per member: the ones derivable from stored data are
// listed with their deterministic actionIds (see `actions` below and docs/privacy.md).
import { anonymousIdOf } from '../identity/keys';
import { mergedMemberKeys, originOf } from '../identity/person-ledger';
import { tierAction, type Action } from '../actions/actions';
import { dayString } from '../days/days';
import { ORDER_PREFIX, REFUND_PREFIX, refundIdsOf, TIER_CHANGE_PREFIX } from '../keys/ledger-keys';
import type { MemberState } from '../member/state';
import { memberView } from '../member/view';
import type { TierChange } from '../points/tiers';
import type { Program } from '../programme/vocabulary';

/** A LedgerTable item as stored (pk memberId, sk kind-prefixed). */
export type LedgerRecord = Record<string, unknown> & { memberId: string; sk: string };

const day = (d: number | null | undefined) => (d === null || d === undefined ? null : dayString(d));

/** An order with its refunds: those on its own item (older items) and those in their own items. */
function order(memberId: string, item: LedgerRecord, refundItems: readonly LedgerRecord[]) {
  const orderId = item.sk.slice(ORDER_PREFIX.length);
  const ownItems = refundItems.filter((r) => r.memberId === item.memberId && refundIdsOf(r.sk).orderId === orderId);
  // Refunds an orders outbox stored after the order item (`x`) are not in its running total.
  const afterOrder = ownItems.reduce((sum, r) => (r.x ? sum + (r.p as number) : sum), 0);
  const refunds = [
    ...Object.entries((item.rf ?? {}) as Record<string, { e: string; p: number }>).map(([refundId, r]) => ({ refundId, r })),
    ...ownItems.map((r) => ({ refundId: refundIdsOf(r.sk).refundId, r: r as unknown as { e: string; p: number } })),
  ].map(({ refundId, r }) => ({ refundId, eventId: r.e, revokedPoints: r.p }));
  return {
    orderId,
    day: day(item.day as number),
    eventId: item.ce ?? null,
    points: item.pts ?? 0,
    eligibleCents: item.ec ?? 0,
    eligibleSkus: item.skus ?? [],
    revokedPoints: ((item.rv as number | undefined) ?? 0) + afterOrder,
    refunds,
    ...originOf(memberId, item.memberId),
  };
}

export function subjectAccessDocument(
  program: Program,
  state: MemberState,
  ledger: readonly LedgerRecord[],
  today: number,
  generatedAt: string,
) {
  const tierChanges = ledger
    .filter((i) => i.sk.startsWith(TIER_CHANGE_PREFIX))
    .map((i) => ({ owner: i.memberId, change: { kind: i.kind, reason: i.reason, from: i.from, to: i.to, day: i.day } as TierChange }))
    .sort((a, b) => a.change.day - b.change.day);
  const refundItems = ledger.filter((i) => i.sk.startsWith(REFUND_PREFIX));
  const other = ledger.filter((i) => ![ORDER_PREFIX, REFUND_PREFIX, TIER_CHANGE_PREFIX].some((prefix) => i.sk.startsWith(prefix)));
  // A merged member's tier actions were sent under its own id: the same actionIds.
  const derivedActions: Action[] = tierChanges.map(({ owner, change }) => tierAction(program, owner, change));
  return {
    memberId: state.memberId,
    generatedAt,
    profile: memberView(program, state, today),
    identities: state.identities.flatMap((key) => anonymousIdOf(key) ?? []),
    mergedMembers: mergedMemberKeys(state),
    activity: {
      lastActiveOn: day(state.activity.lastActiveOn),
      recentActiveDays: state.activity.recent.map((d) => dayString(d)),
      activeDays: state.activity.activeDays,
    },
    points: {
      lifetimePoints: state.lifetimePoints,
      byPurchaseDay: state.history.map((h) => ({ day: dayString(h.day), points: h.points })),
    },
    tierHistory: tierChanges.map(({ owner, change: c }) => ({
      day: dayString(c.day),
      kind: c.kind,
      reason: c.reason,
      from: program.tiers[c.from]?.id ?? c.from,
      to: program.tiers[c.to]?.id ?? c.to,
      ...originOf(state.memberId, owner),
    })),
    orders: ledger.filter((i) => i.sk.startsWith(ORDER_PREFIX)).map((i) => order(state.memberId, i, refundItems)),
    purchasesByDay: state.purchases.map((p) => ({ day: dayString(p.day), orders: p.orders, eligibleCents: p.cents })),
    rfm: state.rfm ? { ...state.rfm, asOf: dayString(state.rfm.asOf) } : null,
    segments: state.segments,
    winback: state.winback
      ? { spellFrom: dayString(state.winback.spellFrom), offers: state.winback.offers, lastOfferOn: dayString(state.winback.lastOfferOn) }
      : null,
    /** Other ledger records (e.g. the coin ledger), as stored, grouped by their key prefix. */
    otherRecords: groupByPrefix(state.memberId, other),
    actions: {
      stored: false,
      note: 'Actions are sent on the actions stream and not kept per member; these are the ones derivable from the stored tier history (same actionIds as sent).',
      derived: derivedActions,
    },
  };
}

function groupByPrefix(memberId: string, items: readonly LedgerRecord[]): Record<string, Record<string, unknown>[]> {
  const out: Record<string, Record<string, unknown>[]> = {};
  for (const { memberId: owner, ...rest } of items) {
    const prefix = rest.sk.includes('#') ? rest.sk.slice(0, rest.sk.indexOf('#')) : rest.sk;
    (out[prefix] ??= []).push({ ...rest, ...originOf(memberId, owner) });
  }
  return out;
}
