// One behaviour event applied to a member (shared/member/reducer.ts runs it per record): activity,
// joined day, win-back, the event's counts; purchases and refunds through orders.ts and the ledger.
import { markActive } from './activity';
import { C } from '../metrics/catalogue';
import { bump } from '../metrics/contribution';
import type { BehaviourEvent, StreamEvent } from '../events/events';
import { visitorKey } from '../identity/keys';
import type { Program } from '../programme/vocabulary';
import type { LedgerPort, OrderRecord } from './ledger';
import { newMember, type IncomingRecord, type MemberState } from './state';
import { joinedBy } from './joined';
import { endSilence } from '../winback/winback';
import type { TierChange } from '../points/tiers';
import type { StreamPosition } from '../stream/position';
import type { CoinEntry } from '../coins/ledger';
import { countEvent } from './behaviour-counts';
import { claimRefundOnce, purchaseApplied, recordOutboxRefund, type RunClaims } from './claims';
import { applyPurchase, applyRefund } from './orders';

export interface Rejection {
  position: StreamPosition;
  event: StreamEvent;
  reason: 'unknown_order' | 'invalid_event' | 'identity_conflict' | 'identity_unverified' | 'merge_not_requested';
  detail: string;
}

/** What one pass of applyRecordsOnce gives each behaviour record (one object per pass, no closure per record). */
export interface RecordContext {
  memberId: string;
  ledger: LedgerPort;
  program: Program;
  rejections: Rejection[];
  tierChanges: TierChange[];
  coinEntries: CoinEntry[];
  claims: RunClaims;
  run: ReadonlySet<string>;
}

/** Applies one behaviour event: the member as it is after it, or 'rejected' (the rejection noted). */
export function applyBehaviour(
  rc: RecordContext,
  record: IncomingRecord,
  /** The record's day (its `at` in the programme's zone). */
  day: number,
  current: MemberState | null,
  event: BehaviourEvent,
  anonymous: boolean,
  forwardedFrom: string | null,
  fromMember: string | null,
): MemberState | 'rejected' | Promise<MemberState | 'rejected'> {
  // Only the order types read the ledger: the others apply without a promise (an await per
  // record was the largest cost left of applyRecordsOnce: #16).
  if (event.type === 'refund') return applyRefundRecord(rc, record, day, current, event, forwardedFrom, fromMember);
  const { memberId, ledger, program, tierChanges, coinEntries, claims } = rc;
  const { position } = record;
  const state = current ?? newMember(memberId, day);
  if (event.type === 'signup' && event.acquisitionChannel && !state.acquisitionChannel) {
    state.acquisitionChannel = event.acquisitionChannel;
  }
  const previous = state.activity.lastActiveOn;
  const outcome = markActive(state.activity, day, program.activity.lateActivityLimitDays);
  if (outcome === 'late') bump(state.contribution, day, C.lateActivity);
  // An earlier-dated record that arrives after later ones (a retry, a replay, a forward that
  // overtook another): the member joined on its day, as in time order.
  if (outcome === 'new') joinedBy(state, day);
  if (outcome === 'new' && (previous === null || day > previous)) endSilence(program, state, previous, day, state.contribution);
  countEvent(state.contribution, event, day);
  if (event.type !== 'purchase') return state;
  return applyPurchase(
    state,
    event,
    day,
    position,
    ledger,
    program,
    tierChanges,
    coinEntries,
    anonymous,
    claims,
    fromMember ?? undefined,
    forwardedFrom === null ? undefined : visitorKey(forwardedFrom),
  ).then(() => state);
}

async function applyRefundRecord(
  rc: RecordContext,
  record: IncomingRecord,
  day: number,
  state: MemberState | null,
  event: Extract<BehaviourEvent, { type: 'refund' }>,
  forwardedFrom: string | null,
  fromMember: string | null,
): Promise<MemberState | 'rejected'> {
  const { memberId, ledger, program, rejections, tierChanges, coinEntries, claims, run } = rc;
  const { position } = record;
  // A refund never creates a member: without a member there is no order to refund. A forwarded
  // refund may name an order the anonymous id made before its link (kept under its own key), a
  // merged member's event one that member made; a member's refund one of the ids folded into it.
  let ledgerKey = memberId;
  let order: OrderRecord | null = null;
  // An order this write applied is in its outbox, not on the ledger yet: the refund is recorded on it.
  const pending = state?.ordersOut?.find((o) => o.orderId === event.orderId);
  if (state && pending) {
    if (recordOutboxRefund(pending, event, position))
      applyRefund(state, event, pending, day, pending, undefined, program, tierChanges, coinEntries, claims, true);
    return state;
  }
  const keys = [...(fromMember ? [fromMember] : []), memberId, ...(forwardedFrom !== null ? [visitorKey(forwardedFrom)] : [])];
  for (const key of state ? new Set([...keys, ...state.identities]) : []) {
    order = await ledger.getOrder(key, event.orderId);
    if (order) {
      ledgerKey = key;
      break;
    }
  }
  // An order first claimed by a later record was unknown when this refund arrived.
  const foreign = ledgerKey === memberId ? undefined : ledgerKey;
  if (!state || !order || !purchaseApplied(order, foreign, position, run)) {
    rejections.push({
      position,
      event,
      reason: 'unknown_order',
      detail: `orderId: no purchase ${event.orderId} by member ${memberId}`,
    });
    return 'rejected';
  }
  // A new refund of the member's own stored order rides on this write (orders-outbox.ts: stored on
  // the ledger after it, no claim and no transaction). Refunds of another key's orders, and one a
  // claiming attempt left unapplied, keep the claim protocol.
  if (foreign === undefined && !order.refunds[event.refundId ?? event.eventId]) {
    const out: OrderRecord = { ...order, refunds: { ...order.refunds }, ledgerRefunds: Object.keys(order.refunds) };
    recordOutboxRefund(out, event, position);
    state.ordersOut = [...(state.ordersOut ?? []), out];
    applyRefund(state, event, out, day, out, undefined, program, tierChanges, coinEntries, claims, true);
    return state;
  }
  applyRefund(
    state,
    event,
    order,
    day,
    await claimRefundOnce(ledger, ledgerKey, event, order, position),
    foreign,
    program,
    tierChanges,
    coinEntries,
    claims,
  );
  return state;
}
