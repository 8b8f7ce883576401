// What the daily jobs read and write, as ports: the jobs never write member state or counters, they
// put one command per member on the events stream and keep their own progress.
import type { JobCommand } from '../events/events';
import type { MemberState } from '../member/state';
import type { CoinDuePort } from '../coins/due-hints';

export type JobName = 'tier-review' | 'winback' | 'rfm' | 'coins';

export interface JobPorts {
  members: {
    getMany(memberIds: readonly string[]): Promise<Map<string, MemberState>>;
    /**
     * Every member holding a coin lot, page by page (one Scan: the coins job's upgrade, once), from
     * `from` (a page's `next`) on; `next` names where the pages after one begin (none after the last).
     */
    coinHolders(from?: string): AsyncIterable<CoinHoldersPage>;
  };
  /** The consumer's candidate lists (`la#<day>`, `pu#<day>`): hints only, each member is re-read. */
  hints: { hintIds(key: string): Promise<string[]> };
  /** The events stream (partition key = memberId). */
  commands: { put(commands: readonly JobCommand[]): Promise<void> };
  /** The last day a job ran for, with whatever it keeps beside it. */
  progress: JobProgressPort;
  reviewIndex: ReviewIndexPort;
  /** The coins job's candidates (shared/coins/due-hints.ts). */
  coinDue: CoinDuePort;
  /** Epoch ms (the commands' occurredAt). */
  now: () => number;
}

/** A page of the coins job's upgrade scan and where the next one begins (none: the scan is done). */
export interface CoinHoldersPage {
  members: MemberState[];
  next?: string;
}

export interface JobProgressPort {
  lastRun(job: JobName): Promise<number | null>;
  recordRun(job: JobName, day: number, details?: Record<string, unknown>): Promise<void>;
}

export interface ReviewIndexPort {
  /** Member ids of the sparse TierReviewIndex with tierReviewOn ≤ lastDay. */
  membersWithReviewBy(lastDay: number): Promise<string[]>;
}
