// The member reducer: applies one batch's new records of one member to its state, exactly once.
// Pure but for the ledger port, which makes purchases once per order and refunds once per refund.
// Job commands (tier_review, status_check, rfm_update) arrive on the same stream and apply here too,
// so this is the only place member state changes.
import { markActive } from './activity';
import { C } from '../metrics/catalogue';
import { bump, sessionBucket, type Contribution } from '../metrics/contribution';
import { makeAction, type Action } from '../actions/actions';
import { dayNumber, dayOf, dayString, todayIn } from '../days/days';
import { BEHAVIOUR_TYPES, type BehaviourEvent, type PurchaseEvent, type RefundEvent, type StreamEvent } from '../events/events';
import { anonymousIdOf, isVisitorKey, visitorKey } from '../identity/keys';
import { absorbRecord, forwardRecord, linkRecord, type OutgoingRecord } from '../identity/commands';
import { foldInto } from '../identity/fold';
import { hash48, hashHex } from '../util/hash';
import type { Program } from '../programme/vocabulary';
import { evaluateSegments } from './facts';
import { claimKey, type AppliedClaim, type Claim, type LedgerPort, type OrderRecord } from './ledger';
import { COMMAND_RING_SIZE, EVENT_RING_SIZE, newMember, type IncomingRecord, type MemberState, type PurchaseStat } from './state';
import { applyWinbackCheck, endSilence } from '../winback/winback';
import { purchasePoints, refundRevocation } from '../points/points';
import {
  applyEarn,
  applyRefundRevert,
  isAtRisk,
  pointsRequiredToRemain,
  reviewTier,
  type PointsEntry,
  type TierChange,
} from '../points/tiers';
import { compareSeq, type StreamPosition } from '../stream/position';
import { earnRate } from '../coins/programme';
import { purchaseCoins, refundCoins } from '../coins/earning';
import { earnCoins, revokeCoins, runCoinDay, type CoinEntry } from '../coins/ledger';
import { lotId, lotNumber } from '../coins/lots';

export interface Rejection {
  position: StreamPosition;
  event: StreamEvent;
  reason: 'unknown_order' | 'invalid_event' | 'identity_conflict' | 'identity_unverified';
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

function covers(highWater: StreamPosition | null, position: StreamPosition): boolean {
  return highWater !== null && highWater.shardId === position.shardId && compareSeq(highWater.seq, position.seq) >= 0;
}

/**
 * Whether a member write applied the claim. The flag is set in the same transaction as the member
 * write that applies the claim, so "not applied" is certain: the claiming attempt never wrote the
 * member, and a later delivery of the same event — a retry at the same position, or a replay from
 * the failed-batches bucket at a new one — finishes what it started. Claims made earlier in this
 * run (`run`) are applied to the state being built.
 */
function claimApplied(state: MemberState, claim: Claim, key: string, run: ReadonlySet<string>): boolean {
  if (run.has(key)) return true;
  if (claim.applied !== undefined) return claim.applied;
  // A claim stored before the flag: applied when a later write moved the high-water mark past it;
  // one from another shard (after resharding) is taken as applied: at most once, never twice.
  if (!state.highWater) return false;
  if (state.highWater.shardId !== claim.shardId) return true;
  return compareSeq(state.highWater.seq, claim.seq) >= 0;
}

/** The order's purchase is part of the member (a refund of it can apply). */
function purchaseApplied(order: OrderRecord, ledgerKey: string | undefined, position: StreamPosition, run: ReadonlySet<string>): boolean {
  if (run.has(claimKey({ ledgerKey, orderId: order.orderId }))) return true;
  if (order.claim.applied !== undefined) return order.claim.applied;
  // Before the flag: an order first claimed by a later record was unknown when this refund arrived.
  return !(order.claim.shardId === position.shardId && compareSeq(order.claim.seq, position.seq) > 0);
}

/**
 * The day an upgrade or a refund revert is judged on: the later of the event's day and the latest
 * day the member has seen (its last active day). A purchase dated before one already applied
 * still counts towards the tier the member holds now; a refund dated before a later purchase does
 * not revert a tier that purchase's points still support (docs/rules.md#tiers).
 */
function judgedOn(state: MemberState, day: number): number {
  return Math.max(day, state.activity.lastActiveOn ?? day);
}

function addHistory(history: PointsEntry[], day: number, points: number): boolean {
  const at = history.findIndex((entry) => entry.day >= day);
  if (at >= 0 && history[at].day === day) {
    history[at] = { day, points: history[at].points + points };
    return false;
  }
  if (at < 0) history.push({ day, points });
  else history.splice(at, 0, { day, points });
  return true;
}

function addPurchaseStat(purchases: PurchaseStat[], day: number, cents: number): void {
  const found = purchases.find((p) => p.day === day);
  if (found) {
    found.orders += 1;
    found.cents += cents;
    return;
  }
  const at = purchases.findIndex((p) => p.day > day);
  purchases.splice(at < 0 ? purchases.length : at, 0, { day, orders: 1, cents });
}

/** Keeps history entries that can still count towards a qualification window. */
function pruneHistory(state: MemberState, program: Program): void {
  const latest = Math.max(state.activity.lastActiveOn ?? 0, ...state.history.slice(-1).map((e) => e.day));
  const floor = latest - program.qualificationWindowDays - program.activity.lateActivityLimitDays;
  if (state.history.length && state.history[0].day < floor) state.history = state.history.filter((e) => e.day >= floor);
  if (state.purchases.length && state.purchases[0].day < floor) state.purchases = state.purchases.filter((p) => p.day >= floor);
}

/** The claims of the member write being built: those applied so far, and how to add one. */
interface RunClaims {
  run: ReadonlySet<string>;
  apply(claim: AppliedClaim): void;
}

/** An error of a port (I/O), as opposed to one of the rules: it must fail the batch, not the record. */
class PortFailure extends Error {
  constructor(readonly original: unknown) {
    super('port failure');
  }
}

/** The ledger with its failures marked as port failures. */
function guarded(ledger: LedgerPort): LedgerPort {
  return new Proxy(ledger, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        try {
          return await value.apply(target, args);
        } catch (error) {
          throw new PortFailure(error);
        }
      };
    },
  });
}

/** A record the rules threw on (not a port): it is rejected and the member reduced again without it. */
class RecordFailure extends Error {
  constructor(
    readonly seq: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

export interface ReducerContext {
  program: Program;
  ledger: LedgerPort;
  /** The stored states that this member's `identity_absorb` records name (read by the batch). */
  sources?: ReadonlyMap<string, MemberState>;
  /** Claims (claimKey) applied by earlier calls for the member write being built. */
  applied?: ReadonlySet<string>;
}

const isBehaviour = (event: StreamEvent): event is BehaviourEvent => (BEHAVIOUR_TYPES as readonly string[]).includes(event.type);

/** Whether a record of a linked visitor came after its link (then it belongs to the member). */
function afterLink(linkedAt: StreamPosition | null, position: StreamPosition): boolean {
  return !linkedAt || linkedAt.shardId !== position.shardId || compareSeq(position.seq, linkedAt.seq) > 0;
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

async function applyRecordsOnce(
  memberId: string,
  stored: MemberState | null,
  records: readonly IncomingRecord[],
  { program, ledger: port, sources, applied: before }: ReducerContext,
  poisoned: ReadonlyMap<string, string>,
): Promise<BatchOutcome> {
  const ledger = guarded(port);
  // This pass's claims stay its own until it returns (a poisoned record reruns the pass).
  const appliedClaims: AppliedClaim[] = [];
  const run = new Set(before ?? []);
  const claims = { run, apply: (claim: AppliedClaim) => (appliedClaims.push(claim), run.add(claimKey(claim))) };
  const tz = program.timezone;
  const today = todayIn(tz, records[records.length - 1].arrivedAt);
  let state: MemberState | null = stored ? { ...stored, contribution: new Map() } : null;
  if (state) {
    state.activity = { ...state.activity, recent: [...state.activity.recent] };
    state.recentEventIds = [...state.recentEventIds];
    state.recentCommandIds = [...(state.recentCommandIds ?? [])];
    state.history = state.history.map((e) => ({ ...e }));
    state.purchases = state.purchases.map((p) => ({ ...p }));
    state.segments = [...state.segments];
    state.winback = state.winback ? { ...state.winback } : null;
    state.identities = [...state.identities];
    state.identityDeltas = undefined;
  }
  const visitor = isVisitorKey(memberId);
  const anonymousId = anonymousIdOf(memberId);
  const forwards: OutgoingRecord[] = [];
  const rejections: Rejection[] = [];
  const tierChanges: TierChange[] = [];
  const actions: Action[] = [];
  const coinEntries: CoinEntry[] = [];
  let changed = false;

  for (const record of records) {
    const { event, position } = record;
    // Identity routing comes before the high-water mark: a retry after a crash between this owner's
    // write and its forwards puts them again, and the receiving owner absorbs the repeat.
    if (visitor && state?.linkedTo && event.type !== 'identity_link' && afterLink(state.linkedAt, position)) {
      // A linked visitor's later events belong to its member; one applied before the link is a repeat.
      if (isBehaviour(event) && !state.recentEventIds.includes(hash48(event.eventId)))
        forwards.push(forwardRecord(event, state.linkedTo, anonymousId!));
      continue;
    }
    if (visitor && state?.linkedTo && event.type === 'identity_link') {
      if (event.memberId === state.linkedTo) forwards.push(absorbRecord(state.linkedTo, memberId, event.occurredAt));
      else
        rejections.push({
          position,
          event,
          reason: 'identity_conflict',
          detail: `anonymousId: ${anonymousId} is already linked to another member; members are joined only by a merge`,
        });
      continue;
    }
    if (!visitor && event.type === 'identify') forwards.push(linkRecord(event));
    if (state && covers(state.highWater, position)) continue;
    const poison = poisoned.get(position.seq);
    if (poison !== undefined) {
      rejections.push({ position, event, reason: 'invalid_event', detail: poison });
      continue;
    }
    try {
      const idHash = hash48(event.eventId);
      const command = isJobCommand(event);
      if (state && (command ? (state.recentCommandIds ?? []) : state.recentEventIds).includes(idHash)) {
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
      } else if (event.type === 'identity_absorb') {
        const source = sources?.get(event.from);
        if (visitor || !state || !source || source.linkedTo !== memberId) {
          rejections.push({
            position,
            event,
            reason: 'identity_unverified',
            detail: `from: ${event.from} is not marked as linked to this member`,
          });
          continue;
        }
        if (!state.identities.includes(event.from)) foldInto(state, source, event.from, program);
      } else if (
        event.type === 'tier_review' ||
        event.type === 'status_check' ||
        event.type === 'rfm_update' ||
        event.type === 'coins_day'
      ) {
        // A job command: it never creates a member and is not activity; visitors get none.
        if (!state || visitor) continue;
        const asOf = dayNumber(event.asOf);
        if (!(asOf <= todayIn(tz, record.arrivedAt))) {
          rejections.push({ position, event, reason: 'invalid_event', detail: `asOf: ${event.asOf} is after today` });
          continue;
        }
        if (event.type === 'tier_review') applyReview(state, asOf, program, tierChanges, actions);
        else if (event.type === 'status_check') applyWinbackCheck(program, state, asOf, actions);
        else if (event.type === 'coins_day') applyCoinDay(state, asOf, program, actions, coinEntries);
        else state.rfm = event.rfm ? { ...event.rfm, asOf } : null;
      } else {
        // A forwarded event applies to the member as the anonymous id's event (no points, no coins).
        const applied = event.type === 'identity_forward' ? event.event : event;
        const anonymous = visitor || event.type === 'identity_forward';
        const next = await applyBehaviour(state, applied, anonymous, event.type === 'identity_forward' ? event.anonymousId : null);
        if (next === 'rejected') continue;
        state = next;
      }
      if (!state) continue;
      remember(state, idHash, command);
      state.highWater = position;
      changed = true;
    } catch (error) {
      if (error instanceof PortFailure) throw error.original;
      throw new RecordFailure(position.seq, `(record): could not be applied: ${String((error as Error)?.message ?? error)}`.slice(0, 512));
    }

    /** Applies one behaviour event: the member as it is after it, or 'rejected' (the rejection noted). */
    async function applyBehaviour(
      current: MemberState | null,
      event: BehaviourEvent,
      anonymous: boolean,
      forwardedFrom: string | null,
    ): Promise<MemberState | 'rejected'> {
      let state = current;
      const day = dayOf(record.at, tz);
      if (event.type === 'refund') {
        // A refund never creates a member: without a member there is no order to refund. A forwarded
        // refund may name an order the anonymous id made before its link (kept under its own key).
        let ledgerKey = memberId;
        let order = state ? await ledger.getOrder(memberId, event.orderId) : null;
        if (state && !order && forwardedFrom !== null) {
          ledgerKey = visitorKey(forwardedFrom);
          order = await ledger.getOrder(ledgerKey, event.orderId);
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
      } else {
        if (!state) state = newMember(memberId, day);
        if (event.type === 'signup' && event.acquisitionChannel && !state.acquisitionChannel) {
          state.acquisitionChannel = event.acquisitionChannel;
        }
        const previous = state.activity.lastActiveOn;
        const outcome = markActive(state.activity, day, program.activity.lateActivityLimitDays);
        if (outcome === 'late') bump(state.contribution, day, C.lateActivity);
        if (outcome === 'new' && (previous === null || day > previous)) endSilence(program, state, previous, day, state.contribution);
        countEvent(state.contribution, event, day);
        if (event.type === 'purchase')
          await applyPurchase(state, event, day, position, ledger, program, tierChanges, coinEntries, anonymous, claims);
      }
      return state;
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
  pruneHistory(state, program);
  // A visitor is no member: no segments (docs/rules.md#identity).
  const segmentChanges = changed && !visitor ? evaluateSegments(program, state, today) : { entered: [], exited: [] };
  for (const [type, ids] of [
    ['segment_entered', segmentChanges.entered],
    ['segment_exited', segmentChanges.exited],
  ] as const) {
    // The record that made the change names it by its eventId (not by the member version, which
    // differs when a bisected retry wrote part of the batch in between, nor by its stream position,
    // which a replay from the failed-batches bucket changes): every attempt sends the same action.
    const cause = records[records.length - 1].event.eventId;
    for (const segmentId of ids) actions.push(makeAction(type, memberId, today, { segmentId }, [segmentId, cause]));
  }
  return { state, changed, rejections, tierChanges, actions, coinEntries, applied: appliedClaims, segmentChanges, forwards };
}

function isJobCommand(event: StreamEvent): boolean {
  return event.type === 'tier_review' || event.type === 'status_check' || event.type === 'rfm_update' || event.type === 'coins_day';
}

/** Adds an applied record's eventId hash to its ring: commands and behaviour events apart. */
function remember(state: MemberState, idHash: number, command: boolean): void {
  const ring = command ? (state.recentCommandIds ??= []) : state.recentEventIds;
  const size = command ? COMMAND_RING_SIZE : EVENT_RING_SIZE;
  ring.push(idHash);
  if (ring.length > size) ring.splice(0, ring.length - size);
}

/** The daily coins job as of R: book due lots and expiries, send the due `coins_expiring` notices. */
function applyCoinDay(state: MemberState, asOf: number, program: Program, actions: Action[], coinEntries: CoinEntry[]): void {
  const step = runCoinDay(state.coins, asOf, program.coins);
  state.coins = step.state;
  coinEntries.push(...step.entries);
  for (const n of step.notices) {
    const lot = lotId(n.lot);
    actions.push(
      makeAction('coins_expiring', state.memberId, n.day, { lotId: lot, coins: n.coins, expiresOn: dayString(n.expiresOn) }, [lot]),
    );
  }
}

/** The daily review as of R (docs/rules.md#tiers: "Review" and "At risk"). */
function applyReview(state: MemberState, asOf: number, program: Program, tierChanges: TierChange[], actions: Action[]): void {
  const step = reviewTier(program, state.tier, state.history, asOf);
  state.tier = step.state;
  if (step.change) tierChanges.push(step.change);
  const reviewOn = state.tier.tierReviewOn;
  if (reviewOn !== null && state.atRiskNotifiedFor !== reviewOn && isAtRisk(program, state.tier, state.history, asOf)) {
    state.atRiskNotifiedFor = reviewOn;
    const tier = program.tiers[state.tier.tier].id;
    actions.push(
      makeAction(
        'tier_at_risk',
        state.memberId,
        asOf,
        {
          tier,
          tierReviewOn: dayString(reviewOn),
          pointsRequiredToRemain: pointsRequiredToRemain(program, state.tier, state.history, asOf),
        },
        [reviewOn, tier],
      ),
    );
  }
}

function countEvent(contribution: Contribution, event: StreamEvent, day: number): void {
  switch (event.type) {
    case 'app_open':
      bump(contribution, day, C.launches);
      break;
    case 'page_view':
      bump(contribution, day, C.pageViews);
      break;
    case 'session_end': {
      bump(contribution, day, C.sessions);
      bump(contribution, day, C.sessionSeconds, event.durationSeconds);
      const bucket = sessionBucket(event.pageViews);
      if (bucket >= 0) bump(contribution, day, C.b0 + bucket);
      break;
    }
    default:
      break;
  }
}

async function applyPurchase(
  state: MemberState,
  event: PurchaseEvent,
  day: number,
  position: StreamPosition,
  ledger: LedgerPort,
  program: Program,
  tierChanges: TierChange[],
  coinEntries: CoinEntry[],
  anonymous: boolean,
  claims: RunClaims,
): Promise<void> {
  // An anonymous purchase is the person's order (revenue, paying, RFM) but earns nothing.
  const earned = anonymous ? { ...purchasePoints(program, event), points: 0 } : purchasePoints(program, event);
  // Coins by the tier at the moment the purchase is applied, before its own points.
  const coins = anonymous
    ? 0
    : purchaseCoins(earned.eligibleCents, earned.points, earnRate(program.coins, program.tiers[state.tier.tier].id));
  const claim: Claim = { eventId: event.eventId, shardId: position.shardId, seq: position.seq, applied: false };
  const stored = await ledger.claimPurchase(state.memberId, {
    orderId: event.orderId,
    day,
    points: earned.points,
    eligibleCents: earned.eligibleCents,
    eligibleSkus: earned.eligibleSkus,
    revokedPoints: 0,
    coins,
    revokedCoins: 0,
    claim,
    refunds: {},
  });
  // Another event claimed this order (a repeated order), or a member write applied this event's
  // claim already. Otherwise this event claimed it — now, or in an attempt that never wrote the
  // member, at this position or another (a replay from the failed-batches bucket): apply it.
  const key = { orderId: event.orderId };
  if (stored.claim.eventId !== event.eventId || claimApplied(state, stored.claim, claimKey(key), claims.run)) return;
  claims.apply(key);
  const revenue = event.lines.reduce((sum, line) => sum + line.amountCents, 0);
  bump(state.contribution, day, C.orders);
  bump(state.contribution, day, C.revenueCents, revenue);
  if (addHistory(state.history, day, stored.points)) bump(state.contribution, day, C.payingMembers);
  addPurchaseStat(state.purchases, day, stored.eligibleCents);
  state.lifetimePoints += stored.points;
  if (stored.coins > 0) {
    const step = earnCoins(
      state.coins,
      { orderId: event.orderId, day, coins: stored.coins, lot: lotNumber('order', event.orderId) },
      program.coins,
    );
    state.coins = step.state;
    coinEntries.push(...step.entries);
  }
  if (stored.points > 0) {
    const result = applyEarn(program, state.tier, state.history, judgedOn(state, day), hashHex(event.orderId));
    state.tier = result.state;
    if (result.change) tierChanges.push(result.change);
  }
}

function applyRefund(
  state: MemberState,
  event: RefundEvent,
  before: OrderRecord,
  day: number,
  after: OrderRecord,
  ledgerKey: string | undefined,
  program: Program,
  tierChanges: TierChange[],
  coinEntries: CoinEntry[],
  claims: RunClaims,
): void {
  const refundId = event.refundId ?? event.eventId;
  const stored = after.refunds[refundId];
  const key = { ledgerKey, orderId: event.orderId, refundId };
  if (!stored || stored.eventId !== event.eventId || claimApplied(state, stored, claimKey(key), claims.run)) return;
  claims.apply(key);
  if (stored.revokedCoins > 0) {
    const step = revokeCoins(
      state.coins,
      { orderId: event.orderId, refundId, day, coins: stored.revokedCoins, lot: lotNumber('order', event.orderId) },
      program.coins,
    );
    state.coins = step.state;
    coinEntries.push(...step.entries);
  }
  const revoked = stored.revokedPoints;
  if (revoked === 0) return;
  state.lifetimePoints -= revoked;
  const entry = state.history.find((e) => e.day === before.day);
  if (entry) entry.points -= revoked;
  const result = applyRefundRevert(program, state.tier, state.history, judgedOn(state, day), hashHex(event.orderId));
  state.tier = result.state;
  if (result.change) tierChanges.push(result.change);
}

/** Computes a refund's revocation from the order as stored and records it on the ledger once. */
export async function claimRefundOnce(
  ledger: LedgerPort,
  memberId: string,
  event: RefundEvent,
  order: OrderRecord,
  position: StreamPosition,
): Promise<OrderRecord> {
  const refundId = event.refundId ?? event.eventId;
  if (order.refunds[refundId]) return order;
  const { revokedPoints, refundedEligibleCents } = refundRevocation(order, event.lines);
  const revokedCoins = refundCoins(
    { coins: order.coins, eligibleCents: order.eligibleCents, revokedCoins: order.revokedCoins },
    refundedEligibleCents,
  );
  return ledger.claimRefund(
    memberId,
    order.orderId,
    refundId,
    { eventId: event.eventId, shardId: position.shardId, seq: position.seq, applied: false, revokedPoints, revokedCoins },
    order.revokedPoints,
  );
}
