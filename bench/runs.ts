// One bench run: the workload and its batch plan, a metered DynamoDB client, delivery through a
// handler with a progress bar, the figures of a run, memberflow's run, the baseline's, and the
// day-by-day comparison of their answers.
import { type AttributeValue, DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import cliProgress from 'cli-progress';
import { performance } from 'node:perf_hooks';
import { setDocumentClient } from '../functions/adapters/clients';
import { MetricsStore } from '../functions/adapters/metrics-store';
import { dynamoClient, LOCAL_CREDENTIALS, LOCAL_REGION, type LocalEndpoints } from '../infra/local/engine/aws';
import { type BatchPlan, deliverPlan, planBatches } from '../infra/local/engine/batch-plan';
import { attachLocalStack } from '../infra/local/engine/stack';
import { dayNumber, dayOf, dayString } from '../shared/days/days';
import { dayKey } from '../shared/keys/metrics-keys';
import type { Program } from '../shared/programme/vocabulary';
import { eventsToJsonLines, simulate } from '../simulator';
import { createBaselineTables, makeBaselineHandler, readBaselineDays, SIMPLE_COUNTERS } from './baseline';
import { arriveLive, atTime, batchTime, currentTime } from './clock';
import { lowerBound, type LowerBound } from './lower-bound';
import type { AttrMap } from './billing';
import { CapacityMeter, describeWith, partitionKind, type MeterSnapshot, type PeakShare, type TableTotals } from './meter';
import { BATCH_SIZE, SHARDS } from './options';
import { measureRouteReads, type RouteReads } from './reads';

export interface Workload {
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

export function workload(members: number, days: number, seed: number, start: string, program: Program): Workload {
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

export function subPlan(plan: BatchPlan, batchesPerShard: number | null): BatchPlan {
  if (batchesPerShard === null) return plan;
  const batches = plan.batches.map((b) => b.slice(0, batchesPerShard));
  return { shards: plan.shards, batches, records: batches.flat().reduce((n, b) => n + b.Records.length, 0) };
}

export const batchCount = (plan: BatchPlan) => plan.batches.reduce((n, b) => n + b.length, 0);

// ---------------------------------------------------------------------------------------------

/** A client like the handlers' (SDK defaults: 50 sockets, 5 attempts), metered; SDK warnings muted. */
export function meteredClient(endpoints: LocalEndpoints, meter: CapacityMeter): DynamoDBClient {
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

export function newMeter(raw: DynamoDBClient, timezone: string): CapacityMeter {
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
export function eventsPerDay(plan: BatchPlan, timezone: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const shard of plan.batches) {
    for (const batch of shard) {
      const day = String(dayOf(batchTime(batch), timezone));
      out.set(day, (out.get(day) ?? 0) + batch.Records.length);
    }
  }
  return out;
}

export interface Progress {
  start(label: string, total: number): void;
  tick(n: number): void;
  stop(): void;
}

/** A bar on stderr (redrawn on a terminal, a line every 15 s otherwise). */
export function progress(tty: boolean): Progress {
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

export interface RunFigures {
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
  /** Write units by logical table and item kind (sort key prefix; ` tx` transactional, ` failed` failed condition). */
  byKind?: Record<string, Record<string, { writes: number; writeUnits: number }>>;
}

export type Handler = (event: KinesisStreamEvent) => Promise<KinesisStreamBatchResponse>;

export async function deliver(plan: BatchPlan, handler: Handler, bar: Progress, label: string) {
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

export function figures(
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

export interface MemberflowRun {
  figures: RunFigures;
  /** Summed day counters, read after the run (unmetered). */
  days: Map<number, Map<string, number>>;
  /** Requests and read units per call of each read route, on the filled tables. */
  routeReads: RouteReads[];
}

/** The first `n` distinct member ids of the workload's events. */
function sampleMembers(lines: readonly string[], n: number): string[] {
  const ids = new Set<string>();
  for (const line of lines) {
    const id = (JSON.parse(line) as { memberId?: string }).memberId;
    if (id) ids.add(id);
    if (ids.size >= n) break;
  }
  return [...ids];
}

export async function runMemberflow(
  endpoints: LocalEndpoints,
  w: Workload,
  program: Program,
  bar: Progress,
  label: string,
  plan: BatchPlan = w.plan,
  /** Tells apart the tables of runs of the same plan (e.g. `nc`: coins off, bench/coins-share.ts). */
  variant = '',
): Promise<MemberflowRun> {
  const tag = (plan === w.plan ? '' : `s${batchCount(plan)}`) + variant;
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
    // After the run's figures: the routes' reads are their own.
    const routeClient = meteredClient(endpoints, meter);
    const routeReads = await measureRouteReads(
      routeClient,
      meter,
      program,
      { first: w.dayRange[1], last: w.dayRange[w.dayRange.length - 2] },
      sampleMembers(w.lines, 20),
    );
    routeClient.destroy();
    f.byKind = Object.fromEntries([...byPhysical].map(([physical, logicalId]) => [logicalId, meter.kinds(physical)]));
    const metricsTable = stack.names.tables.MetricsTable;
    const partitions = meter.partitions(metricsTable);
    f.metricsByKind = {};
    for (const p of partitions) {
      const kind = partitionKind(p.key);
      const k = (f.metricsByKind[kind] ??= { writes: 0, writeUnits: 0, maxWriteUnits: 0 });
      k.writes += p.writes;
      k.writeUnits += p.writeUnits;
      k.maxWriteUnits = Math.max(k.maxWriteUnits, p.maxWriteUnits);
    }
    const store = new MetricsStore(DynamoDBDocumentClient.from(raw), metricsTable);
    const sums = await store.sum(w.dayRange.map(dayKey));
    const days = new Map(w.dayRange.map((d) => [d, sums.get(dayKey(d)) ?? new Map<string, number>()]));
    return { figures: f, days, routeReads };
  } finally {
    await stack.stop();
    raw.destroy();
  }
}

export interface BaselineRun {
  figures: RunFigures;
  days: Map<number, Record<string, number>>;
  /** Batches per shard it ran (null = all). */
  batchesPerShard: number | null;
}

export async function runBaseline(
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
export function compareDays(w: Workload, mf: MemberflowRun, bl: BaselineRun): { compared: number; differences: string[] } {
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
