/**
 * What coins add to the stream's write units (issue 12: "write units per event change by less than
 * 5%"): the same workload and batch plan run once more with the coins section switched off (every
 * earn rate 0: no lot, no coin counter, no outbox), so the ratio compares memberflow with and
 * without coins on the same events in one bench run.
 */
import { resetProgramCache } from '../shared/programme/load';
import type { Program } from '../shared/programme/vocabulary';
import type { LocalEndpoints } from '../infra/local/engine/aws';
import { type Progress, runMemberflow, type RunFigures, type Workload } from './runs';

export interface CoinsShare {
  /** Write units per event with coins (the main run) and without. */
  withCoins: number;
  withoutCoins: number;
  /** withCoins / withoutCoins − 1. */
  change: number;
  /** The bound on |change|. */
  goal: number;
  byTableWithout: Record<string, number>;
  /** Of byTableWithout, the part spent on index entries (the run with coins: `indexWriteUnitsByTable`). */
  indexByTableWithout: Record<string, number>;
}

/** The programme with no coin earned by any tier: the coin ledger never moves. */
export function withoutCoins(program: Program): Program {
  return {
    ...program,
    coins: { ...program.coins, earnRates: Object.fromEntries(Object.keys(program.coins.earnRates).map((t) => [t, 0])) },
  };
}

export async function measureCoinsShare(
  endpoints: LocalEndpoints,
  w: Workload,
  program: Program,
  bar: Progress,
  withCoins: RunFigures,
): Promise<CoinsShare> {
  // The handler loads the programme from its env (shared/programme/load.ts), as in Lambda.
  const off = withoutCoins(program);
  const before = process.env.MEMBERFLOW_PROGRAM_JSON;
  process.env.MEMBERFLOW_PROGRAM_JSON = JSON.stringify(off);
  resetProgramCache();
  try {
    const run = await runMemberflow(endpoints, w, off, bar, 'memberflow (coins off)', w.plan, 'nc');
    const f = run.figures;
    const on = withCoins.writeUnits / withCoins.events;
    const without = f.writeUnits / f.events;
    return {
      withCoins: on,
      withoutCoins: without,
      change: on / without - 1,
      goal: 0.05,
      byTableWithout: Object.fromEntries(Object.entries(f.byTable).map(([t, v]) => [t, v.writeUnits])),
      indexByTableWithout: Object.fromEntries(Object.entries(f.byTable).map(([t, v]) => [t, v.indexWriteUnits])),
    };
  } finally {
    if (before === undefined) delete process.env.MEMBERFLOW_PROGRAM_JSON;
    else process.env.MEMBERFLOW_PROGRAM_JSON = before;
    resetProgramCache();
  }
}

export const formatCoinsShare = (s: CoinsShare) =>
  `coins' share of the stream's writes: ${s.withCoins.toFixed(3)} write units per event with coins, ${s.withoutCoins.toFixed(3)} with the coins section off (every earn rate 0), the same events and batches: ${s.change >= 0 ? '+' : ''}${(s.change * 100).toFixed(2)}% (goal < ${s.goal * 100}%)`;
