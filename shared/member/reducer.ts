// The member reducer: applies one batch's new records of one member to its state, exactly once.
// Pure but for the ledger port, which makes purchases once per order and refunds once per refund.
// Job commands (tier_review, status_check, rfm_update) arrive on the same stream and apply here too,
// so this is the only place member state changes. What each kind of record does lives beside it:
// orders.ts (purchases, refunds), job-commands.ts, behaviour-counts.ts, identity/ (link, absorb).
import { makeAction, type Action } from '../actions/actions';
import { dayNumber, dayOf, todayIn } from '../days/days';
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
import type { TierChange } from '../points/tiers';
import type { StreamPosition } from '../stream/position';
import type { CoinEntry } from '../coins/ledger';
import { applyJobCommand, isJobCommand } from './job-commands';
import { pruneHistory } from './orders';
import { guarded, PortFailure, RecordFailure } from './record-failures';
import { covers, remember, seenRecently } from './repeats';
import { applyBehaviour, type RecordContext, type Rejection } from './behaviour';

export type { Rejection };

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
  /** The day the state's segments are current for (evaluated or kept), when they were looked at. */
  segmentsAsOf?: number;
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
  /**
   * The day the owned state's segments were evaluated for by the previous record's pass
   * (applyRecordOwned): a record of {@link KEEPS_FACTS} that changes nothing of the member's
   * activity, on that same day, keeps them as they are — no fact a segment reads has moved (#16).
   */
  segmentsAsOf?: number;
}

/**
 * Types that change no segment fact (tier, points, purchases, channel, RFM) but through activity:
 * on a day already active, such a record leaves every fact as it was.
 */
const KEEPS_FACTS: ReadonlySet<string> = new Set(['app_open', 'page_view', 'session_end']);

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
): BatchOutcome | Promise<BatchOutcome> {
  return applyRecordsOnce(memberId, state, [record], context, NO_POISON, true);
}

/** The reducer's own copy of a stored member: the parts it changes in place are copied. */
export function ownedCopy(stored: MemberState): MemberState {
  const state: MemberState = { ...stored, contribution: new Map() };
  // (The active days are replaced when they change, never changed in place: activity.ts markActive.)
  state.activity = { ...state.activity };
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

/**
 * One pass over a member's records (see {@link applyRecords}). Synchronous until a record needs
 * the ledger (an order type): the other records, most of the stream, apply without a promise, and
 * a single-record call (applyRecordOwned) returns its outcome as a value (an await per record was
 * a large part of the handler's CPU: #16).
 */
function applyRecordsOnce(
  memberId: string,
  stored: MemberState | null,
  records: readonly IncomingRecord[],
  context: ReducerContext,
  poisoned: ReadonlyMap<string, string>,
  /** `stored` is the caller's own to change (applyRecordOwned): no copy. */
  owned = false,
): BatchOutcome | Promise<BatchOutcome> {
  const pass = new Pass(memberId, stored, records, context, poisoned, owned);
  for (let i = 0; i < records.length; i++) {
    const pending = pass.step(records[i]);
    if (pending) return pass.finishAfter(pending, i + 1);
  }
  return pass.finish();
}

class Pass {
  private readonly ledger: LedgerPort;
  // This pass's claims stay its own until it returns (a poisoned record reruns the pass).
  private readonly appliedClaims: AppliedClaim[] = [];
  private readonly tz: string;
  private readonly lastRecord: IncomingRecord;
  private readonly today: number;
  private state: MemberState | null;
  private readonly visitor: boolean;
  private readonly forwards: OutgoingRecord[] = [];
  private readonly rejections: Rejection[] = [];
  private readonly tierChanges: TierChange[] = [];
  private readonly actions: Action[] = [];
  private readonly coinEntries: CoinEntry[] = [];
  private changed = false;
  private readonly rc: RecordContext;
  private readonly program: Program;
  private readonly sources: ReducerContext['sources'];
  private readonly mergeRequests: ReducerContext['mergeRequests'];
  /** The member's activity before the record, when its segments may be kept (ReducerContext.segmentsAsOf). */
  private readonly activityBefore: { lastActiveOn: number | null; activeDays: number; recent: number } | undefined;
  private readonly segmentsAsOf: number | undefined;

  constructor(
    private readonly memberId: string,
    stored: MemberState | null,
    private readonly records: readonly IncomingRecord[],
    { program, ledger: port, sources, applied: before, mergeRequests, segmentsAsOf }: ReducerContext,
    private readonly poisoned: ReadonlyMap<string, string>,
    private readonly owned: boolean,
  ) {
    this.program = program;
    this.sources = sources;
    this.mergeRequests = mergeRequests;
    this.ledger = guardedLedger(port);
    // (Mostly empty: no iterator for a copy of nothing. This runs for every record.)
    const run = before?.size ? new Set(before) : new Set<string>();
    const appliedClaims = this.appliedClaims;
    const claims = { run, apply: (claim: AppliedClaim) => (appliedClaims.push(claim), run.add(claimKey(claim))) };
    this.tz = program.timezone;
    this.lastRecord = records[records.length - 1];
    this.today = todayIn(this.tz, this.lastRecord.arrivedAt);
    this.state = stored && !owned ? ownedCopy(stored) : stored;
    if (this.state && owned) {
      // This record's counts only (a copy starts with none).
      this.state.contribution = new Map();
      this.state.identityDeltas = undefined;
    }
    this.visitor = isVisitorKey(memberId);
    this.segmentsAsOf = owned ? segmentsAsOf : undefined;
    const activity = this.state?.activity;
    this.activityBefore =
      owned && activity && segmentsAsOf === this.today && records.length === 1 && KEEPS_FACTS.has(records[0].event.type)
        ? { lastActiveOn: activity.lastActiveOn, activeDays: activity.activeDays, recent: activity.recent.length }
        : undefined;
    this.rc = {
      memberId,
      ledger: this.ledger,
      program,
      rejections: this.rejections,
      tierChanges: this.tierChanges,
      coinEntries: this.coinEntries,
      claims,
      run,
    };
  }

  /** The records from `from` on, after the record whose ledger read is pending. */
  async finishAfter(pending: Promise<void>, from: number): Promise<BatchOutcome> {
    await pending;
    for (let i = from; i < this.records.length; i++) {
      const next = this.step(this.records[i]);
      if (next) await next;
    }
    return this.finish();
  }

  /** Applies one record; a promise only while it waits on the ledger. */
  step(record: IncomingRecord): Promise<void> | undefined {
    const { memberId, visitor, rejections, forwards, tz } = this;
    const { event, position } = record;
    // Identity routing comes before the high-water mark: a retry after a crash between this owner's
    // write and its forwards puts them again, and the receiving owner absorbs the repeat. A linked
    // visitor's or a merged member's records go on to the member it is linked to.
    const routed = routeLinked(memberId, this.state, record);
    if (routed) {
      forwards.push(...routed.forwards);
      if (routed.conflict) rejections.push({ position, event, reason: 'identity_conflict', detail: routed.conflict });
      return;
    }
    // An identify (or one forwarded from a member merged into this one) links its anonymous id to
    // this member, unless that id is folded in already (through a merged member).
    const identify =
      event.type === 'identify'
        ? event
        : event.type === 'identity_forward' && event.fromMemberId && event.event.type === 'identify'
          ? event.event
          : null;
    if (!visitor && identify && !this.state?.identities.includes(visitorKey(identify.anonymousId)))
      forwards.push(linkRecord({ ...identify, memberId }));
    if (this.state && covers(this.state.highWater, position)) return;
    const poison = this.poisoned.get(position.seq);
    if (poison !== undefined) {
      rejections.push({ position, event, reason: 'invalid_event', detail: poison });
      return;
    }
    try {
      const idHash = hash48(event.eventId);
      const command = isJobCommand(event);
      let state = this.state;
      if (state && seenRecently(state, idHash, command)) {
        state.highWater = position;
        this.changed = true;
        return;
      }
      const day = dayOf(record.at, tz);
      if (event.type === 'identity_link') {
        // An unlinked visitor (or none yet): mark it linked, then ask the member to fold it in.
        if (!visitor) return;
        if (!state) this.state = state = newMember(memberId, day);
        state.linkedTo = event.memberId;
        state.linkedAt = position;
        forwards.push(absorbRecord(event.memberId, memberId, event.occurredAt));
      } else if (event.type === 'member_merge') {
        // The api's merge: this member is merged away (docs/architecture.md#operator-merge).
        const refused = visitor
          ? 'memberId: required'
          : markMerged(state, event, position, todayIn(tz, record.arrivedAt), this.mergeRequests?.get(memberId), {
              actions: this.actions,
              forwards,
            });
        if (refused) {
          rejections.push({ position, event, reason: 'merge_not_requested', detail: refused });
          return;
        }
      } else if (event.type === 'identity_absorb') {
        const refused = visitor
          ? 'memberId: required'
          : absorb(state, event, this.sources?.get(event.from), day, this.program, {
              actions: this.actions,
              tierChanges: this.tierChanges,
            });
        if (refused) {
          rejections.push({ position, event, reason: 'identity_unverified', detail: refused });
          return;
        }
      } else if (isJobCommand(event)) {
        // A job command: it never creates a member and is not activity; visitors get none.
        if (!state || visitor) return;
        const asOf = dayNumber(event.asOf);
        if (!(asOf <= todayIn(tz, record.arrivedAt))) {
          rejections.push({ position, event, reason: 'invalid_event', detail: `asOf: ${event.asOf} is after today` });
          return;
        }
        applyJobCommand(state, event, asOf, this.program, {
          tierChanges: this.tierChanges,
          actions: this.actions,
          coinEntries: this.coinEntries,
        });
      } else {
        // A forwarded event applies to the member as the anonymous id's event (no points, no coins),
        // or in full as the event of a member merged into it (its orders on that member's ledger key).
        const applied = event.type === 'identity_forward' ? event.event : event;
        const fromMember = event.type === 'identity_forward' ? (event.fromMemberId ?? null) : null;
        const anonymous = visitor || (event.type === 'identity_forward' && !fromMember);
        const fromVisitor = event.type === 'identity_forward' && !fromMember ? (event.anonymousId ?? null) : null;
        const next = applyBehaviour(this.rc, record, day, state, applied, anonymous, fromVisitor, fromMember);
        if (next instanceof Promise)
          return next.then(
            (after) => this.guard(position, () => this.applied(record, after, idHash, command)),
            (error) => {
              throw recordFailure(error, position);
            },
          );
        this.applied(record, next, idHash, command);
        return;
      }
      this.applied(record, this.state, idHash, command);
    } catch (error) {
      throw recordFailure(error, position);
    }
  }

  /** `fn`, its failure as the record's. */
  private guard(position: StreamPosition, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      throw recordFailure(error, position);
    }
  }

  /** The record applied (its state, or 'rejected'): remembered, the high-water mark moved on. */
  private applied(record: IncomingRecord, next: MemberState | null | 'rejected', idHash: number, command: boolean): void {
    if (next === 'rejected') return;
    this.state = next;
    if (!next) return;
    remember(next, idHash, command, record === this.lastRecord ? this.today : todayIn(this.tz, record.arrivedAt));
    next.highWater = record.position;
    this.changed = true;
  }

  finish(): BatchOutcome {
    const { state, changed, memberId, today, program } = this;
    if (!state) return this.outcome(newMember(memberId, 0), false);
    // An owned state is the caller's next state whatever the outcome: unchanged, it stays as it was.
    if (this.owned && !changed) return this.outcome(state, changed, this.segmentsAsOf);
    pruneHistory(state, program);
    // A visitor is no member: no segments (docs/rules.md#identity).
    // Nor is a member merged away (it left its segments with the merge).
    const evaluated = changed && !this.visitor && !state.linkedTo;
    const segmentChanges = evaluated && !this.factsKept(state) ? evaluateSegments(program, state, today) : null;
    // (Most records change no segment: nothing to build.)
    if (segmentChanges && (segmentChanges.entered.length || segmentChanges.exited.length)) {
      const cause = this.lastRecord.event.eventId;
      for (const [type, ids] of [
        ['segment_entered', segmentChanges.entered],
        ['segment_exited', segmentChanges.exited],
      ] as const) {
        // The record that made the change names it by its eventId (not by the member version, which
        // differs when a bisected retry wrote part of the batch in between, nor by its stream position,
        // which a replay from the failed-batches bucket changes): every attempt sends the same action.
        for (const segmentId of ids) this.actions.push(makeAction(type, memberId, today, { segmentId }, [segmentId, cause]));
      }
    }
    return this.outcome(state, changed, evaluated ? today : undefined);
  }

  /** Whether the record left the member's activity as it was, on the day its segments are current for. */
  private factsKept(state: MemberState): boolean {
    const before = this.activityBefore;
    if (!before) return false;
    const { activity } = state;
    return (
      activity.lastActiveOn === before.lastActiveOn && activity.activeDays === before.activeDays && activity.recent.length === before.recent
    );
  }

  private outcome(state: MemberState, changed: boolean, segmentsAsOf?: number): BatchOutcome {
    return {
      state,
      changed,
      segmentsAsOf,
      rejections: this.rejections,
      tierChanges: this.tierChanges,
      actions: this.actions,
      coinEntries: this.coinEntries,
      applied: this.appliedClaims,
      forwards: this.forwards,
    };
  }
}

/** What a record's failure throws: a port's own error (the batch fails), else the record's RecordFailure. */
function recordFailure(error: unknown, position: StreamPosition): unknown {
  if (error instanceof PortFailure) return error.original;
  return new RecordFailure(position.seq, `(record): could not be applied: ${String((error as Error)?.message ?? error)}`.slice(0, 512));
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
