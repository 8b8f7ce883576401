// The daily coins use case: members with coin work due (a lot to make available, a notice to send,
// a lot to expire) are found through the sparse CoinDueIndex and get a coins_day command; the
// consumer books the movements and sends the notices, exactly once (deterministic eventIds).
//
// Catching up: the index holds every member due by now, however long ago. A member gets one
// command per missed day on which it had work, as that day's run would have sent it (simulated on
// the state read here), so a notice due on a missed day still goes out before its lot expires.
// The ledger books each movement on its own day (`available` on availableOn, `expire` on
// expiresOn, a notice dated expiresOn − noticeDays) whatever day the command runs.
import { dayString } from '../days/days';
import type { JobCommand } from '../events/events';
import { runCoinDay } from '../coins/ledger';
import { nextCoinDueDay } from '../coins/lots';
import type { Program } from '../programme/vocabulary';
import { daysToRun } from './catch-up';
import { coinsDayCommand } from './commands';
import type { JobPorts } from './ports';

export async function runCoins(
  program: Program,
  asOf: number,
  ports: Pick<JobPorts, 'members' | 'coinIndex' | 'commands' | 'progress' | 'now'>,
) {
  const last = await ports.progress.lastRun('coins');
  // A run for a day already done (a retry, `npm run job`) runs that day again: a no-op per member.
  const caughtUp = daysToRun(last, asOf);
  const days = caughtUp.length ? caughtUp : [asOf];
  const candidates = await ports.coinIndex.membersWithCoinsDueBy(asOf);
  const members = await ports.members.getMany(candidates);
  const now = ports.now();
  const commands: JobCommand[] = [];
  const ids = [...members.keys()].sort();
  for (const id of ids) {
    // The index is eventually consistent and its keys may lag the item: decide on the item.
    let coins = members.get(id)!.coins;
    for (const day of days) {
      const due = nextCoinDueDay(coins, program.coins.expiryNoticeDays);
      if (due === null || due > day) continue;
      commands.push(coinsDayCommand(id, day, now));
      coins = runCoinDay(coins, day, program.coins).state;
    }
  }
  await ports.commands.put(commands);
  if (last === null || asOf > last) await ports.progress.recordRun('coins', asOf);
  return { asOf: dayString(asOf), days: days.length, candidates: candidates.length, commands: commands.length };
}
