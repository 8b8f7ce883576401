// Coins expiring in the next days (the console's Coins panel, GET /metrics/program `coins`):
// members with a lot expiring by `today + days` carry a CoinDueIndex day at or before it (the
// index day is never later than any live lot's expiry), so the index finds them without a scan,
// and its projected `ce` (the period of the earliest lot's expiry) leaves out the members whose
// lots all expire later (most of them: a lot lives a year); their items' coin lots give the coins. Only the lots are read (a projection, eventually
// consistent: a dashboard figure), not whole member states: this was the largest part of
// /metrics/program's time.
import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { CoinIndex } from '../adapters/job-stores';
import { documentClient } from '../adapters/clients';
import { resourceNames } from '../adapters/config';
import { lotsOf } from '../adapters/coin-lots-codec';
import { chunks, untilDone } from '../adapters/retry';

export interface Expiring {
  coins: number;
  members: number;
}

export async function coinsExpiring(today: number, days: number): Promise<Expiring> {
  const client = documentClient();
  const table = resourceNames().membersTable;
  const ids = await new CoinIndex(client, table).membersWithCoinsExpiringBy(today + days);
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
