// `npm run bench -- --sweep`: memberflow and both lower bounds at 1,000 / 4,000 / 16,000 members,
// write units per event across the sizes (#16 item 5). Run by bench/run.ts on its local services.
import { performance } from 'node:perf_hooks';
import type { LocalEndpoints } from '../infra/local/engine/aws';
import type { Program } from '../shared/programme/vocabulary';
import { type CostBreakdown, costPerMillionEvents, PRICES } from './cost';
import { BATCH_SIZE, GOALS, type Options, SHARDS, SWEEP } from './options';
import { n0, n2, n3, perEvent, pricesText, table, usd } from './report';
import { type progress, type RunFigures, runMemberflow, workload } from './runs';

export async function runSweep(
  endpoints: LocalEndpoints,
  opts: Options,
  program: Program,
  io: { bar: ReturnType<typeof progress>; say: (text?: string) => void; status: (text: string) => void; t0: number },
): Promise<void> {
  const { bar, say, status, t0 } = io;
  const rows: {
    members: number;
    events: number;
    lowerBound: number;
    refinedLowerBound: number;
    writeUnits: number;
    readUnits: number;
    eventsPerSecond: number;
    cost: CostBreakdown;
    meterCheck: RunFigures['meterCheck'];
  }[] = [];
  for (const members of SWEEP) {
    status(`simulating ${members} members × ${opts.days} days (seed ${opts.seed})…`);
    const w = workload(members, opts.days, opts.seed, opts.start, program);
    const mf = await runMemberflow(endpoints, w, program, bar, `memberflow ${members}`);
    const f = mf.figures;
    rows.push({
      members,
      events: f.events,
      lowerBound: w.lowerBound.writeUnits,
      refinedLowerBound: w.lowerBound.refinedWriteUnits,
      writeUnits: f.writeUnits,
      readUnits: f.readUnits,
      eventsPerSecond: f.eventsPerSecond,
      cost: costPerMillionEvents(perEvent(f)),
      meterCheck: f.meterCheck,
    });
    // Each size as it finishes (a 16,000-member run takes long on DynamoDB Local).
    status(
      `sweep ${members}: ${f.events} events, ${f.writeUnits} WU (${(f.writeUnits / f.events).toFixed(3)}/event), lower bound ${w.lowerBound.writeUnits}, refined ${w.lowerBound.refinedWriteUnits}, ${f.eventsPerSecond.toFixed(0)} events/s`,
    );
  }
  const perEventWu = rows.map((r) => r.writeUnits / r.events);
  const mean = perEventWu.reduce((a, b) => a + b, 0) / perEventWu.length;
  const spread = Math.max(...perEventWu.map((x) => Math.abs(x / mean - 1)));
  say();
  say(
    `memberflow write units across the workload (${opts.days} days, seed ${opts.seed}, ${SHARDS} shards × ${BATCH_SIZE}-record batches, DynamoDB Local)`,
  );
  say();
  say(
    table([
      [
        'members',
        'events',
        'lower bound WU',
        'write units',
        'WU/event',
        'LB WU/event',
        'WU / LB',
        'WU / refined LB',
        'RU/event',
        'events/s',
        'USD / M events',
      ],
      ...rows.map((r) => [
        n0(r.members),
        n0(r.events),
        n0(r.lowerBound),
        n0(r.writeUnits),
        n3(r.writeUnits / r.events),
        n3(r.lowerBound / r.events),
        n2(r.writeUnits / r.lowerBound),
        n2(r.writeUnits / r.refinedLowerBound),
        n3(r.readUnits / r.events),
        n0(r.eventsPerSecond),
        usd(r.cost.total),
      ]),
    ]),
  );
  say();
  say(
    `write units per event vary by at most ${(spread * 100).toFixed(1)}% from their mean ${n3(mean)} (goal ±${GOALS.sweepSpread * 100}%): ${spread <= GOALS.sweepSpread ? 'met' : 'MISSED'}`,
  );
  say(
    `meter check: ${rows.every((r) => r.meterCheck.mismatched === 0) ? "the meter's item sizes equal the stored items' in every run" : rows.map((r) => `${r.members}: ${r.meterCheck.mismatched} mismatched`).join(', ')}`,
  );
  say(pricesText());
  say(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (opts.json) {
    say(
      JSON.stringify({
        mode: 'sweep',
        days: opts.days,
        seed: opts.seed,
        rows: rows.map((r) => ({
          members: r.members,
          events: r.events,
          lowerBoundWriteUnits: r.lowerBound,
          refinedLowerBoundWriteUnits: r.refinedLowerBound,
          writeUnits: r.writeUnits,
          readUnits: r.readUnits,
          writeUnitsPerEvent: r.writeUnits / r.events,
          eventsPerSecond: r.eventsPerSecond,
          costPerMillionEventsUsd: r.cost.total,
        })),
        writeUnitsPerEventSpread: spread,
        flat: spread <= GOALS.sweepSpread,
        prices: PRICES,
      }),
    );
  }
}
