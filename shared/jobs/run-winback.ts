// The status and win-back use case: the members whose silence just reached a threshold (through the
// consumer's last-active-day hints, never a scan) get a status_check command. A skipped day catches up.
import { dayString } from '../days/days';
import type { JobCommand } from '../events/events';
import { lastActiveHintKey } from '../keys/metrics-keys';
import type { Program } from '../programme/vocabulary';
import { forEachLimited } from '../util/limit';
import { statusCheckCommand } from './commands';
import type { JobPorts } from './ports';
import { daysToRun, silenceThresholds } from './winback';

export async function runWinback(
  program: Program,
  asOf: number,
  ports: Pick<JobPorts, 'members' | 'hints' | 'commands' | 'progress' | 'now'>,
) {
  const days = daysToRun(await ports.progress.lastRun('winback'), asOf);
  const now = ports.now();
  const commands: JobCommand[] = [];
  let candidates = 0;
  for (const day of days) {
    const wanted = new Map<string, number>();
    await forEachLimited(silenceThresholds(program), 4, async (k) => {
      for (const id of await ports.hints.hintIds(lastActiveHintKey(day - k))) wanted.set(id, day - k);
    });
    candidates += wanted.size;
    const found = await ports.members.getMany([...wanted.keys()]);
    for (const [id, state] of found) {
      // Still silent since that day (a later event moved lastActiveOn on, and the hint is stale).
      if (state.activity.lastActiveOn === wanted.get(id)) commands.push(statusCheckCommand(id, day, now));
    }
  }
  await ports.commands.put(commands);
  await ports.progress.recordRun('winback', asOf);
  return { asOf: dayString(asOf), days: days.length, candidates, commands: commands.length };
}
