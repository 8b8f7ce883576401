/**
 * `npm run bench [-- --members N --days D --seed S --start DAY --json --sweep --baseline-batches N --no-baseline]`
 *
 * memberflow against the lower bound and against the design AWS documentation recommends
 * (bench/baseline.ts), on the same simulated workload and the same fixed batch plan (4 shards by
 * memberId, 500 records per batch, arrival order), in one run, on DynamoDB Local:
 * write and read units by DynamoDB's billing rules (bench/meter.ts), throughput, handler CPU and
 * cost per million events. `--sweep` runs memberflow and the lower bound at 1,000, 2,000 and 4,000
 * members. With `--json` the last line of stdout is one JSON object.
 */
import './quiet';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DynamoDBClient, GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import cliProgress from 'cli-progress';
import { setDocumentClient } from '../functions/adapters/clients';
import { MetricsStore } from '../functions/adapters/metrics-store';
import { dynamoClient, LOCAL_CREDENTIALS, LOCAL_REGION, type LocalEndpoints } from '../infra/local/engine/aws';
import { deliverPlan, planAggregatedBatches, planBatches, type BatchPlan } from '../infra/local/engine/batch-plan';
import { startLocalProcesses } from '../infra/local/engine/processes';
import { attachLocalStack } from '../infra/local/engine/stack';
import { dayNumber, dayOf, dayString, isDayString } from '../shared/days/days';
import { loadProgram } from '../shared/programme/load';
import { type Program } from '../shared/programme/vocabulary';
import { eventsToJsonLines, simulate, SIMULATE_DEFAULTS } from '../simulator';
import { arriveLive, atTime, batchTime, currentTime } from './clock';
import { createBaselineTables, makeBaselineHandler, readBaselineDays, SIMPLE_COUNTERS } from './baseline';
import {
  ASSUMPTIONS,
  capacityRow,
  costPerMillionEvents,
  eventsPerShardSecond,
  PRICES,
  type CapacityRow,
  type CostBreakdown,
  type Measured,
  type PerEvent,
} from './cost';
import { measureHandlerCpu, type CpuResult } from './cpu';
import { lowerBound, type LowerBound } from './lower-bound';
import { CapacityMeter, describeWith, type AttrMap, type MeterSnapshot, type PeakShare, type TableTotals } from './meter';
import { dayKey } from '../shared/keys/metrics-keys';
import { cohortRow, dailyRow, sessionsRow } from '../shared/metrics/read';

const SHARDS = 4;
const BATCH_SIZE = 500;
const SWEEP = [1000, 2000, 4000];
/** Batches per shard the baseline runs by default (its figures per event are then compared). */
const DEFAULT_BASELINE_BATCHES = 10;
const GOALS = { lowerBoundRatio: 1.25, baselineWriteRatio: 5, throughputRatio: 3, handlerMicros: 20, sweepSpread: 0.1 };

const USAGE = `usage: npm run bench -- [--members N] [--days D] [--seed S] [--start YYYY-MM-DD] [--json] [--sweep]
                        [--baseline-batches N] [--no-baseline] [--aggregate]

  --members N           members to simulate (default 2000)
  --days D              days to simulate (default 30)
  --seed S              simulator seed (default 42)
  --start DAY           first simulated day (default ${SIMULATE_DEFAULTS.start})
  --json                print one JSON object as the last line of stdout
  --sweep               memberflow and the lower bound at ${SWEEP.join(', ')} members (no baseline)
  --baseline-batches N  run the baseline on the first N batches of each shard (default ${DEFAULT_BASELINE_BATCHES});
                        \`all\` = the whole workload (about 15 minutes at the default size: DynamoDB Local
                        takes ~400 writes/s and the baseline writes 4 items per event)
  --no-baseline         skip the baseline
  --aggregate           also run memberflow on the same events KPL-aggregated per shard (the producer
                        library's aggregation, 25 KiB records): Kinesis records, payload units, shards
                        and cost per million events beside the plain run
  -h, --help            this text`;

interface Options {
  members: number;
  days: number;
  seed: number;
  start: string;
  json: boolean;
  sweep: boolean;
  baselineBatches: number | null;
  baseline: boolean;
  aggregate: boolean;
}

function options(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      members: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      start: { type: 'string' },
      json: { type: 'boolean', default: false },
      sweep: { type: 'boolean', default: false },
      'baseline-batches': { type: 'string' },
      'no-baseline': { type: 'boolean', default: false },
      aggregate: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, raw: string | undefined, fallback: number, min: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got ${raw}\n\n${USAGE}`);
    return n;
  };
  const start = values.start ?? SIMULATE_DEFAULTS.start;
  if (!isDayString(start)) throw new Error(`--start must be a day YYYY-MM-DD, got ${start}`);
  return {
    members: int('members', values.members, 2000, 1),
    days: int('days', values.days, 30, 1),
    seed: int('seed', values.seed, 42, -Number.MAX_SAFE_INTEGER),
    start,
    json: values.json ?? false,
    sweep: values.sweep ?? false,
    baselineBatches:
      values['baseline-batches'] === 'all' ? null : int('baseline-batches', values['baseline-batches'], DEFAULT_BASELINE_BATCHES, 1),
    baseline: !values['no-baseline'],
    aggregate: values.aggregate ?? false,
  };
}

// ---------------------------------------------------------------------------------------------

interface Workload {
  members: number;
  days: number;
  seed: number;
  start: string;
  plan: BatchPlan;
  /** The events as JSON lines (for the aggregated plan). */
  lines: string[];
  lowerBound: LowerBound;
  /** Programme days the events fall on (±1 for sessions across midnight). */
  dayRange: number[];
}

function workload(members: number, days: number, seed: number, start: string, program: Program): Workload {
  const first = dayNumber(start);
  const lines = [...eventsToJsonLines(simulate({ members, days, seed, start, timezone: program.timezone }))];
  // A fixed arrival time: the figures do not depend on when the benchmark runs.
  const plan = planBatches(lines, { shards: SHARDS, batchSize: BATCH_SIZE });
  arriveLive(plan);
  return {
    members,
    days,
    seed,
    start,
    plan,
    lines,
    lowerBound: lowerBound(plan.batches),
    dayRange: Array.from({ length: days + 2 }, (_, i) => first - 1 + i),
  };
}

function subPlan(plan: BatchPlan, batchesPerShard: number | null): BatchPlan {
  if (batchesPerShard === null) return plan;
  const batches = plan.batches.map((b) => b.slice(0, batchesPerShard));
  return { shards: plan.shards, batches, records: batches.flat().reduce((n, b) => n + b.Records.length, 0) };
}

const batchCount = (plan: BatchPlan) => plan.batches.reduce((n, b) => n + b.length, 0);

// ---------------------------------------------------------------------------------------------

/** A client like the handlers' (SDK defaults: 50 sockets, 5 attempts), metered; SDK warnings muted. */
function meteredClient(endpoints: LocalEndpoints, meter: CapacityMeter): DynamoDBClient {
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (...a: unknown[]) => console.error(...a) };
  const client = new DynamoDBClient({
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    endpoint: endpoints.dynamodb,
    maxAttempts: 5,
    requestHandler: new NodeHttpHandler({ logger: quiet }),
  });
  meter.attach(client);
  return client;
}

function newMeter(raw: DynamoDBClient, timezone: string): CapacityMeter {
  const meter = new CapacityMeter(describeWith(raw), async (table, key) => {
    const out = await raw.send(new GetItemCommand({ TableName: table, Key: key as Record<string, AttributeValue>, ConsistentRead: true }));
    return out.Item as AttrMap | undefined;
  });
  // Writes are labelled with the simulated day of the batch making them (peak partition shares).
  meter.epoch = () => {
    const t = currentTime();
    return t === undefined ? undefined : String(dayOf(t, timezone));
  };
  return meter;
}

/** Events per simulated day of the batches that carry them (the meter's epochs). */
function eventsPerDay(plan: BatchPlan, timezone: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const shard of plan.batches) {
    for (const batch of shard) {
      const day = String(dayOf(batchTime(batch), timezone));
      out.set(day, (out.get(day) ?? 0) + batch.Records.length);
    }
  }
  return out;
}

interface Progress {
  start(label: string, total: number): void;
  tick(n: number): void;
  stop(): void;
}

/** A bar on stderr (redrawn on a terminal, a line every 15 s otherwise). */
function progress(tty: boolean): Progress {
  let bar: cliProgress.SingleBar | undefined;
  let t0 = 0;
  let done = 0;
  return {
    start(label, total) {
      t0 = performance.now();
      done = 0;
      bar = new cliProgress.SingleBar(
        {
          format: `${label.padEnd(22)} [{bar}] {percentage}% | {value}/{total} events | {rate} ev/s | ETA {eta_formatted}`,
          stream: process.stderr,
          hideCursor: true,
          etaBuffer: 50,
          noTTYOutput: !tty,
          notTTYSchedule: 15_000,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { rate: '-' });
    },
    tick(n) {
      done += n;
      bar?.increment(n, { rate: Math.round(done / ((performance.now() - t0) / 1000)) });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

interface RunFigures {
  events: number;
  /** What went through Kinesis: records, PUT payload units and bytes (data + partition keys). */
  kinesis?: { records: number; payloadUnits: number; bytes: number };
  batches: number;
  seconds: number;
  eventsPerSecond: number;
  writeUnits: number;
  readUnits: number;
  /** Logical table name → totals. */
  byTable: Record<string, TableTotals>;
  meter: MeterSnapshot;
  /** Mean wall time of one handler invocation, s. */
  secondsPerBatch: number;
  redeliveries: number;
  meterCheck: { items: number; mismatched: number; untracked: number; examples: string[] };
  /** Partitions with the most write units per event of the workload in their busiest simulated day. */
  peakShares: PeakShare[];
  /** The same from the second simulated week on (after the replay's cold start, when every member is new). */
  steadyPeakShares: PeakShare[];
  /** Memberflow's metrics-table writes by item kind (partition key prefix: d#, totals, la#, sm#, …). */
  metricsByKind?: Record<string, { writes: number; writeUnits: number; maxWriteUnits: number }>;
}

type Handler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

async function deliver(plan: BatchPlan, handler: Handler, bar: Progress, label: string) {
  const durations: number[] = [];
  bar.start(label, plan.records);
  const t0 = performance.now();
  try {
    const redeliveries = await deliverPlan(
      plan,
      async (event) => {
        const s = performance.now();
        try {
          return await handler(event);
        } finally {
          durations.push((performance.now() - s) / 1000);
        }
      },
      { onBatch: (n) => bar.tick(n) },
    );
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, redeliveries, secondsPerBatch: durations.reduce((a, b) => a + b, 0) / Math.max(durations.length, 1) };
  } finally {
    bar.stop();
  }
}

function figures(
  plan: BatchPlan,
  run: { seconds: number; redeliveries: number; secondsPerBatch: number },
  meter: CapacityMeter,
  logical: (physical: string) => string,
  check: RunFigures['meterCheck'],
  timezone: string,
): RunFigures {
  const snap = meter.snapshot();
  const perDay = eventsPerDay(plan, timezone);
  const firstDay = Math.min(...[...perDay.keys()].map(Number));
  const peakShares = meter.peakShares(perDay).map((p) => ({ ...p, table: logical(p.table) }));
  const steadyPeakShares = meter
    .peakShares(perDay, { epochs: (e) => Number(e) >= firstDay + 7 })
    .map((p) => ({ ...p, table: logical(p.table) }));
  const byTable: Record<string, TableTotals> = {};
  for (const [t, v] of Object.entries(snap.byTable)) byTable[logical(t)] = v;
  return {
    events: plan.records,
    kinesis:
      plan.kinesisRecords !== undefined
        ? { records: plan.kinesisRecords, payloadUnits: plan.payloadUnits ?? plan.kinesisRecords, bytes: plan.bytes ?? 0 }
        : undefined,
    batches: batchCount(plan),
    seconds: run.seconds,
    eventsPerSecond: plan.records / run.seconds,
    writeUnits: snap.writeUnits,
    readUnits: snap.readUnits,
    byTable,
    meter: {
      ...snap,
      hottestItems: snap.hottestItems.map((h) => ({ ...h, table: logical(h.table) })),
      hottestPartitions: snap.hottestPartitions.map((h) => ({ ...h, table: logical(h.table) })),
    },
    secondsPerBatch: run.secondsPerBatch,
    redeliveries: run.redeliveries,
    meterCheck: check,
    peakShares,
    steadyPeakShares,
  };
}

interface MemberflowRun {
  figures: RunFigures;
  /** Summed day counters, read after the run (unmetered). */
  days: Map<number, Map<string, number>>;
}

async function runMemberflow(
  endpoints: LocalEndpoints,
  w: Workload,
  program: Program,
  bar: Progress,
  label: string,
  plan: BatchPlan = w.plan,
): Promise<MemberflowRun> {
  const tag = plan === w.plan ? '' : `s${batchCount(plan)}`;
  const stack = await attachLocalStack({
    endpoints,
    prefix: `bench${process.pid}m${w.members}${tag}-`,
    withApi: false,
    withPollers: false,
    withScheduler: false,
  });
  const raw = dynamoClient(endpoints);
  try {
    const meter = newMeter(raw, program.timezone);
    const client = meteredClient(endpoints, meter);
    setDocumentClient(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }));
    const { handler } = await import('../functions/process-events');
    // Each invocation sees the time its batch would be processed live (bench/clock.ts).
    const run = await deliver(plan, (e) => atTime(batchTime(e), () => handler(e)), bar, label);
    meter.enabled = false;
    setDocumentClient(undefined);
    client.destroy();
    const byPhysical = new Map(Object.entries(stack.names.tables).map(([logicalId, physical]) => [physical, logicalId]));
    const check = await meter.verify(raw);
    const f = figures(plan, run, meter, (t) => byPhysical.get(t) ?? t, check, program.timezone);
    const metricsTable = stack.names.tables.MetricsTable;
    const partitions = meter.partitions(metricsTable);
    f.metricsByKind = {};
    for (const p of partitions) {
      const kind = p.key.slice(1).replace(/#.*$/, '#');
      const k = (f.metricsByKind[kind] ??= { writes: 0, writeUnits: 0, maxWriteUnits: 0 });
      k.writes += p.writes;
      k.writeUnits += p.writeUnits;
      k.maxWriteUnits = Math.max(k.maxWriteUnits, p.maxWriteUnits);
    }
    const store = new MetricsStore(DynamoDBDocumentClient.from(raw), metricsTable);
    const sums = await store.sum(w.dayRange.map(dayKey));
    const days = new Map(w.dayRange.map((d) => [d, sums.get(dayKey(d)) ?? new Map<string, number>()]));
    return { figures: f, days };
  } finally {
    await stack.stop();
    raw.destroy();
  }
}

interface BaselineRun {
  figures: RunFigures;
  days: Map<number, Record<string, number>>;
  /** Batches per shard it ran (null = all). */
  batchesPerShard: number | null;
}

async function runBaseline(
  endpoints: LocalEndpoints,
  w: Workload,
  program: Program,
  bar: Progress,
  batchesPerShard: number | null,
): Promise<BaselineRun> {
  const raw = dynamoClient(endpoints);
  try {
    const prefix = `bench${process.pid}b${w.members}-`;
    const tables = await createBaselineTables(raw, prefix);
    const meter = newMeter(raw, program.timezone);
    const client = meteredClient(endpoints, meter);
    const handler = makeBaselineHandler({ client, tables, program });
    const plan = subPlan(w.plan, batchesPerShard);
    // Writes are labelled with the batch's simulated day, but the baseline keeps the real clock: it
    // reads it only for idempotency-record expiries, and records already "expired" by the real
    // clock would be deleted by DynamoDB Local's TTL under it.
    const run = await deliver(plan, (e) => atTime(batchTime(e), () => handler(e), { patchNow: false }), bar, 'baseline (Powertools)');
    meter.enabled = false;
    client.destroy();
    const check = await meter.verify(raw);
    const f = figures(plan, run, meter, (t) => t.slice(prefix.length), check, program.timezone);
    return { figures: f, days: await readBaselineDays(raw, tables, w.dayRange), batchesPerShard };
  } finally {
    raw.destroy();
  }
}

/** Differences between the two designs' simple per-day counters. */
function compareDays(w: Workload, mf: MemberflowRun, bl: BaselineRun): { compared: number; differences: string[] } {
  const differences: string[] = [];
  let compared = 0;
  for (const d of w.dayRange) {
    for (const name of SIMPLE_COUNTERS) {
      compared++;
      const a = mf.days.get(d)?.get(name) ?? 0;
      const b = bl.days.get(d)?.[name] ?? 0;
      if (a !== b) differences.push(`${dayString(d)} ${name}: memberflow ${a}, baseline ${b}`);
    }
  }
  return { compared, differences };
}

// ---------------------------------------------------------------------------------------------

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const n2 = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const n3 = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 3, maximumFractionDigits: 3 });
const usd = (x: number) => `$${x.toFixed(x < 1 ? 4 : 2)}`;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ')).join('\n');
}

function perEvent(f: RunFigures): PerEvent {
  return {
    writeUnits: f.writeUnits / f.events,
    readUnits: f.readUnits / f.events,
    lambdaSeconds: (f.secondsPerBatch * f.batches) / f.events,
    invocations: f.batches / f.events,
    payloadUnits: f.kinesis ? f.kinesis.payloadUnits / f.events : 1,
    ...(f.kinesis ? { kinesisRecords: f.kinesis.records / f.events, bytes: f.kinesis.bytes / f.events } : {}),
  };
}

const hotOf = (shares: PeakShare[]) => {
  const p = shares[0];
  return p ? { table: p.table, key: p.key, share: p.share } : { table: '-', key: '-', share: 0 };
};

function measured(f: RunFigures, baseline?: RunFigures): Measured {
  return {
    perEvent: perEvent(f),
    writeUnitsByTable: Object.fromEntries(Object.entries(f.byTable).map(([t, v]) => [t, v.writeUnits / f.events])),
    hotPartition: hotOf(f.steadyPeakShares.length ? f.steadyPeakShares : f.peakShares),
    coldStartHotPartition: hotOf(f.peakShares),
    baselineHotPartition: baseline ? hotOf(baseline.peakShares) : undefined,
    secondsPerBatch: f.secondsPerBatch,
  };
}

const pricesText = () =>
  [
    `prices (${PRICES.region}, list, USD): DynamoDB on-demand $${PRICES.dynamoWriteRequestUnitsPerMillion} per million write request units, $${PRICES.dynamoReadRequestUnitsPerMillion} per million read request units (after the November 2024 cut);`,
    `  Lambda arm64 $${PRICES.lambdaArmGbSecond} per GB-s (${ASSUMPTIONS.lambdaMemoryGb} GB, duration = the mean invocation time measured here on DynamoDB Local) + $${PRICES.lambdaRequestsPerMillion} per million requests;`,
    `  Kinesis provisioned $${PRICES.kinesisShardHour} per shard-hour (shards used at ${ASSUMPTIONS.shardUtilisation * 100}% of ${ASSUMPTIONS.shardRecordsPerSecond} records/s) + $${PRICES.kinesisPutPayloadUnitsPerMillion} per million PUT payload units (1 per event).`,
  ].join('\n');

function tableBreakdown(f: RunFigures): string {
  const rows = [['table', 'writes', 'write units', 'WU/event', '>1 KB writes', 'largest item', 'read units']];
  for (const [t, v] of Object.entries(f.byTable).sort((a, b) => b[1].writeUnits - a[1].writeUnits)) {
    rows.push([
      t,
      n0(v.writes),
      n0(v.writeUnits),
      n3(v.writeUnits / f.events),
      n0(v.multiUnitWrites),
      `${n0(v.maxItemBytes)} B`,
      n0(v.readUnits),
    ]);
  }
  return table(rows);
}

interface Goal {
  goal: string;
  figure: string;
  met: boolean | null;
  cause?: string;
  next?: string;
}

function capacityTable(rows: CapacityRow[]): string {
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
function aggregationReport(plain: MemberflowRun, agg: MemberflowRun) {
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

async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
  const program = loadProgram();
  const bar = progress(process.stderr.isTTY === true);
  const say = (text = '') => process.stdout.write(`${text}\n`);
  const status = (text: string) => process.stderr.write(`${text}\n`);
  const t0 = performance.now();

  status('starting DynamoDB Local, kinesis-mock and s3rver…');
  const procs = await startLocalProcesses();
  try {
    if (opts.sweep) {
      const rows: {
        members: number;
        events: number;
        lowerBound: number;
        writeUnits: number;
        readUnits: number;
        eventsPerSecond: number;
        cost: CostBreakdown;
        meterCheck: RunFigures['meterCheck'];
      }[] = [];
      for (const members of SWEEP) {
        status(`simulating ${members} members × ${opts.days} days (seed ${opts.seed})…`);
        const w = workload(members, opts.days, opts.seed, opts.start, program);
        const mf = await runMemberflow(procs.endpoints, w, program, bar, `memberflow ${members}`);
        const f = mf.figures;
        rows.push({
          members,
          events: f.events,
          lowerBound: w.lowerBound.writeUnits,
          writeUnits: f.writeUnits,
          readUnits: f.readUnits,
          eventsPerSecond: f.eventsPerSecond,
          cost: costPerMillionEvents(perEvent(f)),
          meterCheck: f.meterCheck,
        });
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
      return;
    }

    status(`simulating ${opts.members} members × ${opts.days} days (seed ${opts.seed})…`);
    const w = workload(opts.members, opts.days, opts.seed, opts.start, program);
    status(`${w.plan.records} events in ${batchCount(w.plan)} batches; handler CPU with in-memory ports…`);
    const cpu: CpuResult = await measureHandlerCpu(w.plan.batches, program);
    const mf = await runMemberflow(procs.endpoints, w, program, bar, 'memberflow');
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
      `handler CPU (in-memory ports, no I/O): ${cpu.microsPerEvent.toFixed(1)} µs per event (fastest of ${cpu.passes.length} passes: ${cpu.passes.map((x) => x.toFixed(1)).join(', ')} µs)`,
    );
    say(
      `ratios: memberflow / lower bound = ${n2(f.writeUnits / lb.writeUnits)}×` +
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
    goals.push({
      goal: `write units per event flat (±${GOALS.sweepSpread * 100}%) across 1,000–4,000 members`,
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
          writeUnits: f.writeUnits,
          readUnits: f.readUnits,
          writeUnitsPerEvent: wuPerEvent,
          writeUnitsByTable: Object.fromEntries(Object.entries(f.byTable).map(([t, v]) => [t, v.writeUnits])),
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
          costPerMillionEventsUsd: cost.total,
          costPerMillionEventsBreakdownUsd: cost,
          baselineCostPerMillionEventsUsd: blCost?.total ?? null,
          ratios: {
            writeUnitsToLowerBound: f.writeUnits / lb.writeUnits,
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
          meterCheck: { memberflow: f.meterCheck, baseline: bl?.figures.meterCheck ?? null },
          stateCheck: state ? { compared: state.compared, differences: state.differences.length } : null,
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
