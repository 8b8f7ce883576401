// The daily coins use case: members with coin work due (a lot to make available, a notice to send,
// a lot to expire) are found through the coin-due hints (shared/coins/due-hints.ts) and get a
// coins_day command; the consumer books the movements and sends the notices, exactly once
// (deterministic eventIds). The run hints each member it read again at its next due day.
//
// Upgrading: a stack whose job ran before the hints existed scans every member with a lot once,
// page by page, the place saved after each; a run out of time stops there and the next goes on.
//
// Catching up: a run reads the hints of every day since the last run, however long ago. A member
// gets one command per missed day on which it had work, as that day's run would have sent it
// (simulated on the state read here), so a notice due on a missed day still goes out before its lot
// expires. The ledger books each movement on its own day (`available` on availableOn, `expire` on
// expiresOn, a notice dated expiresOn − noticeDays) whatever day the command runs.
import { dayString } from '../days/days';
import type { JobCommand } from '../events/events';
import { runCoinDay } from '../coins/ledger';
import { hintOf, putDueHints, type DueHint } from '../coins/due-hints';
import { nextCoinDueDay } from '../coins/lots';
import type { Program } from '../programme/vocabulary';
import { daysToRun } from './catch-up';
import { coinsDayCommand } from './commands';
import type { JobPorts } from './ports';
import type { MemberState } from '../member/state';
import { byCodeUnits } from '../util/compare';

/** How a run may end early: checked after each page of the upgrade scan. */
export interface CoinsRunOptions {
  /** True once the invocation should stop (little of its time left): the scan goes on at the next run. */
  outOfTime?: () => boolean;
}

export async function runCoins(
  program: Program,
  asOf: number,
  ports: Pick<JobPorts, 'members' | 'coinDue' | 'commands' | 'progress' | 'now'>,
  opts: CoinsRunOptions = {},
) {
  const last = await ports.progress.lastRun('coins');
  // A run for a day already done (a retry, `npm run job`) runs that day again: a no-op per member.
  const caughtUp = daysToRun(last, asOf);
  const days = caughtUp.length ? caughtUp : [asOf];
  // A stack whose coins job ran before coin-due hints existed (CoinDueIndex) has members with
  // lots and no hint: its runs since read every member with a lot, once (one Scan, resumable).
  const upgrading = last !== null && !(await ports.coinDue.backfilled());
  // Before reading: a writer that hints a day up to asOf from now on sees it and hints the next day.
  await ports.coinDue.start(asOf);
  const from = unreadFrom(program, last, asOf);
  const candidates = await ports.coinDue.membersDue(from, asOf);
  const now = ports.now();
  const seen = new Set<string>();
  let commandCount = 0;
  /**
   * Commands for `members`' due days, then their hints at their next due day. One source for the
   * run's hints: a hint item's key names its members too, so the scan's pages never replace each other's.
   */
  const plan = async (members: Iterable<MemberState>) => {
    const commands: JobCommand[] = [];
    const next: DueHint[] = [];
    for (const member of [...members].sort((a, b) => byCodeUnits(a.memberId, b.memberId))) {
      const id = member.memberId;
      // Hints are candidates only: decide on the item; a member merged away has no lots left.
      if (seen.has(id) || member.linkedTo) continue;
      seen.add(id);
      let coins = member.coins;
      for (const day of days) {
        const due = nextCoinDueDay(coins, program.coins.expiryNoticeDays);
        if (due === null || due > day) continue;
        commands.push(coinsDayCommand(id, day, now));
        coins = runCoinDay(coins, day, program.coins).state;
      }
      // Its hint read now is behind the job from tomorrow: hint the next due day after this run.
      const hint = hintOf(id, coins, program.coins.expiryNoticeDays);
      if (hint) next.push(hint);
    }
    if (commands.length) await ports.commands.put(commands);
    commandCount += commands.length;
    // Its hints are of days after asOf; the check covers a later run begun meanwhile (a manual one).
    await (
      await putDueHints(ports.coinDue, next, `coins-job#${asOf}`)
    )();
  };
  await plan((await ports.members.getMany(candidates)).values());
  const scan = upgrading ? await upgradeScan(ports, opts, plan) : null;
  // A scan stopped early: not this day's run yet, the next run reads the same days again (its
  // commands repeat as no-ops) and scans on from where this one stopped.
  const done = scan?.stoppedAt === undefined;
  if (done) {
    if (upgrading || last === null) await ports.coinDue.markBackfilled();
    if (last === null || asOf > last) await ports.progress.recordRun('coins', asOf);
  }
  return {
    asOf: dayString(asOf),
    days: days.length,
    candidates: candidates.length,
    commands: commandCount,
    ...(upgrading ? { backfilled: seen.size, backfillDone: done } : {}),
  };
}

/**
 * The upgrade scan from where an earlier run stopped, page by page: each page's commands and hints
 * put, then the place after it saved, so a run out of time (or one that dies) loses at most a page,
 * which the next run does again. `stoppedAt`: where the next run goes on (none: the scan is done).
 */
async function upgradeScan(
  ports: Pick<JobPorts, 'members' | 'coinDue'>,
  opts: CoinsRunOptions,
  plan: (members: MemberState[]) => Promise<void>,
): Promise<{ stoppedAt?: string }> {
  let at = await ports.coinDue.backfillFrom();
  for await (const page of ports.members.coinHolders(at)) {
    await plan(page.members);
    if (page.next === undefined) return {};
    at = page.next;
    await ports.coinDue.saveBackfillFrom(at);
    if (opts.outOfTime?.()) return { stoppedAt: at };
  }
  return {};
}

/**
 * The first coin-due hint day not read by the runs up to `last` (a read up to `day` starts there):
 * the day after it, never after `day` (a run for a day already done reads that day again); without
 * any run, back over a lot's whole life (a lot made available before then has expired).
 */
export function unreadFrom(program: Program, last: number | null, day: number): number {
  return last === null ? day - (program.coins.pendingDays + program.coins.expiryDays) : Math.min(last + 1, day);
}
