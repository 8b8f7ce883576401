// Coins expiring in the next days (the console's Coins panel, GET /metrics/program `coins`):
// members with a lot expiring by `today + days` carry a CoinDueIndex day at or before it (the
// index day is never later than any live lot's expiry), so the index finds them without a scan;
// their items give the coins.
import type { MemberState } from '../../shared/member/state';
import { CoinIndex } from '../adapters/job-stores';
import { documentClient } from '../adapters/clients';
import { resourceNames } from '../adapters/config';

export interface Expiring {
  coins: number;
  members: number;
}

export async function coinsExpiring(
  members: { getMany(ids: readonly string[]): Promise<Map<string, MemberState>> },
  today: number,
  days: number,
): Promise<Expiring> {
  const ids = await new CoinIndex(documentClient(), resourceNames().membersTable).membersWithCoinsDueBy(today + days);
  const found = await members.getMany(ids);
  let coins = 0;
  let holders = 0;
  for (const m of found.values()) {
    let mine = 0;
    for (const lot of m.coins.lots) if (lot.left > 0 && lot.expiresOn > today && lot.expiresOn <= today + days) mine += lot.left;
    coins += mine;
    if (mine) holders++;
  }
  return { coins, members: holders };
}
