// The bench's text report: number formats, tables, per-event figures, goals and the aggregation section.
import { cohortRow, dailyRow, sessionsRow } from '../shared/metrics/read';
import { ASSUMPTIONS, type CapacityRow, costPerMillionEvents, eventsPerShardSecond, type Measured, type PerEvent, PRICES } from './cost';
import type { PeakShare } from './meter';
import { type MemberflowRun, type RunFigures } from './runs';

export const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
export const n2 = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
export const n3 = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 3, maximumFractionDigits: 3 });
export const usd = (x: number) => `$${x.toFixed(x < 1 ? 4 : 2)}`;

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ')).join('\n');
}

export function perEvent(f: RunFigures): PerEvent {
  return {
    writeUnits: f.writeUnits / f.events,
    readUnits: f.readUnits / f.events,
    lambdaSeconds: (f.secondsPerBatch * f.batches) / f.events,
    invocations: f.batches / f.events,
    payloadUnits: f.kinesis ? f.kinesis.payloadUnits / f.events : 1,
    ...(f.kinesis ? { kinesisRecords: f.kinesis.records / f.events, bytes: f.kinesis.bytes / f.events } : {}),
  };
}

export const hotOf = (shares: PeakShare[]) => {
  const p = shares[0];
  return p ? { table: p.table, key: p.key, share: p.share } : { table: '-', key: '-', share: 0 };
};

export function measured(f: RunFigures, baseline?: RunFigures): Measured {
  return {
    perEvent: perEvent(f),
    writeUnitsByTable: Object.fromEntries(Object.entries(f.byTable).map(([t, v]) => [t, v.writeUnits / f.events])),
    hotPartition: hotOf(f.steadyPeakShares.length ? f.steadyPeakShares : f.peakShares),
    coldStartHotPartition: hotOf(f.peakShares),
    baselineHotPartition: baseline ? hotOf(baseline.peakShares) : undefined,
    secondsPerBatch: f.secondsPerBatch,
  };
}

export const pricesText = () =>
  [
    `prices (${PRICES.region}, list, USD): DynamoDB on-demand $${PRICES.dynamoWriteRequestUnitsPerMillion} per million write request units, $${PRICES.dynamoReadRequestUnitsPerMillion} per million read request units (after the November 2024 cut);`,
    `  Lambda arm64 $${PRICES.lambdaArmGbSecond} per GB-s (${ASSUMPTIONS.lambdaMemoryGb} GB, duration = the mean invocation time measured here on DynamoDB Local) + $${PRICES.lambdaRequestsPerMillion} per million requests;`,
    `  Kinesis provisioned $${PRICES.kinesisShardHour} per shard-hour (shards used at ${ASSUMPTIONS.shardUtilisation * 100}% of ${ASSUMPTIONS.shardRecordsPerSecond} records/s) + $${PRICES.kinesisPutPayloadUnitsPerMillion} per million PUT payload units (1 per event).`,
  ].join('\n');

export function tableBreakdown(f: RunFigures): string {
  const rows = [['table', 'writes', 'write units', 'of them index', 'WU/event', '>1 KB writes', 'largest item', 'read units']];
  for (const [t, v] of Object.entries(f.byTable).sort((a, b) => b[1].writeUnits - a[1].writeUnits)) {
    rows.push([
      t,
      n0(v.writes),
      n0(v.writeUnits),
      n0(v.indexWriteUnits),
      n3(v.writeUnits / f.events),
      n0(v.multiUnitWrites),
      `${n0(v.maxItemBytes)} B`,
      n0(v.readUnits),
    ]);
  }
  return table(rows);
}

export interface Goal {
  goal: string;
  figure: string;
  met: boolean | null;
  cause?: string;
  next?: string;
}

export function capacityTable(rows: CapacityRow[]): string {
  const out = [
    [
      'events/s',
      'shards',
      'Lambda concurrency',
      'WU/s',
      'RU/s',
      'busiest table WU/s',
      'hot partition WU/s',
      'first week',
      'baseline hot partition',
      'hot item writes/s',
      'batch budget',
      'USD/month',
    ],
  ];
  for (const r of rows) {
    out.push([
      n0(r.eventsPerSecond),
      n0(r.shards),
      n0(r.lambdaConcurrency),
      n0(r.writeUnitsPerSecond),
      n0(r.readUnitsPerSecond),
      `${n0(r.busiestTableWriteUnitsPerSecond.units)} (${r.busiestTableWriteUnitsPerSecond.table})`,
      `${n0(r.hotPartitionWriteUnitsPerSecond)} / ${ASSUMPTIONS.partitionWriteUnitsPerSecond}`,
      `${n0(r.coldStartHotPartitionWriteUnitsPerSecond)} / ${ASSUMPTIONS.partitionWriteUnitsPerSecond}`,
      r.baselineHotPartitionWriteUnitsPerSecond === null
        ? '-'
        : `${n0(r.baselineHotPartitionWriteUnitsPerSecond)} / ${ASSUMPTIONS.partitionWriteUnitsPerSecond}`,
      n2(r.hotItemWritesPerSecond),
      `${n2(r.batchBudgetSeconds)} s`,
      n0(r.monthlyUsd.total),
    ]);
  }
  return table(out);
}

/** Plain vs aggregated: Kinesis records, payload units, shards and cost per million events, and whether every day counter agrees. */
export function aggregationReport(plain: MemberflowRun, agg: MemberflowRun) {
  const runs = [plain.figures, agg.figures];
  const per = runs.map(perEvent);
  const costs = per.map(costPerMillionEvents);
  const rates = [1000, 10_000, 100_000];
  const shards = per.map((e) => rates.map((r) => Math.ceil(r / eventsPerShardSecond(e))));
  // The figures the API answers (daily, retention, sessions) for every day. The raw counters
  // may differ in encoding (retention ranges split where batches end) and in what is evaluated
  // "as of" a record's arrival (tier and segment sizes per day): an aggregate arrives when its
  // last event is in.
  let differences = 0;
  const items = (run: MemberflowRun) => (day: number) => run.days.get(day) ?? new Map<string, number>();
  for (const day of plain.days.keys()) {
    for (const read of [dailyRow, sessionsRow, cohortRow]) {
      if (JSON.stringify(read(items(plain), day)) !== JSON.stringify(read(items(agg), day))) differences++;
    }
  }
  const row = (label: string, cell: (i: number) => string) => [label, cell(0), cell(1)];
  const text = table([
    ['', 'one event per record', 'aggregated'],
    row('events', (i) => n0(runs[i].events)),
    row('Kinesis records', (i) => n0(runs[i].kinesis!.records)),
    row('events per Kinesis record', (i) => n2(runs[i].events / runs[i].kinesis!.records)),
    row('PUT payload units', (i) => n0(runs[i].kinesis!.payloadUnits)),
    row('payload units / million events', (i) => n0(per[i].payloadUnits * 1e6)),
    row('bytes put / event', (i) => n0(per[i].bytes ?? 0)),
    row(`events/s per shard (${ASSUMPTIONS.shardUtilisation * 100}% of limits)`, (i) => n0(eventsPerShardSecond(per[i]))),
    ...rates.map((r, k) => row(`shards for ${n0(r)} events/s`, (i) => n0(shards[i][k]))),
    row('Lambda invocations', (i) => n0(runs[i].batches)),
    row('write units / event', (i) => n3(per[i].writeUnits)),
    row('USD / million events', (i) => usd(costs[i].total)),
    row('  DynamoDB', (i) => usd(costs[i].dynamodb)),
    row('  Lambda', (i) => usd(costs[i].lambda)),
    row('  Kinesis', (i) => usd(costs[i].kinesis)),
  ]);
  const json = runs.map((f, i) => ({
    events: f.events,
    kinesisRecords: f.kinesis!.records,
    payloadUnits: f.kinesis!.payloadUnits,
    bytes: f.kinesis!.bytes,
    eventsPerShardSecond: eventsPerShardSecond(per[i]),
    shardsAt: Object.fromEntries(rates.map((r, k) => [r, shards[i][k]])),
    invocations: f.batches,
    writeUnitsPerEvent: per[i].writeUnits,
    costPerMillionEventsUsd: costs[i],
  }));
  return {
    text: `${text}\ndaily, session and retention figures of every day compared: ${differences === 0 ? 'identical' : `${differences} differences`}`,
    json: { plain: json[0], aggregated: json[1], figureDifferences: differences },
  };
}
