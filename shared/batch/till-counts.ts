// The till's coin counts in a batch (shared/coins/settle.ts): the batch's own coins_settle records
// and those an earlier attempt listed in the batch progress and did not get to add.
import {
  isSettleEntry,
  parseSettleEntry,
  planSettles,
  settleEntry,
  type TillRecordsPort,
  type SettlePlan,
  type TillSettle,
} from '../coins/settle';
import type { MemberState } from '../member/state';
import type { CounterItem, MetricsPort } from './counter-marks';

export interface TillCounts extends SettlePlan {
  /** Batch-progress entries for this batch's own settle records. */
  listed: string[];
}

export const NO_TILL_COUNTS: TillCounts = { counts: [], listed: [], store: async () => {} };

/** Plans the settles and reads the counter items they add to that `items` lacks. */
export async function tillCounts(
  shardId: string,
  own: readonly TillSettle[],
  /** The batch progress entries an earlier attempt left unsettled (batch-progress.ts). */
  earlier: readonly string[],
  items: Map<string, CounterItem>,
  ports: {
    till?: TillRecordsPort;
    metrics: MetricsPort;
    members: { getMany(ids: readonly string[]): Promise<Map<string, MemberState>> };
  },
): Promise<TillCounts> {
  // Listed by an earlier attempt of this very batch (a retry): its own records, counted as such.
  const mine = new Set(own.map(settleEntry));
  const taken = earlier.filter((entry) => isSettleEntry(entry) && !mine.has(entry)).map(parseSettleEntry);
  if (!own.length && !taken.length) return NO_TILL_COUNTS;
  if (!ports.till) throw new Error('coins_settle records need the till records port');
  const plan = await planSettles(shardId, own, taken, {
    till: ports.till,
    members: (ids) => ports.members.getMany(ids),
  });
  const keys = [...new Set(plan.counts.flatMap((c) => Object.keys(c.counts)))].filter((k) => !items.has(k));
  if (keys.length) for (const [k, v] of await ports.metrics.read(keys, shardId)) items.set(k, v);
  return { ...plan, listed: [...mine] };
}
