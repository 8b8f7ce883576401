// One member's records of a batch, reduced record by record (shared/batch/process-batch.ts):
// each record's own deltas, tagged with its position, and what the member write carries.
import { tierAction, type Action } from '../actions/actions';
import type { CoinEntry } from '../coins/ledger';
import { BEHAVIOUR_TYPES } from '../events/events';
import type { OutgoingRecord } from '../identity/commands';
import type { MergeRequest } from '../identity/merge-request';
import { claimKey, type AppliedClaim } from '../member/ledger';
import { applyRecordOwned, applyRecords, ownedCopy, type BatchOutcome, type ReducerContext, type Rejection } from '../member/reducer';
import { RecordFailure } from '../member/record-failures';
import type { IncomingRecord, MemberState } from '../member/state';
import { memberDeltas, type DeltaBase, type Deltas } from '../metrics/deltas';
import type { TierChange } from '../points/tiers';
import type { BatchPorts } from './ports';

/** The counter deltas of a member's records in a batch (or of an erasure): the sum of each record's own. */
export interface SegmentResult {
  deltas: Deltas;
}

export interface MemberResult {
  memberId: string;
  firstSeq: string;
  final: MemberState | null;
  changed: boolean;
  segments: SegmentResult[];
  rejections: Rejection[];
  tierChanges: TierChange[];
  actions: Action[];
  coinEntries: CoinEntry[];
  /** Ledger claims the member write applies. */
  applied: AppliedClaim[];
  /** Rejected records of a member erased in this batch: quarantined without payload. */
  erasedRejections?: Rejection[];
  /** Identity commands for other owners, put once this member's write is done. */
  forwards: OutgoingRecord[];
}

/** Behaviour events: applied to the member's own copy in place (the rest on a copy per record). */
const IN_PLACE: ReadonlySet<string> = new Set(BEHAVIOUR_TYPES);

/**
 * Reduces a member's records one at a time and books each record's own deltas (the change from
 * the state before it to the state after it), added up in one map per member. A record's
 * deltas therefore depend only on the member's state before it, never on how a batch was cut:
 * whichever attempt (a longer retry, a bisected half) applies a record, it books the same deltas
 * into the same items (through the member write's outbox: counter-flush.ts). (Deltas of a run of
 * records taken together are not the sum of the records' own: the `ra` range a run books lands in
 * the item of the run's final last-active day, a tier change in the item of its final tier day,
 * so runs cut differently by different attempts lost or doubled them.)
 *
 * One copy of the member per batch (#16): behaviour events change that copy in place, and only
 * what {@link memberDeltas} reads of the state before each is kept. Should the rules throw on a
 * record, the member is reduced again from the stored state with a copy per record (where
 * `applyRecords` rejects that record): the ledger's claims are idempotent, as on any retry.
 */
export async function reduceMember(
  memberId: string,
  stored: MemberState | null,
  records: readonly IncomingRecord[],
  ports: BatchPorts,
  sources: ReadonlyMap<string, MemberState>,
  mergeRequests: ReadonlyMap<string, MergeRequest>,
  /** false: a copy of the member per record, the reference the in-place reduction is tested against. */
  inPlace = true,
): Promise<MemberResult> {
  if (!inPlace) return reduce(memberId, stored, records, ports, sources, mergeRequests, false);
  try {
    return await reduce(memberId, stored, records, ports, sources, mergeRequests, true);
  } catch (error) {
    if (!(error instanceof RecordFailure)) throw error;
    return reduce(memberId, stored, records, ports, sources, mergeRequests, false);
  }
}

async function reduce(
  memberId: string,
  stored: MemberState | null,
  records: readonly IncomingRecord[],
  ports: BatchPorts,
  sources: ReadonlyMap<string, MemberState>,
  mergeRequests: ReadonlyMap<string, MergeRequest>,
  inPlace: boolean,
): Promise<MemberResult> {
  const result: MemberResult = {
    memberId,
    firstSeq: records[0].position.seq,
    final: stored,
    changed: false,
    segments: [],
    rejections: [],
    tierChanges: [],
    actions: [],
    coinEntries: [],
    forwards: [],
    applied: [],
  };
  // The stored outbox is on the ledger (processBatch stored it first): this write's starts empty.
  const initial = stored?.ordersOut ? { ...stored, ordersOut: undefined } : stored;
  let state = initial;
  /** Whether `state` is this reduction's own copy (else the stored member, never changed). */
  let owned = false;
  const applied = new Set<string>();
  /** The member's deltas: the sum of each applied record's own (one map, not one per record: #16). */
  let deltas: Deltas | undefined;
  /** The day the segments of `state` were evaluated for (ReducerContext.segmentsAsOf). */
  let segmentsAsOf: number | undefined;
  const context: ReducerContext = { program: ports.program, ledger: ports.ledger, sources, applied, mergeRequests };
  for (const record of records) {
    let outcome: BatchOutcome;
    let before: Before | null = state;
    if (inPlace && IN_PLACE.has(record.event.type)) {
      if (state && !owned) {
        state = ownedCopy(state);
        owned = true;
      }
      before = state && beforeView(state, record.event.type);
      // A promise only for an order's ledger read: the rest go on without an await (#16).
      context.segmentsAsOf = segmentsAsOf;
      const done = applyRecordOwned(memberId, state, record, context);
      outcome = done instanceof Promise ? await done : done;
      if (before && !outcome.changed) {
        // As if not applied (the reference drops its copy): the last change's own counts stay.
        outcome.state.contribution = before.contribution;
        outcome.state.identityDeltas = before.identityDeltas;
      } else if (before) outcome.state.recentCommandIds ??= []; // as the reference's copy has it
    } else {
      context.segmentsAsOf = undefined;
      outcome = await applyRecords(memberId, state, [record], context);
    }
    // The segments of the state the next record starts from are current for this day (#16).
    if (outcome.changed) segmentsAsOf = outcome.segmentsAsOf;
    for (const x of outcome.forwards) result.forwards.push(x);
    for (const claim of outcome.applied) {
      applied.add(claimKey(claim));
      result.applied.push(claim);
    }
    for (const x of outcome.rejections) result.rejections.push(x);
    for (const change of outcome.tierChanges) {
      result.tierChanges.push(change);
      result.actions.push(tierAction(ports.program, memberId, change));
    }
    for (const x of outcome.coinEntries) result.coinEntries.push(x);
    for (const x of outcome.actions) result.actions.push(x);
    if (!outcome.changed) continue;
    // Each record's own deltas (from the state before it), added into the member's one map.
    if (!deltas) {
      deltas = new Map();
      result.segments.push({ deltas });
    }
    memberDeltas(before, outcome.state, deltas, ports.program);
    // A state applyRecords returned is its own copy, now this reduction's.
    state = outcome.state;
    owned = true;
    result.changed = true;
  }
  // Unchanged, the member is the one given (not this reduction's copy of it).
  result.final = result.changed ? state : initial;
  return result;
}

/**
 * Types whose rules never change the points history in place (only orders.ts does, for purchases
 * and refunds, and an identify's fold: identity/fold.ts); the in-place test holds this list to the
 * copy-per-record reference.
 */
const HISTORY_UNCHANGED: ReadonlySet<string> = new Set(['app_open', 'page_view', 'session_end', 'signup', 'recharge']);

/** What the reduction keeps of the state before a record: what memberDeltas reads, and the record's counts. */
type Before = DeltaBase & Pick<MemberState, 'contribution' | 'identityDeltas'>;

/**
 * What memberDeltas reads of a state, kept before a record changes it in place: the lists the
 * reducer changes in place are copied (the points history when the record's type may change it);
 * the rest is replaced when it changes (tier, segments, active days). Only these fields, not a
 * copy of the whole member (it was 4 % of the handler's CPU: #16).
 */
function beforeView(state: MemberState, type: string): Before {
  return {
    joinedOn: state.joinedOn,
    acquisitionChannel: state.acquisitionChannel,
    tier: state.tier,
    segments: state.segments,
    history: HISTORY_UNCHANGED.has(type) ? state.history : [...state.history],
    // The active days are replaced when a record adds one, never changed in place (activity.ts markActive).
    activity: { recent: state.activity.recent, lastActiveOn: state.activity.lastActiveOn },
    contribution: state.contribution,
    identityDeltas: state.identityDeltas,
  };
}
