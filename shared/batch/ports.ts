// The ports one batch writes through (adapters in functions/adapters implement them; the in-memory
// doubles in test/support too), and what a batch reports.
import type { Action } from '../actions/actions';
import type { ErasurePort } from '../privacy/erasure';
import type { MergeRequestPort } from '../identity/merge-request';
import type { CommandSigner } from '../jobs/command-signature';
import type { AppliedClaim, LedgerPort } from '../member/ledger';
import type { MemberState } from '../member/state';
import type { Program } from '../programme/vocabulary';
import type { MetricsPort } from './counter-marks';
import type { TillRecordsPort } from '../coins/settle';
import type { CoinDuePort } from '../coins/due-hints';
import type { ForwardPort, QuarantineItem, ShardRangePort } from './decode';

export interface MemberPort {
  getMany(memberIds: readonly string[]): Promise<Map<string, MemberState>>;
  /**
   * Conditional on `state.version`; false when the member changed since it was read. The ledger
   * claims the write applies are marked applied in the same transaction (all or nothing), so a
   * claim not marked was never applied, whoever claimed it and at which stream position.
   */
  put(state: MemberState, applied?: readonly AppliedClaim[]): Promise<boolean>;
}

export interface QuarantinePort {
  putAll(items: readonly QuarantineItem[]): Promise<void>;
}

export interface SegmentPort {
  /** Membership changes: puts for entered, deletes for exited (idempotent). */
  apply(changes: readonly { memberId: string; entered: readonly string[]; exited: readonly string[] }[]): Promise<void>;
}

/** A batch's hints of one day: the members who purchased on it, and those whose last active day became it. */
export interface DayHints {
  purchased: readonly string[];
  lastActive: readonly string[];
}

/**
 * Candidate lists for the daily jobs (`la#<day>`: members whose last active day became that day;
 * `pu#<day>`: members who purchased on that day), one item per batch and day (`dayHintsKey`).
 * Hints only: a job re-reads each member.
 */
export interface HintPort {
  /**
   * Stores the day's lists under (day, source), replacing what that source held; a key's
   * candidates are the union of its sources. The batch code names a source by shard, batch and
   * the lists themselves, so a retry naming fewer members adds to the lists of earlier attempts.
   */
  put(day: number, source: string, lists: DayHints): Promise<void>;
  /** The daily coins job's candidates (shared/coins/due-hints.ts). */
  readonly coinDue: CoinDuePort;
}

export interface ActionsPort {
  publish(actions: readonly Action[]): Promise<void>;
}

export interface BatchPorts {
  members: MemberPort;
  ledger: LedgerPort;
  /** The till's operation records (coins_settle records: shared/coins/settle.ts). */
  till?: TillRecordsPort;
  quarantine: QuarantinePort;
  metrics: MetricsPort;
  actions: ActionsPort;
  segments: SegmentPort;
  hints: HintPort;
  /** Erasure (docs/api.md#privacy-erasure-and-subject-access); without it erase commands are quarantined as not requested. */
  erasure?: ErasurePort;
  program: Program;
  /** This shard's hash key range, to find aggregated sub-records of another shard's members. */
  shards?: ShardRangePort;
  /** Where such sub-records are forwarded (without it they are quarantined as misrouted). */
  forward?: ForwardPort;
  /**
   * Checks the daily jobs' signature on commands (shared/jobs/command-signature.ts); without it
   * every command is quarantined as forged: commands come only from the jobs. (The import signs
   * the commands of its own job catch-up with it.)
   */
  commands?: CommandSigner;
  /**
   * The api's stored merge requests (docs/architecture.md#operator-merge); without it every
   * member_merge command is quarantined as merge_not_requested.
   */
  merges?: MergeRequestPort;
  /** Members reduced at once (each member's own records stay sequential). */
  concurrency?: number;
  onMemberError?: (error: unknown) => void;
}

export interface BatchResult {
  /** Sequence numbers to report as batch item failures (the lowest failed). */
  failedSeqs: string[];
  /** User records (an aggregate counts its sub-records). */
  events: number;
  /** Sub-records forwarded to their member's shard. */
  forwarded?: number;
  members: number;
  written: number;
  quarantined: number;
  counterItems: number;
  actions: number;
}
