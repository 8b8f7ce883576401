/**
 * `npm run bench [-- --members N --days D --seed S --start DAY --json --sweep --baseline-batches N --no-baseline]`
 *
 * memberflow against the lower bound and against the design AWS documentation recommends
 * (bench/baseline.ts), on the same simulated workload and the same fixed batch plan (4 shards by
 * memberId, 500 records per batch, arrival order), in one run, on DynamoDB Local:
 * write and read units by DynamoDB's billing rules (bench/meter.ts), throughput, handler CPU and
 * cost per million events. `--sweep` runs memberflow and the lower bound at 1,000, 4,000 and 16,000
 * members (bench/sweep.ts). With `--json` the last line of stdout is one JSON object.
 */
import './deployed-flags';
import { BATCH_CODE_V8_FLAGS } from '../infra/runtime-flags';
import './quiet';
import { performance } from 'node:perf_hooks';
import { planAggregatedBatches } from '../infra/local/engine/batch-plan';
import { startLocalProcesses } from '../infra/local/engine/processes';
import { dayString } from '../shared/days/days';
import { loadProgram } from '../shared/programme/load';
import { SIMPLE_COUNTERS } from './baseline';
import { arriveLive } from './clock';
import { ASSUMPTIONS, capacityRow, costPerMillionEvents, PRICES } from './cost';
import { bundledHandlerCpu } from './cpu-bundle';
import type { PeakShare } from './meter';
import { BATCH_SIZE, GOALS, options, SHARDS } from './options';
import {
  aggregationReport,
  capacityTable,
  type Goal,
  measured,
  n0,
  n2,
  n3,
  perEvent,
  pricesText,
  table,
  tableBreakdown,
  usd,
} from './report';
import { formatRouteReads, readUnitsByRoute, routeLabel } from './reads';
import { formatRedemptionBench, measureRedemptions } from './redemptions';
import { formatCoinsShare, measureCoinsShare } from './coins-share';
import { formatIdentity, identityGoal, identityJson, measureIdentity } from './identity';
import { batchCount, compareDays, progress, runBaseline, type RunFigures, runMemberflow, subPlan, workload } from './runs';
import { runSweep } from './sweep';

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const program = loadProgram();
  const bar = progress(process.stderr.isTTY === true);
  const say = (text = '') => process.stdout.write(`${text}\n`);
  const status = (text: string) => process.stderr.write(`${text}\n`);
  const t0 = performance.now();

  // The handler's CPU first, before the local services start: alongside, the passes shared the
  // cores with DynamoDB Local's JVM starting up (its compiler threads), which CPU time does not exclude.
  const handlerRun =
    opts.sweep || opts.identities === 'only'
      ? null
      : await (async () => {
          status(`simulating ${opts.members} members × ${opts.days} days (seed ${opts.seed})…`);
          const w = workload(opts.members, opts.days, opts.seed, opts.start, program);
          status(`${w.plan.records} events in ${batchCount(w.plan)} batches; handler CPU with in-memory ports, bundled as deployed…`);
          // The code as Lambda runs it (bench/cpu-bundle.ts), on the same workload (same options, same seed).
          const args = ['--members', `${opts.members}`, '--days', `${opts.days}`, '--seed', `${opts.seed}`, '--start', opts.start];
          const measured = await bundledHandlerCpu(args);
          if (measured.events !== w.plan.records)
            throw new Error(`the bundled handler ran ${measured.events} events, not ${w.plan.records}`);
          // The handler's own CPU besides: ports that hand state over without the test store's copies (bench/cpu.ts).
          const own = await bundledHandlerCpu([...args, '--ports', 'sharing']);
          return {
            w,
            cpu: { microsPerEvent: measured.handlerMicrosPerEvent, passes: measured.passes, ownMicrosPerEvent: own.handlerMicrosPerEvent },
          };
        })();

  status('starting DynamoDB Local, kinesis-mock and s3rver…');
  const procs = await startLocalProcesses();
  try {
    if (opts.sweep) return await runSweep(procs.endpoints, opts, program, { bar, say, status, t0 });

    const identityRun = () =>
      measureIdentity(
        procs.endpoints,
        { persons: opts.identityPersons, days: opts.identityDays, seed: opts.seed, start: opts.start, timezone: program.timezone },
        bar,
      );
    if (opts.identities === 'only') {
      const identity = await identityRun();
      const goal = identityGoal(identity);
      say(formatIdentity(identity));
      say(`  ${goal.met ? '✓' : '✗'} ${goal.goal}: ${goal.figure}`);
      say(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
      if (opts.json) say(JSON.stringify({ mode: 'identity', identity: identityJson(identity) }));
      return;
    }

    if (!handlerRun) throw new Error('the workload is simulated above for this mode');
    const { w, cpu } = handlerRun;
    const mf = await runMemberflow(procs.endpoints, w, program, bar, 'memberflow');
    const coinsShare = opts.coinsOff ? await measureCoinsShare(procs.endpoints, w, program, bar, mf.figures) : null;
    // The same events as the producer library aggregates them (per shard, 25 KiB KPL records).
    const aggPlan = opts.aggregate ? planAggregatedBatches(w.lines, { shards: SHARDS, batchSize: BATCH_SIZE }) : null;
    if (aggPlan) arriveLive(aggPlan);
    const agg = aggPlan ? await runMemberflow(procs.endpoints, w, program, bar, 'memberflow (aggregated)', aggPlan) : null;
    const bl = opts.baseline ? await runBaseline(procs.endpoints, w, program, bar, opts.baselineBatches) : null;
    // On a subset, memberflow runs the baseline's batches too: the comparison is on the same events.
    const same =
      bl && bl.batchesPerShard !== null
        ? await runMemberflow(procs.endpoints, w, program, bar, 'memberflow (subset)', subPlan(w.plan, bl.batchesPerShard))
        : bl
          ? mf
          : null;

    const f = mf.figures;
    const lb = w.lowerBound;
    const cost = costPerMillionEvents(perEvent(f));
    const blCost = bl ? costPerMillionEvents(perEvent(bl.figures)) : null;
    const blWuPerEvent = bl ? bl.figures.writeUnits / bl.figures.events : NaN;
    const wuPerEvent = f.writeUnits / f.events;
    const sf = same?.figures;
    const sameWuPerEvent = sf ? sf.writeUnits / sf.events : NaN;
    const state = bl && same ? compareDays(w, same, bl) : null;
    const capacity = [1000, 10_000, 100_000].map((rate) => capacityRow(rate, measured(f, bl?.figures)));

    say();
    say(
      `memberflow benchmark — ${n0(opts.members)} members × ${opts.days} days from ${opts.start}, seed ${opts.seed}: ${n0(f.events)} events, ${SHARDS} shards × ${BATCH_SIZE}-record batches (${f.batches} batches), DynamoDB Local`,
    );
    const subset = bl !== null && bl.batchesPerShard !== null && sf !== undefined;
    if (subset)
      say(
        `the baseline ran the first ${bl.batchesPerShard} batches of each shard (${n0(bl.figures.events)} events, ${bl.figures.batches} batches); memberflow ran them too (column "same batches"): ratios compare those two runs`,
      );
    say();
    const header = [
      '',
      'lower bound',
      'memberflow',
      ...(subset ? ['memberflow (same batches)'] : []),
      ...(bl ? ['baseline (Powertools)'] : []),
    ];
    const sub = (cell: (x: RunFigures) => string) => (subset ? [cell(sf!)] : []);
    const sameCost = subset ? costPerMillionEvents(perEvent(sf!)) : null;
    say(
      table([
        header,
        ['events', n0(lb.events), n0(f.events), ...sub((x) => n0(x.events)), ...(bl ? [n0(bl.figures.events)] : [])],
        ['write units', n0(lb.writeUnits), n0(f.writeUnits), ...sub((x) => n0(x.writeUnits)), ...(bl ? [n0(bl.figures.writeUnits)] : [])],
        [
          'write units / event',
          n3(lb.writeUnits / lb.events),
          n3(wuPerEvent),
          ...sub((x) => n3(x.writeUnits / x.events)),
          ...(bl ? [n3(blWuPerEvent)] : []),
        ],
        ['read units', '-', n0(f.readUnits), ...sub((x) => n0(x.readUnits)), ...(bl ? [n0(bl.figures.readUnits)] : [])],
        [
          'read units / event',
          '-',
          n3(f.readUnits / f.events),
          ...sub((x) => n3(x.readUnits / x.events)),
          ...(bl ? [n3(bl.figures.readUnits / bl.figures.events)] : []),
        ],
        [
          'events / s (DynamoDB Local)',
          '-',
          n0(f.eventsPerSecond),
          ...sub((x) => n0(x.eventsPerSecond)),
          ...(bl ? [n0(bl.figures.eventsPerSecond)] : []),
        ],
        [
          'mean invocation (500 records)',
          '-',
          `${n0(f.secondsPerBatch * 1000)} ms`,
          ...sub((x) => `${n0(x.secondsPerBatch * 1000)} ms`),
          ...(bl ? [`${n0(bl.figures.secondsPerBatch * 1000)} ms`] : []),
        ],
        ['USD / million events', '-', usd(cost.total), ...(sameCost ? [usd(sameCost.total)] : []), ...(blCost ? [usd(blCost.total)] : [])],
        ['  DynamoDB', '-', usd(cost.dynamodb), ...(sameCost ? [usd(sameCost.dynamodb)] : []), ...(blCost ? [usd(blCost.dynamodb)] : [])],
        ['  Lambda', '-', usd(cost.lambda), ...(sameCost ? [usd(sameCost.lambda)] : []), ...(blCost ? [usd(blCost.lambda)] : [])],
        ['  Kinesis', '-', usd(cost.kinesis), ...(sameCost ? [usd(sameCost.kinesis)] : []), ...(blCost ? [usd(blCost.kinesis)] : [])],
      ]),
    );
    const aggregation = agg ? aggregationReport(mf, agg) : null;
    if (aggregation) {
      say();
      say('aggregation (npm run bench -- --aggregate): the same events, one per Kinesis record vs KPL-aggregated per shard');
      say(aggregation.text);
    }
    say();
    say(
      `handler CPU (in-memory ports, no I/O, bundled and V8 flags as deployed: ${BATCH_CODE_V8_FLAGS.join(' ')}): ${cpu.microsPerEvent.toFixed(1)} µs per event (fastest of ${cpu.passes.length} passes: ${cpu.passes.map((x) => x.toFixed(1)).join(', ')} µs); without the test store's copies (sharing ports) ${cpu.ownMicrosPerEvent.toFixed(1)} µs`,
    );
    say(
      `ratios: memberflow / lower bound = ${n2(f.writeUnits / lb.writeUnits)}×, / refined lower bound (+1 per new order: ${n0(lb.refinedWriteUnits)} WU) = ${n2(f.writeUnits / lb.refinedWriteUnits)}×` +
        (bl && sf
          ? `; baseline / memberflow write units per event = ${n2(blWuPerEvent / sameWuPerEvent)}× (whole-run memberflow: ${n2(blWuPerEvent / wuPerEvent)}×); memberflow / baseline events per second = ${n2(sf.eventsPerSecond / bl.figures.eventsPerSecond)}× (whole run: ${n2(f.eventsPerSecond / bl.figures.eventsPerSecond)}×)`
          : ''),
    );
    say();
    say('memberflow write units by table');
    say(tableBreakdown(f));
    if (f.metricsByKind) {
      say(
        `  MetricsTable by item kind: ${Object.entries(f.metricsByKind)
          .sort((a, b) => b[1].writeUnits - a[1].writeUnits)
          .map(([k, v]) => `${k} ${n0(v.writes)} writes / ${n0(v.writeUnits)} WU (${n3(v.writeUnits / f.batches)} per batch)`)
          .join(', ')}`,
      );
    }
    for (const [t, kinds] of Object.entries(f.byKind ?? {})) {
      const list = Object.entries(kinds).sort((a, b) => b[1].writeUnits - a[1].writeUnits);
      if (t === 'MetricsTable' || list.length === 0) continue;
      say(`  ${t} by item kind: ${list.map(([k, v]) => `${k} ${n0(v.writes)} writes / ${n0(v.writeUnits)} WU`).join(', ')}`);
    }
    if (bl) {
      say();
      say('baseline write units by table');
      say(tableBreakdown(bl.figures));
    }
    say();
    const peak = (shares: PeakShare[]) =>
      shares
        .slice(0, 3)
        .map(
          (p) =>
            `${p.table} ${p.key} ${n0(p.writeUnits)} WU / ${n0(p.events)} events on day ${dayString(Number(p.epoch))} (${n3(p.share)} WU per event)`,
        )
        .join('; ');
    say(`busiest partitions at their peak day, memberflow: ${peak(f.peakShares)}`);
    say(`  from the second week on: ${peak(f.steadyPeakShares)}`);
    if (bl) say(`busiest partitions at their peak day, baseline: ${peak(bl.figures.peakShares)}`);
    say();
    say('read routes on the filled tables: DynamoDB requests and read units (billing rules) per API call');
    say(formatRouteReads(mf.routeReads));
    const checks = [f.meterCheck, ...(bl ? [bl.figures.meterCheck] : []), ...(subset ? [sf!.meterCheck] : [])];
    say(
      `meter check: ${checks.every((c) => c.mismatched === 0 && c.untracked === 0) ? `the meter's copy of every item (${n0(checks.reduce((s, c) => s + c.items, 0))}) has the stored item's size` : checks.flatMap((c) => c.examples).join('; ')}`,
    );
    if (state)
      say(
        `state check${subset ? ' (same batches)' : ''}: baseline and memberflow agree on ${state.compared - state.differences.length} of ${state.compared} day counters (${SIMPLE_COUNTERS.join(', ')})${state.differences.length ? `; differences: ${state.differences.slice(0, 5).join('; ')}` : ''}`,
      );
    if (f.redeliveries || bl?.figures.redeliveries)
      say(`re-deliveries: memberflow ${f.redeliveries}, baseline ${bl?.figures.redeliveries ?? 0}`);

    // Goals.
    const goals: Goal[] = [];
    const lbRatio = f.writeUnits / lb.writeUnits;
    const over = Object.entries(f.byTable)
      .map(([t, v]) => [t, t === 'MembersTable' ? v.writeUnits - lb.writeUnits : v.writeUnits] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]);
    goals.push({
      goal: `write units ≤ ${GOALS.lowerBoundRatio} × lower bound`,
      figure: `${n2(lbRatio)}×`,
      met: lbRatio <= GOALS.lowerBoundRatio,
      cause: `above the lower bound: ${over.map(([t, v]) => `${t} +${n0(v)} WU (${n3(v / f.events)}/event)`).join(', ')}`,
      next: 'see docs/capacity.md',
    });
    const refinedRatio = f.writeUnits / lb.refinedWriteUnits;
    goals.push({
      goal: `write units ≤ ${GOALS.refinedLowerBoundRatio} × refined lower bound (+1 per new order)`,
      figure: `${n2(refinedRatio)}×`,
      met: refinedRatio <= GOALS.refinedLowerBoundRatio,
      cause: 'see the table by item kind and docs/capacity.md',
    });
    if (bl && sf) {
      const r = blWuPerEvent / sameWuPerEvent;
      goals.push({
        goal: `≥ ${GOALS.baselineWriteRatio}× fewer write units than the baseline`,
        figure: `${n2(r)}×`,
        met: r >= GOALS.baselineWriteRatio,
      });
      const t = sf.eventsPerSecond / bl.figures.eventsPerSecond;
      goals.push({
        goal: `≥ ${GOALS.throughputRatio}× the baseline's events per second`,
        figure: `${n2(t)}×`,
        met: t >= GOALS.throughputRatio,
      });
    }
    goals.push({
      goal: `handler CPU ≤ ${GOALS.handlerMicros} µs per event`,
      figure: `${cpu.microsPerEvent.toFixed(1)} µs`,
      met: cpu.microsPerEvent <= GOALS.handlerMicros,
      next: 'see docs/capacity.md (profile)',
    });
    if (coinsShare) {
      say();
      say(formatCoinsShare(coinsShare));
      goals.push({
        goal: `write units per event change by < ${coinsShare.goal * 100}% from coins`,
        figure: `${coinsShare.change >= 0 ? '+' : ''}${(coinsShare.change * 100).toFixed(2)}%`,
        met: Math.abs(coinsShare.change) < coinsShare.goal,
        cause: 'see the coins-off run above (its write units by table in --json)',
      });
    }
    const identity = opts.identities === 'also' ? await identityRun() : null;
    if (identity) {
      say();
      say(formatIdentity(identity));
      goals.push(identityGoal(identity));
    }
    status('coin redemptions at the till…');
    const redemptions = await measureRedemptions(procs.endpoints);
    say();
    say(formatRedemptionBench(redemptions));
    goals.push({
      goal: `write units per coin redemption ≤ ${redemptions.goal}`,
      figure: n2(redemptions.perRedemption),
      met: redemptions.perRedemption <= redemptions.goal,
      cause:
        'the member write and the ledger record are 2 already; the consumer adds per-batch counter writes, and the API a record when the next operation comes first (README: Coins)',
    });
    goals.push({
      goal: `write units per event flat (±${GOALS.sweepSpread * 100}%) across 1,000–16,000 members`,
      figure: 'run with --sweep',
      met: null,
    });
    say();
    say('goals');
    for (const g of goals)
      say(
        `  ${g.met === null ? '·' : g.met ? '✓' : '✗'} ${g.goal}: ${g.figure}${g.met === false && g.cause ? ` — ${g.cause}` : ''}${g.met === false && g.next ? ` (next: ${g.next})` : ''}`,
      );
    say();
    say('capacity model (from the figures above; docs/capacity.md)');
    say(capacityTable(capacity));
    say();
    say(pricesText());
    say(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);

    if (opts.json) {
      say(
        JSON.stringify({
          mode: 'compare',
          members: opts.members,
          days: opts.days,
          seed: opts.seed,
          start: opts.start,
          shards: SHARDS,
          batchSize: BATCH_SIZE,
          events: f.events,
          batches: f.batches,
          lowerBoundWriteUnits: lb.writeUnits,
          refinedLowerBoundWriteUnits: lb.refinedWriteUnits,
          writeUnits: f.writeUnits,
          readUnits: f.readUnits,
          writeUnitsPerEvent: wuPerEvent,
          writeUnitsByTable: Object.fromEntries(Object.entries(f.byTable).map(([t, v]) => [t, v.writeUnits])),
          // Of writeUnitsByTable, the units spent on index entries (global secondary indexes).
          indexWriteUnitsByTable: Object.fromEntries(Object.entries(f.byTable).map(([t, v]) => [t, v.indexWriteUnits])),
          baselineEvents: bl?.figures.events ?? null,
          baselineWriteUnits: bl?.figures.writeUnits ?? null,
          baselineReadUnits: bl?.figures.readUnits ?? null,
          baselineWriteUnitsPerEvent: bl ? blWuPerEvent : null,
          // When the baseline ran a subset: its units per event × this workload's events (an extrapolation).
          baselineWriteUnitsExtrapolated: bl && bl.batchesPerShard !== null ? blWuPerEvent * f.events : null,
          baselineBatchesPerShard: bl?.batchesPerShard ?? null,
          sameBatches: subset
            ? { events: sf!.events, writeUnits: sf!.writeUnits, readUnits: sf!.readUnits, eventsPerSecond: sf!.eventsPerSecond }
            : null,
          baselineWriteUnitsByTable: bl ? Object.fromEntries(Object.entries(bl.figures.byTable).map(([t, v]) => [t, v.writeUnits])) : null,
          eventsPerSecond: f.eventsPerSecond,
          baselineEventsPerSecond: bl?.figures.eventsPerSecond ?? null,
          handlerMicrosPerEvent: cpu.microsPerEvent,
          // The same without the in-memory store's copies (sharing ports): the handler's own code alone.
          handlerOwnMicrosPerEvent: cpu.ownMicrosPerEvent,
          handlerV8Flags: BATCH_CODE_V8_FLAGS,
          readUnitsPerRequest: readUnitsByRoute(mf.routeReads),
          readsByRoute: mf.routeReads.map((r) => ({ ...r, route: routeLabel(r, mf.routeReads) })),
          costPerMillionEventsUsd: cost.total,
          costPerMillionEventsBreakdownUsd: cost,
          baselineCostPerMillionEventsUsd: blCost?.total ?? null,
          ratios: {
            writeUnitsToLowerBound: f.writeUnits / lb.writeUnits,
            writeUnitsToRefinedLowerBound: f.writeUnits / lb.refinedWriteUnits,
            baselineToMemberflowWriteUnitsPerEvent: bl && sf ? blWuPerEvent / sameWuPerEvent : null,
            memberflowToBaselineEventsPerSecond: bl && sf ? sf.eventsPerSecond / bl.figures.eventsPerSecond : null,
            baselineToWholeRunWriteUnitsPerEvent: bl ? blWuPerEvent / wuPerEvent : null,
            wholeRunToBaselineEventsPerSecond: bl ? f.eventsPerSecond / bl.figures.eventsPerSecond : null,
          },
          secondsPerBatch: f.secondsPerBatch,
          baselineSecondsPerBatch: bl?.figures.secondsPerBatch ?? null,
          peakPartitions: f.peakShares,
          steadyPeakPartitions: f.steadyPeakShares,
          baselinePeakPartitions: bl?.figures.peakShares ?? null,
          metricsByKind: f.metricsByKind ?? null,
          writeUnitsByKind: f.byKind ?? null,
          meterCheck: { memberflow: f.meterCheck, baseline: bl?.figures.meterCheck ?? null },
          stateCheck: state ? { compared: state.compared, differences: state.differences.length } : null,
          coinsShare,
          identity: identity ? identityJson(identity) : null,
          writeUnitsPerRedemption: redemptions.perRedemption,
          writeUnitsPerRedemptionByTable: redemptions.byTable,
          redemptionMetricsByKind: redemptions.metricsByKind,
          goals: goals.map(({ goal, figure, met }) => ({ goal, figure, met })),
          capacity,
          aggregation: aggregation?.json ?? null,
          prices: PRICES,
          assumptions: ASSUMPTIONS,
        }),
      );
    }
  } finally {
    await procs.stop();
  }
}

// Exit explicitly (SDK sockets and timers of the handlers' modules would keep the process alive),
// once stdout has flushed the JSON line.
main().then(
  () => process.stdout.write('', () => process.exit(0)),
  (error) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.stdout.write('', () => process.exit(1));
  },
);
