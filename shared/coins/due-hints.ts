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
 *   expired, coins put back) hints the new day ({@link dueToHint}).
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

export interface CoinDuePort {
  /** Stores `ids` as the hint of `day` under `source` (replacing what that source held on that day). */
  put(day: number, source: string, ids: readonly string[]): Promise<void>;
  /** The ids hinted on days `from`..`to` (with repeats removed). */
  membersDue(from: number, to: number): Promise<string[]>;
  /** The latest day a coins job run began to read hints for, or null. */
  started(): Promise<number | null>;
  /** Records that a run for `day` begins (a later day only: never moves back). */
  start(day: number): Promise<void>;
}

/**
 * The day a write must hint for a member: its next coin due day after the write, when that changed
 * (null when it did not, or there is none). Also when it moved later: a run that has begun may have
 * read the earlier hint and hinted the member again from the state it read, without this write's
 * lots (a purchase applied before the run's command, whose lot is due before that run's next day).
 */
export function dueToHint(before: CoinState | undefined, after: CoinState, noticeDays: number): number | null {
  const due = nextCoinDueDay(after, noticeDays);
  if (due === null) return null;
  const was = before ? nextCoinDueDay(before, noticeDays) : null;
  return due === was ? null : due;
}

/** Hints by day: a member once per day, ids sorted (a source's content names it). */
export function hintsByDay(dues: Iterable<readonly [memberId: string, day: number]>): Map<number, string[]> {
  const byDay = new Map<number, Set<string>>();
  for (const [id, day] of dues) {
    let ids = byDay.get(day);
    if (!ids) byDay.set(day, (ids = new Set()));
    ids.add(id);
  }
  return new Map([...byDay].map(([day, ids]) => [day, [...ids].sort()]));
}

/** A hint item holds at most this many ids (a job run's hints of one day may name many members). */
export const HINT_IDS_PER_ITEM = 2_000;

/**
 * Writes the hints, none on a day a coins job run has begun (it may have read that day already):
 * those go to the day after the latest start. `source` names the writer (shard and batch, job
 * run); each item's name adds its part, so a retry naming other members adds items rather than
 * replacing them. Returns the check to make once the member writes the hints are for committed:
 * a run that began before then may have read a hinted day, or those members, before the writes,
 * so the check reads the start again and places the hints of days it reached on the day after,
 * until no new start is found.
 */
export async function putDueHints(
  port: CoinDuePort,
  byDay: Map<number, string[]>,
  source: string,
  digest: (ids: readonly string[]) => string,
): Promise<() => Promise<void>> {
  if (!byDay.size) return async () => {};
  let started = await port.started();
  const place = async (hints: [number, string[]][]) => {
    const floor = started === null ? null : started + 1;
    const placed = hints.map(([day, ids]): [number, string[]] => [floor === null ? day : Math.max(day, floor), ids]);
    await Promise.all(
      placed.flatMap(([day, ids]) => {
        const parts: Promise<void>[] = [];
        for (let i = 0; i < ids.length; i += HINT_IDS_PER_ITEM) {
          const part = ids.slice(i, i + HINT_IDS_PER_ITEM);
          parts.push(port.put(day, `${source}#${digest(part)}`, part));
        }
        return parts;
      }),
    );
    return placed;
  };
  let placed = await place([...byDay]);
  return async () => {
    for (let round = 0; ; round++) {
      const now = await port.started();
      if (now === started || now === null) return;
      started = now;
      const reached = placed.filter(([day]) => day <= now);
      if (!reached.length) return;
      if (round > 100) throw new Error('coin-due hints: the coins job kept starting new days');
      placed = await place(reached);
    }
  };
}
