// Coins expiring in the next days (the console's Coins panel, GET /metrics/program `coins`): a
// member with a lot expiring by `today + days` has its next coin due day by then, so it is named in
// a coin-due hint of a day after the coins job's last run and up to then (shared/coins/due-hints.ts):
// those hints find it without a scan; their items' coin lots give the coins. Only the lots are read
// (a projection, eventually consistent: a dashboard figure), not whole member states.
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { JobProgressStore } from '../adapters/job-stores';
import { CoinDueStore } from '../adapters/coin-due-store';
import { unreadFrom } from '../../shared/jobs/run-coins';
import type { Program } from '../../shared/programme/vocabulary';
import { documentClient } from '../adapters/clients';
import { resourceNames } from '../adapters/config';
import { lotsOf } from '../adapters/coin-lots-codec';
import { chunks, untilDone } from '../adapters/retry';

export interface Expiring {
  coins: number;
  members: number;
}

export async function coinsExpiring(program: Program, today: number, days: number): Promise<Expiring> {
  const client = documentClient();
  const names = resourceNames();
  const table = names.membersTable;
  const last = await new JobProgressStore(client, names.metricsTable).lastRun('coins');
  // Hints of days the job has read are behind it (it hinted their members again after them).
  const from = unreadFrom(program, last, today);
  // Only the hint items naming a member whose earliest lot expired by then, as they were written
  // (eventually consistent: a dashboard figure).
  const ids = await new CoinDueStore(client, names.metricsTable).membersDue(from, today + days, {
    expiringBy: today + days,
    consistent: false,
  });
  let coins = 0;
  let holders = 0;
  await Promise.all(
    chunks(ids, 100).map((batch) =>
      untilDone(
        batch.map((memberId) => ({ memberId })),
        async (pending) => {
          const out = await client.send(
            new BatchGetCommand({ RequestItems: { [table]: { Keys: pending, ProjectionExpression: 'memberId, cm, cl' } } }),
          );
          for (const item of out.Responses?.[table] ?? []) {
            let mine = 0;
            for (const lot of lotsOf(item)) if (lot.left > 0 && lot.expiresOn > today && lot.expiresOn <= today + days) mine += lot.left;
            coins += mine;
            if (mine) holders++;
          }
          return (out.UnprocessedKeys?.[table]?.Keys ?? []) as { memberId: string }[];
        },
        'BatchGetItem coin lots',
      ),
    ),
  );
  return { coins, members: holders };
}
