// The member reducer: applies one batch's new records of one member to its state, exactly once.
// Pure but for the ledger port, which makes purchases once per order and refunds once per refund.
// Job commands (tier_review, status_check, rfm_update) arrive on the same stream and apply here too,
// so this is the only place member state changes. What each kind of record does lives beside it:
// orders.ts (purchases, refunds), job-commands.ts, behaviour-counts.ts, identity/ (link, absorb).
import { markActive } from './activity';
import { C } from '../metrics/catalogue';
import { bump } from '../metrics/contribution';
import { makeAction, type Action } from '../actions/actions';
import { dayNumber, dayOf, todayIn } from '../days/days';
import type { BehaviourEvent, StreamEvent } from '../events/events';
import { isVisitorKey, visitorKey } from '../identity/keys';
import { absorbRecord, linkRecord, type OutgoingRecord } from '../identity/commands';
import { absorb, markMerged } from '../identity/merge-apply';
import type { MergeRequest } from '../identity/merge-request';
import { routeLinked } from '../identity/route';
import { hash48 } from '../util/hash';
import type { Program } from '../programme/vocabulary';
import { evaluateSegments } from './facts';
import { claimKey, type AppliedClaim, type LedgerPort, type OrderRecord } from './ledger';
import { newMember, type IncomingRecord, type MemberState } from './state';
import { joinedBy } from './joined';
import { endSilence } from '../winback/winback';
import type { TierChange } from '../points/tiers';
import type { StreamPosition } from '../stream/position';
import type { CoinEntry } from '../coins/ledger';
import { countEvent } from './behaviour-counts';
import { claimRefundOnce, purchaseApplied, recordOutboxRefund, type RunClaims } from './claims';
import { applyJobCommand, isJobCommand } from './job-commands';
import { applyPurchase, applyRefund, pruneHistory } from './orders';
import { guarded, PortFailure, RecordFailure } from './record-failures';
import { covers, remember, seenRecently } from './repeats';

export interface Rejection {
  position: StreamPosition;
  event: StreamEvent;
  reason: 'unknown_order' | 'invalid_event' | 'identity_conflict' | 'identity_unverified' | 'merge_not_requested';
  detail: string;
}

export interface BatchOutcome {
  state: MemberState;
  /** Whether anything changed: false means the member need not be written. */
  changed: boolean;
  rejections: Rejection[];
  tierChanges: TierChange[];
  /** Other actions (tier_at_risk, winback_offer, segment_entered/exited, coins_expiring). */
  actions: Action[];
  /** Coin ledger entries this batch booked (earn, revoke, available, expire). */
  coinEntries: CoinEntry[];
  /** Ledger claims these records applied: the member write marks them applied (MemberPort.put). */
  applied: AppliedClaim[];
  segmentChanges: { entered: string[]; exited: string[] };
  /** Identity commands for other owners (docs/architecture.md#identity), put after the member write. */
  forwards: OutgoingRecord[];
}

export interface ReducerContext {
  program: Program;
  ledger: LedgerPort;
  /** The stored states that this member's `identity_absorb` records name (read by the batch). */
  sources?: ReadonlyMap<string, MemberState>;
  /** Claims (claimKey) applied by earlier calls for the member write being built. */
  applied?: ReadonlySet<string>;
  /** The stored merge requests of the members this batch's member_merge records merge away. */
  mergeRequests?: ReadonlyMap<string, MergeRequest>;
}

/**
 * Applies the records of one member, in arrival order. `stored` is the member as read (null when
 * unknown). Records covered by the high-water mark or whose eventId is in the recent ring are
 * skipped: they were applied by an earlier delivery.
 *
 * "Today" comes from the records, never from the wall clock, so a retry (minutes later, or after
 * midnight) recomputes exactly what the first attempt computed: a command is checked against the
 * day its own record arrived, and the member's segments are evaluated as of the day the last
 * record arrived — the same last record whichever attempt, and however the batch was cut.
 */
export async function applyRecords(
  memberId: string,
  stored: MemberState | null,
  records: readonly IncomingRecord[],
  context: ReducerContext,
): Promise<BatchOutcome> {
  // Each record applies whole or not at all: a record the rules cannot apply (a bug, a value no
  // bound foresaw) is rejected with its reason and the member reduced again from the stored state
  // without it — the ledger's claims are idempotent, so the records before it apply as before.
  // A failing port (the ledger) fails the batch instead, which Lambda retries.
  const poisoned = new Map<string, string>();
  for (;;) {
    try {
      return await applyRecordsOnce(memberId, stored, records, context, poisoned);
    } catch (error) {
      if (!(error instanceof RecordFailure)) throw error;
      poisoned.set(error.seq, error.detail);
    }
  }
}

const NO_POISON: ReadonlyMap<string, string> = new Map();

/**
 * Applies one behaviour record to `state` in place (a state the caller owns: a copy it made, or
 * one an earlier call returned; null for an unknown member), for callers that reduce a member
 * record by record (shared/batch/reduce-member.ts) without a copy of the member per record. The
 * state is left as it was when the outcome is unchanged. A record the rules throw on throws its
 * RecordFailure, with `state` half changed: the caller discards it and reduces the member again
 * with {@link applyRecords}, from a state it kept.
 */
export function applyRecordOwned(
  memberId: string,
  state: MemberState | null,
  record: IncomingRecord,
  context: ReducerContext,
): Promise<BatchOutcome> {
  return applyRecordsOnce(memberId, state, [record], context, NO_POISON, true);
}

/** The reducer's own copy of a stored member: the parts it changes in place are copied. */
export function ownedCopy(stored: MemberState): MemberState {
  const state: MemberState = { ...stored, contribution: new Map() };
  state.activity = { ...state.activity, recent: [...state.activity.recent] };
  state.recentEventIds = [...state.recentEventIds];
  if (state.recentEventDays) state.recentEventDays = [...state.recentEventDays];
  state.recentCommandIds = [...(state.recentCommandIds ?? [])];
  // Points-history and purchase entries are replaced when they change, never changed in place
  // (orders.ts, identity/fold.ts): copying the arrays keeps the caller's state as it was.
  state.history = [...state.history];
  state.purchases = [...state.purchases];
  state.segments = [...state.segments];
  state.winback = state.winback ? { ...state.winback } : null;
  state.identities = [...state.identities];
  state.identityDeltas = undefined;
  // A refund records itself on the outbox's order: this pass's copy, not the caller's.
  if (state.ordersOut) state.ordersOut = state.ordersOut.map((o) => ({ ...o, claim: { ...o.claim }, refunds: copyRefunds(o.refunds) }));
  return state;
}

async function applyRecordsOnce(
  memberId: string,
  stored: MemberState | null,
  records: readonly IncomingRecord[],
  { program, ledger: port, sources, applied: before, mergeRequests }: ReducerContext,
  poisoned: ReadonlyMap<string, string>,
  /** `stored` is the caller's own to change (applyRecordOwned): no copy. */
  owned = false,
): Promise<BatchOutcome> {
  const ledger = guardedLedger(port);
  // This pass's claims stay its own until it returns (a poisoned record reruns the pass).
  const appliedClaims: AppliedClaim[] = [];
  // (Mostly empty: no iterator for a copy of nothing. This runs for every record.)
  const run = before?.size ? new Set(before) : new Set<string>();
  const claims = { run, apply: (claim: AppliedClaim) => (appliedClaims.push(claim), run.add(claimKey(claim))) };
  const tz = program.timezone;
  const lastRecord = records[records.length - 1];
  const today = todayIn(tz, lastRecord.arrivedAt);
  let state: MemberState | null = stored && !owned ? ownedCopy(stored) : stored;
  if (state && owned) {
    // This record's counts only (a copy starts with none).
    state.contribution = new Map();
    state.identityDeltas = undefined;
  }
  const visitor = isVisitorKey(memberId);
  const forwards: OutgoingRecord[] = [];
  const rejections: Rejection[] = [];
  const tierChanges: TierChange[] = [];
  const actions: Action[] = [];
  const coinEntries: CoinEntry[] = [];
  let changed = false;
  const rc: RecordContext = { memberId, ledger, program, rejections, tierChanges, coinEntries, claims, run };

  for (const record of records) {
    const { event, position } = record;
    // Identity routing comes before the high-water mark: a retry after a crash between this owner's
    // write and its forwards puts them again, and the receiving owner absorbs the repeat. A linked
    // visitor's or a merged member's records go on to the member it is linked to.
    const routed = routeLinked(memberId, state, record);
    if (routed) {
      forwards.push(...routed.forwards);
      if (routed.conflict) rejections.push({ position, event, reason: 'identity_conflict', detail: routed.conflict });
      continue;
    }
    // An identify (or one forwarded from a member merged into this one) links its anonymous id to
    // this member, unless that id is folded in already (through a merged member).
    const identify =
      event.type === 'identify'
        ? event
        : event.type === 'identity_forward' && event.fromMemberId && event.event.type === 'identify'
          ? event.event
          : null;
    if (!visitor && identify && !state?.identities.includes(visitorKey(identify.anonymousId)))
      forwards.push(linkRecord({ ...identify, memberId }));
    if (state && covers(state.highWater, position)) continue;
    const poison = poisoned.get(position.seq);
    if (poison !== undefined) {
      rejections.push({ position, event, reason: 'invalid_event', detail: poison });
      continue;
    }
    try {
      const idHash = hash48(event.eventId);
      const command = isJobCommand(event);
      if (state && seenRecently(state, idHash, command)) {
        state.highWater = position;
        changed = true;
        continue;
      }
      const day = dayOf(record.at, tz);
      if (event.type === 'identity_link') {
        // An unlinked visitor (or none yet): mark it linked, then ask the member to fold it in.
        if (!visitor) continue;
        if (!state) state = newMember(memberId, day);
        state.linkedTo = event.memberId;
        state.linkedAt = position;
        forwards.push(absorbRecord(event.memberId, memberId, event.occurredAt));
      } else if (event.type === 'member_merge') {
        // The api's merge: this member is merged away (docs/architecture.md#operator-merge).
        const refused = visitor
          ? 'memberId: required'
          : markMerged(state, event, position, todayIn(tz, record.arrivedAt), mergeRequests?.get(memberId), { actions, forwards });
        if (refused) {
          rejections.push({ position, event, reason: 'merge_not_requested', detail: refused });
          continue;
        }
      } else if (event.type === 'identity_absorb') {
        const refused = visitor
          ? 'memberId: required'
          : absorb(state, event, sources?.get(event.from), day, program, { actions, tierChanges });
        if (refused) {
          rejections.push({ position, event, reason: 'identity_unverified', detail: refused });
          continue;
        }
      } else if (isJobCommand(event)) {
        // A job command: it never creates a member and is not activity; visitors get none.
        if (!state || visitor) continue;
        const asOf = dayNumber(event.asOf);
        if (!(asOf <= todayIn(tz, record.arrivedAt))) {
          rejections.push({ position, event, reason: 'invalid_event', detail: `asOf: ${event.asOf} is after today` });
          continue;
        }
        applyJobCommand(state, event, asOf, program, { tierChanges, actions, coinEntries });
      } else {
        // A forwarded event applies to the member as the anonymous id's event (no points, no coins),
        // or in full as the event of a member merged into it (its orders on that member's ledger key).
        const applied = event.type === 'identity_forward' ? event.event : event;
        const fromMember = event.type === 'identity_forward' ? (event.fromMemberId ?? null) : null;
        const anonymous = visitor || (event.type === 'identity_forward' && !fromMember);
        const fromVisitor = event.type === 'identity_forward' && !fromMember ? (event.anonymousId ?? null) : null;
        const result = applyBehaviour(rc, record, day, state, applied, anonymous, fromVisitor, fromMember);
        const next = result instanceof Promise ? await result : result;
        if (next === 'rejected') continue;
        state = next;
      }
      if (!state) continue;
      remember(state, idHash, command, record === lastRecord ? today : todayIn(tz, record.arrivedAt));
      state.highWater = position;
      changed = true;
    } catch (error) {
      if (error instanceof PortFailure) throw error.original;
      throw new RecordFailure(position.seq, `(record): could not be applied: ${String((error as Error)?.message ?? error)}`.slice(0, 512));
    }
  }
  if (!state)
    return {
      state: newMember(memberId, 0),
      changed: false,
      rejections,
      tierChanges,
      actions,
      coinEntries,
      applied: appliedClaims,
      segmentChanges: { entered: [], exited: [] },
      forwards,
    };
  // An owned state is the caller's next state whatever the outcome: unchanged, it stays as it was.
  if (owned && !changed)
    return {
      state,
      changed,
      rejections,
      tierChanges,
      actions,
      coinEntries,
      applied: appliedClaims,
      segmentChanges: { entered: [], exited: [] },
      forwards,
    };
  pruneHistory(state, program);
  // A visitor is no member: no segments (docs/rules.md#identity).
  // Nor is a member merged away (it left its segments with the merge).
  const segmentChanges = changed && !visitor && !state.linkedTo ? evaluateSegments(program, state, today) : { entered: [], exited: [] };
  // (Most records change no segment: nothing to build.)
  if (segmentChanges.entered.length || segmentChanges.exited.length) {
    const cause = lastRecord.event.eventId;
    for (const [type, ids] of [
      ['segment_entered', segmentChanges.entered],
      ['segment_exited', segmentChanges.exited],
    ] as const) {
      // The record that made the change names it by its eventId (not by the member version, which
      // differs when a bisected retry wrote part of the batch in between, nor by its stream position,
      // which a replay from the failed-batches bucket changes): every attempt sends the same action.
      for (const segmentId of ids) actions.push(makeAction(type, memberId, today, { segmentId }, [segmentId, cause]));
    }
  }
  return { state, changed, rejections, tierChanges, actions, coinEntries, applied: appliedClaims, segmentChanges, forwards };
}

/** What one pass of applyRecordsOnce gives each behaviour record (one object per pass, no closure per record). */
interface RecordContext {
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
function applyBehaviour(
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

/** The ledger port with its failures marked (record-failures.ts), one wrapper per port. */
const guardedPorts = new WeakMap<LedgerPort, LedgerPort>();
function guardedLedger(port: LedgerPort): LedgerPort {
  let ledger = guardedPorts.get(port);
  if (!ledger) guardedPorts.set(port, (ledger = guarded(port)));
  return ledger;
}

/** An outbox order's refunds, each copied (plain data: cheaper than structuredClone per record). */
function copyRefunds(refunds: OrderRecord['refunds']): OrderRecord['refunds'] {
  const out: OrderRecord['refunds'] = {};
  for (const id in refunds) out[id] = { ...refunds[id] };
  return out;
}
