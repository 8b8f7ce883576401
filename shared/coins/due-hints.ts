/**
 * How the daily coins job finds the members it has work for (a lot to make available, a notice to
 * send, a lot to expire): coin-due hints, lists of member ids by day, instead of an index on the
 * member item (each member's first lot cost an index write, and each move of its next due day two:
 * about 2,000 write units on the default bench run; hints are one item per batch and day).
 *
 * The rule the writers and the job keep: every member with a live lot is named in a hint of a day
 * the coins job has not yet read, and no later than the member's next due day (or the job's next
 * day, when that day has passed).
 * - A write that moves a member's next due day (a first lot, a new lot, a lot booked, spent or
 *   expired, coins put back), or brings its earliest lot expiry forward, hints its next due day
 *   ({@link dueToHint}). A hint item also keeps the earliest lot expiry of the members it names,
 *   as of the write (`ex`): coins expiring soon reads only the items that can hold such members.
 * - A run reads the hints of the days after its last run up to its own day, re-reads those members,
 *   and hints each again at its next due day after the run's commands (shared/jobs/run-coins.ts):
 *   the consumer hints again when it applies them, but a command it refuses would leave none.
 * - A writer's day the job has begun to read may be read already, and so may its member, before
 *   the write: the run says it began (`start`) before reading hints and members; a writer reads
 *   that once its member write committed and, if a hinted day is not after it, writes the hint
 *   again on the next day ({@link putDueHints}). Either the run's reads see the writes or the
 *   writer's read sees the run's start. A consumer attempt that dies in between leaves its
 *   members listed in the shard's batch progress (shared/batch/batch-progress.ts): the next
 *   attempt hints them again at their stored next due day.
 */
import type { CoinState } from './lots';
import { nextCoinDueDay } from './lots';
import { hashHex } from '../util/hash';
import { byCodeUnits } from '../util/compare';

export interface CoinDuePort {
  /**
   * Stores `ids` as the hint of `day` under `source` (replacing what that source held on that
   * day), with `expiresBy`: the earliest expiry of any lot of theirs at the write.
   */
  put(day: number, source: string, ids: readonly string[], expiresBy: number): Promise<void>;
  /**
   * The ids hinted on days `from`..`to` (with repeats removed), read consistently (the writers'
   * protocol needs a read that sees every hint written before it) unless `consistent` is false;
   * with `expiringBy`, only those of items naming a member with a lot expiring by then.
   */
  membersDue(from: number, to: number, opts?: { expiringBy?: number; consistent?: boolean }): Promise<string[]>;
  /** The latest day a coins job run began to read hints for, or null. */
  started(): Promise<number | null>;
  /** Records that a run for `day` begins (a later day only: never moves back). */
  start(day: number): Promise<void>;
  /** Whether every member with a lot has been hinted once (a run after the hints came, or the first run). */
  backfilled(): Promise<boolean>;
  markBackfilled(): Promise<void>;
  /** Where an upgrade scan a run stopped before its end goes on (a page's `next`), or undefined. */
  backfillFrom(): Promise<string | undefined>;
  saveBackfillFrom(next: string): Promise<void>;
}

/** A member to hint: its next coin due day, and the earliest expiry of its live lots. */
export interface DueHint {
  memberId: string;
  day: number;
  expiresOn: number;
  /**
   * Set when the write moved the next due day later, to the day before it: the hint is needed only
   * if a run has begun on or after that day by the time the write committed (that run may have
   * read the earlier hint, and the member before the write); otherwise the earlier hint is read
   * after the write, and the run that reads it hints the member from what it reads.
   */
  wasDue?: number;
}

/** The earliest expiry of a state's live lots, or null without any. */
export function earliestExpiry(state: CoinState): number | null {
  let first: number | null = null;
  for (const lot of state.lots) if (lot.left > 0 && (first === null || lot.expiresOn < first)) first = lot.expiresOn;
  return first;
}

/** A member's hint of its present state (its next due day and earliest expiry), or null without lots. */
export function hintOf(memberId: string, state: CoinState, noticeDays: number): DueHint | null {
  const day = nextCoinDueDay(state, noticeDays);
  const expiresOn = earliestExpiry(state);
  return day === null || expiresOn === null ? null : { memberId, day, expiresOn };
}

/**
 * What a write must hint for a member: its next coin due day after the write, when that changed
 * or its earliest lot expiry came forward (null otherwise, or without lots). A due day that only
 * moved later carries the day before ({@link DueHint.wasDue}).
 */
export function dueToHint(memberId: string, before: CoinState | undefined, after: CoinState, noticeDays: number): DueHint | null {
  const hint = hintOf(memberId, after, noticeDays);
  if (!hint || !before) return hint;
  const was = nextCoinDueDay(before, noticeDays);
  const expired = earliestExpiry(before);
  if (was === null || expired === null || hint.day < was || hint.expiresOn < expired) return hint;
  return hint.day === was ? null : { ...hint, wasDue: was };
}

/** Hints by day: a member once per day (its earliest expiry the least given), ids sorted (a source's content names it). */
export function hintsByDay(hints: Iterable<DueHint>): Map<number, Map<string, number>> {
  const byDay = new Map<number, Map<string, number>>();
  for (const h of hints) {
    let members = byDay.get(h.day);
    if (!members) byDay.set(h.day, (members = new Map()));
    members.set(h.memberId, Math.min(h.expiresOn, members.get(h.memberId) ?? Infinity));
  }
  return new Map([...byDay].map(([day, members]) => [day, new Map([...members].sort(([a], [b]) => byCodeUnits(a, b)))]));
}

/** A hint item holds at most this many ids (a job run's hints of one day may name many members). */
export const HINT_IDS_PER_ITEM = 2_000;

/**
 * Writes the hints, none on a day a coins job run has begun (it may have read that day already):
 * those go to the day after the latest start. `source` names the writer (shard and batch, job
 * run); each item's name adds a digest of its ids, so a retry naming other members adds items
 * rather than replacing them. Returns the check to make once the member writes the hints are for committed:
 * a run that began before then may have read a hinted day, or those members, before the writes,
 * so the check reads the start again and places the hints of days it reached on the day after
 * (and writes the hints of due days moved later that it reached), until no new start is found.
 */
export async function putDueHints(port: CoinDuePort, hints: readonly DueHint[], source: string): Promise<() => Promise<void>> {
  if (!hints.length) return async () => {};
  let started = await port.started();
  const reachedBy = (day: number | undefined) => day === undefined || (started !== null && day <= started);
  let waiting = hints.filter((h) => !reachedBy(h.wasDue));
  const place = async (list: readonly DueHint[]): Promise<DueHint[]> => {
    const floor = started === null ? -Infinity : started + 1;
    const placed = list.map((h) => ({ ...h, day: Math.max(h.day, floor) }));
    await Promise.all(
      [...hintsByDay(placed)].flatMap(([day, members]) => {
        const ids = [...members.keys()];
        const parts: Promise<void>[] = [];
        for (let i = 0; i < ids.length; i += HINT_IDS_PER_ITEM) {
          const part = ids.slice(i, i + HINT_IDS_PER_ITEM);
          const expiresBy = Math.min(...part.map((id) => members.get(id)!));
          parts.push(port.put(day, `${source}#${hashHex(part.join(','))}`, part, expiresBy));
        }
        return parts;
      }),
    );
    return placed;
  };
  let placed = await place(hints.filter((h) => reachedBy(h.wasDue)));
  return async () => {
    for (let round = 0; ; round++) {
      const now = await port.started();
      if (now === started || now === null) return;
      started = now;
      const reached = placed.filter((h) => h.day <= now);
      const woken = waiting.filter((h) => reachedBy(h.wasDue));
      if (!reached.length && !woken.length) return;
      if (round > 100) throw new Error('coin-due hints: the coins job kept starting new days');
      waiting = waiting.filter((h) => !reachedBy(h.wasDue));
      placed = [...placed.filter((h) => h.day > now), ...(await place([...reached, ...woken]))];
    }
  };
}
