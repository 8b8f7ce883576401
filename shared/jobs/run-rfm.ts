// The RFM use case: reads every member who purchased in the window (through the consumer's purchase
// hints), recomputes the quintile cut-offs, and puts an rfm_update command for each member whose
// scores or class changed. The cut-offs are kept with the job's progress for GET /metrics/program.
import { dayString } from '../days/days';
import { purchaseHintKey } from '../keys/metrics-keys';
import type { Program } from '../programme/vocabulary';
import { forEachLimited } from '../util/limit';
import { rfmUpdateCommand } from './commands';
import type { JobPorts } from './ports';
import { rfmChanges } from './rfm';

export async function runRfm(program: Program, asOf: number, ports: Pick<JobPorts, 'members' | 'hints' | 'commands' | 'progress' | 'now'>) {
  const window = program.qualificationWindowDays;
  const previous = (await ports.progress.lastRun('rfm')) ?? asOf - 1;
  // The window's purchase days, plus the days that left it since the last run.
  const days: number[] = [];
  for (let d = Math.min(previous, asOf - 1) - window + 1; d <= asOf; d++) days.push(d);
  const ids = new Set<string>();
  await forEachLimited(days, 16, async (d) => {
    for (const id of await ports.hints.hintIds(purchaseHintKey(d))) ids.add(id);
  });
  const found = await ports.members.getMany([...ids]);
  const { result, changes } = rfmChanges(program, [...found.values()], asOf);
  const now = ports.now();
  await ports.commands.put(changes.map((c) => rfmUpdateCommand(c.memberId, asOf, c.rfm, now)));
  await ports.progress.recordRun('rfm', asOf, { cutoffs: result.cutoffs, means: result.means, purchasers: result.byMember.size });
  return { asOf: dayString(asOf), purchasers: result.byMember.size, commands: changes.length };
}
