// The fault-injection run (`npm run chaos`, and a small version in test/chaos/chaos.test.ts):
// a simulated month streamed through the embedded local stack — kinesis-mock, the local event
// source mapping, the real process-events handler, DynamoDB Local, the HTTP API — while faults
// are injected at every level:
//   stream     reordered records (across members), producer repeats, re-confirmed orders,
//              replayed files, poison records (harness/chaos/plan.ts);
//   handler    crashes after some member writes, DynamoDB throttling and timeouts, before or after
//              the write committed, surfaced to the handler or retried by the SDK
//              (harness/chaos/faults.ts);
//   services   kinesis-mock and DynamoDB Local stopped and restarted mid-run (with their data:
//              harness/chaos/services.ts).
// Then every member (activity, points, tier) and every daily, retention, session and channel
// figure is read back through the HTTP API and compared with the independent oracles
// (harness/oracle/activity-oracle.ts, harness/reference/points-reference.ts via points-oracle.ts).
// The goal: zero differences.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  PutRecordsCommand,
  type KinesisClient,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { kinesisClient, s3Client, sleep, type LocalEndpoints } from '../../infra/local/engine/aws';
import { inStreamOrder, readFailedBatches } from '../../infra/local/engine/failed-batches';
import { partitionKeyFor } from '../../infra/local/engine/kinesis-producer';
import { Producer } from '../../producer';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { synthTemplate } from '../../infra/synth';
import { setDocumentClient } from '../../functions/adapters/clients';
import { addDays, dayString, MS_PER_DAY, todayIn, zoneOffsetMs } from '../../shared/days/days';
import { eventsToJsonLines, simulate } from '../../simulator';
import { buildActivityOracle, type OracleEvent } from '../oracle/activity-oracle';
import { DEFAULT_RATES, FaultController, installController, INVOCATION_FAULTS, SDK_RETRIED_FAULTS, type FaultRates } from './faults';
import { installRetryClock } from './chaos-process-events';
import { buildPlan, type SendRecord } from './plan';
import { buildPointsOracle } from './points-oracle';
import { startChaosServices, type ChaosServices } from './services';

const TIMEZONE = 'Asia/Shanghai';
const WRAPPER_ENTRY = fileURLToPath(new URL('./chaos-process-events.ts', import.meta.url));

/** Every fault kind the run injects (and the report lists). */
export const FAULT_KINDS = [
  'reordered_records',
  'duplicate_record',
  'reconfirmed_order',
  'replayed_file',
  'poison_record',
  ...INVOCATION_FAULTS,
  ...SDK_RETRIED_FAULTS,
  'kinesis_restart',
  'dynamodb_restart',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface ChaosOptions {
  members: number;
  days: number;
  seed: number;
  /** First simulated day; default: the month ends yesterday. */
  start?: string;
  /**
   * Already-running services to use instead of starting restartable ones (then nothing is
   * restarted and the two restart faults are reported as not injected).
   */
  endpoints?: LocalEndpoints;
  log?: (msg: string) => void;
  /** Local runtime messages (batch failures, retries, destination writes). */
  debug?: (msg: string) => void;
  chunkSize?: number;
  rates?: Partial<FaultRates>;
  /** Batching window of the local mapping (AWS: 2 s). */
  batchWindowSeconds?: number;
  /** Retries re-read from the checkpoint with a larger batch (infra/local/engine/poller.ts `growRetries`). */
  growRetries?: boolean;
  /** Every redelivery runs with the wall clock just after the next midnight (programme time zone). */
  retryAfterMidnight?: boolean;
  /**
   * Producer aggregation: the plan's records are sent through the producer library with KPL
   * aggregation (records of one shard packed into aggregated Kinesis records), as the apps would.
   */
  aggregate?: boolean;
}

export interface Difference {
  what: string;
  expected: unknown;
  actual: unknown;
}

export interface ChaosReport {
  members: number;
  days: number;
  seed: number;
  window: { from: string; to: string };
  events: {
    simulated: number;
    recordsSent: number;
    validRecords: number;
    duplicates: number;
    reconfirmedOrders: number;
    replays: number;
    replayedRecords: number;
    replayLeftOut: number;
    reorderedRecords: number;
    poison: number;
    /** With producer aggregation: the aggregated Kinesis records the events went in (else = recordsSent). */
    kinesisRecords: number;
  };
  faults: Record<FaultKind, number>;
  faultKindsMissing: FaultKind[];
  delivery: {
    invocations: number;
    failedInvocations: number;
    recordsDelivered: number;
    recordsRetried: number;
    toDestination: number;
    replayedFromDestination: number;
    /** Retries that re-read past the attempt before, and the records they added. */
    grownRetries: number;
    recordsAddedOnRetry: number;
    /** Redeliveries run with the clock after the next midnight. */
    retriesAfterMidnight: number;
  };
  quarantined: { expected: number; actual: number; byReason: Record<string, number>; expectedByReason: Record<string, number> };
  restarts: { kinesisOutageMs: number | null; dynamodbOutageMs: number | null; dynamodbRestartedAfterRecords: number | null };
  compared: {
    members: number;
    memberFields: number;
    days: number;
    cohorts: number;
    figures: number;
    upgradeActions: number;
    actionRecords: number;
  };
  differences: number;
  sampleDifferences: Difference[];
  durationMs: number;
}

/** Five minutes past the next midnight in the programme's time zone (a retry that lands on the next day). */
function afterNextMidnight(now: number): number {
  const next = (todayIn(TIMEZONE, now) + 1) * MS_PER_DAY;
  return next - zoneOffsetMs(TIMEZONE, next) + 5 * 60_000;
}

// ---- producing -----------------------------------------------------------------------------

/**
 * The records through the producer library with KPL aggregation: each chunk's records of one shard
 * packed into aggregated Kinesis records, in order; failed entries sent again (its own retry).
 */
async function sendAggregated(client: KinesisClient, streamName: string, records: readonly SendRecord[]): Promise<number> {
  const producer = new Producer({ client, streamName, aggregate: true, maxAttempts: 10 });
  await producer.send(records.map((r) => ({ data: r.data, partitionKey: r.memberId ?? partitionKeyFor(r.data.toString('utf8')) })));
  return producer.counters.kinesisRecords;
}

/** PutRecords in order, ≤ 500 records / 5 MB a call; failed entries (or calls) sent again. */
async function sendRecords(client: KinesisClient, StreamName: string, records: readonly SendRecord[]): Promise<void> {
  let chunk: PutRecordsRequestEntry[] = [];
  let bytes = 0;
  const flush = async () => {
    let pending = chunk;
    for (let attempt = 1; pending.length; attempt++) {
      try {
        const res = await client.send(new PutRecordsCommand({ StreamName, Records: pending }));
        pending = res.FailedRecordCount ? pending.filter((_, i) => res.Records?.[i]?.ErrorCode) : [];
      } catch (err) {
        if (attempt >= 10) throw err;
      }
      if (pending.length) {
        if (attempt >= 10) throw new Error(`${pending.length} records still failing after ${attempt} PutRecords calls`);
        await sleep(Math.min(100 * 2 ** attempt, 2000));
      }
    }
    chunk = [];
    bytes = 0;
  };
  for (const r of records) {
    const PartitionKey = r.memberId ?? partitionKeyFor(r.data.toString('utf8'));
    const size = r.data.length + Buffer.byteLength(PartitionKey);
    if (chunk.length >= 500 || bytes + size > 4.5 * 1024 * 1024) await flush();
    chunk.push({ Data: r.data, PartitionKey });
    bytes += size;
  }
  await flush();
}

/** Every record on a stream, from the trim horizon. */
async function readStream(client: KinesisClient, StreamName: string): Promise<any[]> {
  const out: any[] = [];
  const shards = await client.send(new ListShardsCommand({ StreamName }));
  for (const shard of shards.Shards ?? []) {
    let iterator = (
      await client.send(new GetShardIteratorCommand({ StreamName, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))
    ).ShardIterator;
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) out.push(JSON.parse(Buffer.from(r.Data!).toString('utf8')));
      if (!page.Records?.length && !page.MillisBehindLatest) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

// ---- comparing -----------------------------------------------------------------------------

class Differ {
  readonly differences: Difference[] = [];
  figures = 0;

  /** Deep comparison; each differing leaf is one difference. */
  compare(what: string, expected: unknown, actual: unknown): void {
    if (expected !== null && typeof expected === 'object') {
      if (actual === null || typeof actual !== 'object' || Array.isArray(expected) !== Array.isArray(actual)) {
        this.figures++;
        this.differences.push({ what, expected, actual });
        return;
      }
      const keys = new Set([...Object.keys(expected as object), ...Object.keys(actual as object)]);
      for (const k of keys) {
        this.compare(
          Array.isArray(expected) ? `${what}[${k}]` : `${what}.${k}`,
          (expected as Record<string, unknown>)[k],
          (actual as Record<string, unknown>)[k],
        );
      }
      return;
    }
    this.figures++;
    if (!Object.is(expected, actual)) this.differences.push({ what, expected, actual });
  }
}

async function api(stack: LocalStack, path: string): Promise<{ status: number; body: any }> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${stack.token}` } });
    const body = await res.json().catch(() => null);
    if (res.status < 500 || attempt >= 3) return { status: res.status, body };
    await sleep(200);
  }
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

// ---- the run -------------------------------------------------------------------------------

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const t0 = Date.now();
  const log = opts.log ?? (() => undefined);
  const debug = opts.debug ?? (() => undefined);
  const today = todayIn(TIMEZONE);
  const from = opts.start ?? dayString(addDays(today, -opts.days));
  const to = addDays(from, opts.days - 1);
  if (to >= dayString(today)) throw new Error(`the simulated month must end before today (${dayString(today)}); it ends ${to}`);

  const lines = [
    ...eventsToJsonLines(simulate({ members: opts.members, days: opts.days, seed: opts.seed, start: from, timezone: TIMEZONE })),
  ];
  const restartable = !opts.endpoints;
  const plan = buildPlan(lines, { seed: opts.seed, chunkSize: opts.chunkSize, restarts: { kinesis: restartable, dynamodb: restartable } });
  const arrivals: OracleEvent[] = [];
  let recordsSent = 0;
  for (const step of plan.steps)
    if (step.kind === 'records')
      for (const r of step.records) {
        recordsSent++;
        if (r.event) arrivals.push(r.event as OracleEvent);
      }
  log(
    `simulated ${lines.length} events of ${opts.members} members, ${from} … ${to}; plan: ${recordsSent} records in ${plan.steps.filter((s) => s.kind === 'records').length} sends, ${plan.counts.restarts} restarts`,
  );

  let services: ChaosServices | undefined;
  let stack: LocalStack | undefined;
  const restarts: ChaosReport['restarts'] = { kinesisOutageMs: null, dynamodbOutageMs: null, dynamodbRestartedAfterRecords: null };
  try {
    if (!opts.endpoints) services = await startChaosServices({ log });
    const endpoints = opts.endpoints ?? services!.endpoints;

    // The same template, with ProcessEventsFunction's handler wrapped by the fault controller.
    const template = synthTemplate({ timezone: TIMEZONE }) as Record<string, any>;
    template.Resources.ProcessEventsFunction.Metadata['memberflow:entry'] = WRAPPER_ENTRY;
    stack = await attachLocalStack({
      endpoints,
      template,
      prefix: `chaos${process.pid}x${randomBytes(3).toString('hex')}-`,
      apiPort: 0,
      token: randomBytes(18).toString('base64url'),
      withScheduler: false,
      mappingOverrides: { maximumBatchingWindowInSeconds: opts.batchWindowSeconds ?? 1 },
      // Backoff between retries of a failed batch: 0.5, 1, 2, 2, 2 s — the five retries span a
      // DynamoDB Local restart (a JVM start, several seconds on a busy machine).
      pollerOptions: { retryBaseMs: 500, growRetries: opts.growRetries ?? false },
      log: debug,
    });
    const faulty = new FaultController(opts.seed, stack.names.tables.MembersTable, { ...DEFAULT_RATES, ...opts.rates });
    installController(faulty);
    const retryClock = installRetryClock(opts.retryAfterMidnight ? afterNextMidnight : undefined);
    setDocumentClient(faulty.documentClient(endpoints.dynamodb));
    faulty.enabled = true;
    const mapping = stack.poller!.mappings[0];
    const kin = kinesisClient(endpoints);
    const stream = stack.names.streams.EventsStream;

    try {
      // Planned handler faults pause while a service restarts, so that the outage alone is what
      // the retries have to ride out.
      let dynamoRestart: Promise<void> | undefined;
      let sent = 0;
      let reported = 0;
      let aggregatedRecords = 0;
      for (const step of plan.steps) {
        if (step.kind === 'records') {
          if (opts.aggregate) aggregatedRecords += await sendAggregated(kin, stream, step.records);
          else await sendRecords(kin, stream, step.records);
          sent += step.records.length;
          debug(`sent ${step.label} (${step.records.length} records); consumer at ${mapping.stats.recordsDelivered} deliveries`);
          if (sent - reported >= recordsSent / 5) {
            reported = sent;
            log(
              `sent ${sent}/${recordsSent} records (${((Date.now() - t0) / 1000).toFixed(0)} s); consumer at ${mapping.stats.recordsDelivered} deliveries`,
            );
          }
          continue;
        }
        faulty.paused = true;
        if (step.service === 'kinesis') {
          // The producer waits for it (records put while kinesis-mock is down would fail).
          await dynamoRestart;
          restarts.kinesisOutageMs = await services!.restartKinesis();
          log(`kinesis-mock restarted (outage ${restarts.kinesisOutageMs} ms)`);
          await sleep(500);
          faulty.paused = false;
        } else {
          // DynamoDB Local goes down while records keep arriving and the consumer keeps working.
          restarts.dynamodbRestartedAfterRecords = mapping.stats.recordsDelivered;
          dynamoRestart = services!.restartDynamo().then(async (outage) => {
            restarts.dynamodbOutageMs = outage;
            log(`DynamoDB Local restarted (outage ${outage} ms, ${restarts.dynamodbRestartedAfterRecords} deliveries before it)`);
            await sleep(500);
            faulty.paused = false;
          });
          dynamoRestart.catch(() => undefined); // awaited below; a failure surfaces there
        }
      }
      await dynamoRestart;
      log(`all ${recordsSent} records sent in ${((Date.now() - t0) / 1000).toFixed(1)} s; draining`);
      await stack.drain({ timeoutMs: 900_000 });

      // Runbook: replay whatever reached the on-failure destination (none, when all goes well),
      // in stream order, each record once.
      let replayedFromDestination = 0;
      const s3 = s3Client(endpoints);
      try {
        const failed = inStreamOrder(await readFailedBatches(s3, stack.names.buckets.FailedBatchesBucket));
        await sendRecords(
          kin,
          stream,
          failed.map((r): SendRecord => ({ data: r.data, memberId: r.partitionKey })),
        );
        replayedFromDestination = failed.length;
      } finally {
        s3.destroy();
      }
      if (replayedFromDestination) {
        log(`replayed ${replayedFromDestination} records from the on-failure destination`);
        await stack.drain({ timeoutMs: 900_000 });
      }
      faulty.enabled = false;

      // ---- compare with the oracles ----
      log('comparing every member and figure with the oracles');
      const activity = buildActivityOracle(arrivals, TIMEZONE);
      const points = buildPointsOracle(arrivals, TIMEZONE);
      const differ = new Differ();
      const memberIds = activity.memberIds();
      let memberFields = 0;
      await forEachLimited(memberIds, 8, async (memberId) => {
        const res = await api(stack!, `/members/${encodeURIComponent(memberId)}?asOf=${to}`);
        if (res.status !== 200) {
          differ.compare(`member ${memberId}: status`, 200, res.status);
          return;
        }
        const a = activity.member(memberId)!;
        const p = points.member(memberId, a.joinedOn, to);
        const expected = { ...a, ...p };
        const actual = Object.fromEntries(Object.keys(expected).map((k) => [k, res.body[k]]));
        memberFields += Object.keys(expected).length;
        differ.compare(`member ${memberId}`, expected, actual);
      });
      for (const ghost of plan.poisonOnlyMembers) {
        differ.compare(
          `member ${ghost} (named only by poison records): status`,
          404,
          (await api(stack, `/members/${ghost}?asOf=${to}`)).status,
        );
      }
      const daily = await api(stack, `/metrics/daily?from=${from}&to=${to}`);
      differ.compare('daily', activity.daily(from, to), daily.body?.days);
      const retention = await api(stack, `/metrics/retention?from=${from}&to=${to}`);
      differ.compare('retention', activity.retention(from, to), retention.body?.cohorts);
      const sessions = await api(stack, `/metrics/sessions?from=${from}&to=${to}`);
      differ.compare('sessions', activity.sessions(from, to), sessions.body?.days);
      const channels = await api(stack, `/metrics/retention-by-channel?from=${from}&to=${to}`);
      differ.compare(
        'retention-by-channel',
        activity.retentionByChannel(from, to),
        (channels.body?.channels ?? []).map(({ channel, size, d1, d7, d30 }: any) => ({ channel, size, d1, d7, d30 })),
      );
      const program = await api(stack, '/metrics/program');
      const byTier: Record<string, number> = { member: 0, silver: 0, gold: 0, platinum: 0 };
      for (const memberId of memberIds) byTier[points.member(memberId, activity.member(memberId)!.joinedOn, to).tier]++;
      differ.compare('program', { members: memberIds.length, byTier }, { members: program.body?.members, byTier: program.body?.byTier });

      // Outbound actions: each upgrade exactly once (by its deterministic id), none extra.
      const actionRecords = await readStream(kin, stack.names.streams.ActionsStream);
      kin.destroy();
      const byActionId = new Map<string, string>();
      const upgradesSeen = new Map<string, Set<string>>();
      let actionIdConflicts = 0;
      for (const a of actionRecords) {
        const content = JSON.stringify(a);
        const seen = byActionId.get(a.actionId);
        if (seen !== undefined && seen !== content) actionIdConflicts++;
        byActionId.set(a.actionId, content);
        if (a.type !== 'tier_upgraded') continue;
        if (!upgradesSeen.has(a.memberId)) upgradesSeen.set(a.memberId, new Set());
        upgradesSeen.get(a.memberId)!.add(`${a.day}|${a.details?.from}|${a.details?.to}`);
      }
      differ.compare('actions: one actionId, one content', 0, actionIdConflicts);
      let upgrades = 0;
      for (const memberId of new Set([...memberIds, ...upgradesSeen.keys()])) {
        const joinedOn = activity.member(memberId)?.joinedOn;
        const expected = joinedOn ? points.upgradesOf(memberId, joinedOn) : [];
        upgrades += expected.length;
        differ.compare(`tier_upgraded actions of ${memberId}`, expected, [...(upgradesSeen.get(memberId) ?? [])].sort());
      }

      const quarantine = await api(stack, '/quarantine?limit=1000');
      const byReason: Record<string, number> = {};
      for (const q of quarantine.body ?? []) byReason[q.reason] = (byReason[q.reason] ?? 0) + 1;
      const sortKeys = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
      differ.compare('quarantine by reason', sortKeys(plan.counts.poisonByReason), sortKeys(byReason));

      const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>;
      faults.reordered_records = plan.counts.reorderedRecords;
      faults.duplicate_record = plan.counts.duplicates;
      faults.reconfirmed_order = plan.counts.reconfirmedOrders;
      faults.replayed_file = plan.counts.replays;
      faults.poison_record = plan.counts.poison;
      for (const [k, v] of Object.entries(faulty.counts)) faults[k as FaultKind] = v;
      faults.kinesis_restart = restarts.kinesisOutageMs === null ? 0 : 1;
      faults.dynamodb_restart = restarts.dynamodbOutageMs === null ? 0 : 1;

      const stats = mapping.stats;
      const report: ChaosReport = {
        members: opts.members,
        days: opts.days,
        seed: opts.seed,
        window: { from, to },
        events: {
          simulated: lines.length,
          recordsSent,
          validRecords: arrivals.length,
          duplicates: plan.counts.duplicates,
          reconfirmedOrders: plan.counts.reconfirmedOrders,
          replays: plan.counts.replays,
          replayedRecords: plan.counts.replayedRecords,
          replayLeftOut: plan.counts.replayLeftOut,
          reorderedRecords: plan.counts.reorderedRecords,
          poison: plan.counts.poison,
          kinesisRecords: opts.aggregate ? aggregatedRecords : recordsSent,
        },
        faults,
        faultKindsMissing: FAULT_KINDS.filter((k) => faults[k] === 0),
        delivery: {
          invocations: stats.invocations,
          failedInvocations: stats.failedInvocations,
          recordsDelivered: stats.recordsDelivered,
          // Deliveries count Kinesis records (an aggregate once).
          recordsRetried: stats.recordsDelivered - (opts.aggregate ? aggregatedRecords : recordsSent) - replayedFromDestination,
          toDestination: stats.recordsToDestination,
          replayedFromDestination,
          grownRetries: stats.grownRetries,
          recordsAddedOnRetry: stats.recordsAddedOnRetry,
          retriesAfterMidnight: retryClock?.retries ?? 0,
        },
        quarantined: {
          expected: plan.counts.poison,
          actual: (quarantine.body ?? []).length,
          byReason: sortKeys(byReason),
          expectedByReason: sortKeys(plan.counts.poisonByReason),
        },
        restarts,
        compared: {
          members: memberIds.length,
          memberFields,
          days: opts.days,
          cohorts: opts.days,
          figures: differ.figures,
          upgradeActions: upgrades,
          actionRecords: actionRecords.length,
        },
        differences: differ.differences.length,
        sampleDifferences: differ.differences.slice(0, 20),
        durationMs: Date.now() - t0,
      };
      return report;
    } finally {
      kin.destroy();
      faulty.enabled = false;
      installController(undefined);
      installRetryClock(undefined);
      setDocumentClient(undefined);
    }
  } finally {
    await stack?.stop();
    await services?.stop();
  }
}

// ---- printing ------------------------------------------------------------------------------

export function formatReport(r: ChaosReport): string {
  const row = (k: string, v: unknown) => `  ${k.padEnd(40)} ${v}`;
  const out = [
    `chaos run — ${r.members} members × ${r.days} days (${r.window.from} … ${r.window.to}), seed ${r.seed}, ${(r.durationMs / 1000).toFixed(1)} s`,
    '',
    'events',
    row('simulated events', r.events.simulated),
    row('records sent (with repeats and poison)', r.events.recordsSent),
    ...(r.events.kinesisRecords !== r.events.recordsSent ? [row('  in aggregated Kinesis records', r.events.kinesisRecords)] : []),
    row('valid records (to the oracle)', r.events.validRecords),
    row('  producer repeats', r.events.duplicates),
    row('  re-confirmed orders', r.events.reconfirmedOrders),
    row(
      '  replayed files / records',
      `${r.events.replays} / ${r.events.replayedRecords}${r.events.replayLeftOut ? ` (${r.events.replayLeftOut} beyond the 64-event window left out)` : ''}`,
    ),
    row('  records reordered (across members)', r.events.reorderedRecords),
    row('  poison records', r.events.poison),
    '',
    'faults injected, by kind',
    ...FAULT_KINDS.map((k) => row(`  ${k}`, r.faults[k])),
    row('kinds not injected', r.faultKindsMissing.length ? r.faultKindsMissing.join(', ') : 'none'),
    '',
    'delivery (local event source mapping)',
    row('invocations / failed', `${r.delivery.invocations} / ${r.delivery.failedInvocations}`),
    row('records delivered', r.delivery.recordsDelivered),
    row('records retried (delivered again)', r.delivery.recordsRetried),
    row('records to the on-failure destination', r.delivery.toDestination),
    row('records replayed from it', r.delivery.replayedFromDestination),
    row('grown retries (records they added)', `${r.delivery.grownRetries} (${r.delivery.recordsAddedOnRetry})`),
    row('retries run after the next midnight', r.delivery.retriesAfterMidnight),
    row('kinesis-mock restart outage', r.restarts.kinesisOutageMs === null ? 'not restarted' : `${r.restarts.kinesisOutageMs} ms`),
    row(
      'DynamoDB Local restart outage',
      r.restarts.dynamodbOutageMs === null
        ? 'not restarted'
        : `${r.restarts.dynamodbOutageMs} ms (after ${r.restarts.dynamodbRestartedAfterRecords} deliveries)`,
    ),
    '',
    'quarantine',
    row('quarantined / expected', `${r.quarantined.actual} / ${r.quarantined.expected}`),
    row(
      'by reason',
      Object.entries(r.quarantined.byReason)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ),
    '',
    'comparison with the oracles',
    row('members compared (fields)', `${r.compared.members} (${r.compared.memberFields})`),
    row('figures compared', r.compared.figures),
    row('tier upgrades (actions on ActionsStream)', `${r.compared.upgradeActions} (of ${r.compared.actionRecords} action records)`),
    row('DIFFERENCES', r.differences),
    ...r.sampleDifferences.map((d) => `    ${d.what}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`),
  ];
  return out.join('\n');
}
