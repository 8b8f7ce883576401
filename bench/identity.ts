/**
 * What OneID costs in writes (issue 14: "events that need forwarding cost at most one extra write
 * each"), on DynamoDB Local: the simulated identity history — persons starting anonymous (app
 * installs, store cards), some never identified, identifies arriving late, second devices after the
 * identify, one operator merge per 40 persons — streamed through the consumer over the bench's 4
 * shards, with every record the consumer forwards (identity_link, identity_absorb, identity_forward)
 * put back on the shard of its partition key at the time its batch ran, and delivered there in
 * arrival order like any record. Then the same history with every id already resolved to its person
 * (the final identity graph: no identify, no merge, each event under the member it ends with), the
 * same way. Their difference in item writes and write units, per forwarded record, is what
 * forwarding costs. The api's merge requests are stored unmetered (they are not the stream's).
 */
import type { HandlerExecutionContext } from '@smithy/types';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { kinesisClient, setDocumentClient } from '../functions/adapters/clients';
import { DynamoMergeRequests } from '../functions/adapters/merge-store';
import { dynamoClient, type LocalEndpoints } from '../infra/local/engine/aws';
import { shardIndexFor } from '../infra/local/engine/batch-plan';
import { partitionKeyFor } from '../infra/local/engine/kinesis-producer';
import { attachLocalStack } from '../infra/local/engine/stack';
import { memberMergeCommand } from '../shared/identity/commands';
import { eventsToJsonLines, operatorMerges, simulate, withIdentities } from '../simulator';
import { atTime, batchTime } from './clock';
import { BATCH_SIZE, SHARDS } from './options';
import { meteredClient, newMeter, type Progress } from './runs';

export interface IdentityRun {
  /** Records the producer put (events, and the api's merge commands). */
  events: number;
  writeUnits: number;
  /** Item writes (attempted, failed conditions included). */
  itemWrites: number;
  /** Records the consumer put back on the stream, by type. */
  forwarded: Record<string, number>;
  redeliveries: number;
  seconds: number;
}

export interface IdentityFigures {
  persons: number;
  days: number;
  seed: number;
  anonymousIds: number;
  identifies: number;
  merges: number;
  withIds: IdentityRun;
  resolved: IdentityRun;
  /** Records forwarded by the consumer in the identity run. */
  forwardedRecords: number;
  extraWritesPerForwarded: number;
  extraWriteUnitsPerForwarded: number;
}

interface Line {
  partitionKey: string;
  data: string;
  /** ms */
  arrival: number;
}

interface Event {
  type: string;
  memberId?: string;
  anonymousId?: string;
  [field: string]: unknown;
}

/** The history with identities, its merges as the api puts them, and the same history resolved to persons. */
export function identityHistory(persons: number, days: number, seed: number, start: string, timezone: string) {
  const events = withIdentities(simulate({ members: persons, days, seed, start, timezone }), { seed }) as unknown as Event[];
  const merges = operatorMerges(events as never, { seed, count: Math.round(persons / 40) });
  const lines: string[] = [];
  let next = 0;
  const eventLines = [...eventsToJsonLines(events as never)];
  eventLines.forEach((line, i) => {
    for (; next < merges.length && merges[next].at <= i; next++) {
      const m = merges[next];
      lines.push(JSON.stringify(memberMergeCommand({ mergeId: m.mergeId, into: m.into, from: m.from, occurredAt: m.occurredAt })));
    }
    lines.push(line);
  });
  for (const m of merges.slice(next))
    lines.push(JSON.stringify(memberMergeCommand({ mergeId: m.mergeId, into: m.into, from: m.from, occurredAt: m.occurredAt })));

  // The final graph: an anonymous id to the member of its first identify, a member merged away to the member kept.
  const links = new Map<string, string>();
  for (const e of events) if (e.type === 'identify' && !links.has(e.anonymousId!)) links.set(e.anonymousId!, e.memberId!);
  const into = new Map(merges.map((m) => [m.from, m.into]));
  const person = (memberId: string) => {
    let id = memberId;
    while (into.has(id)) id = into.get(id)!;
    return id;
  };
  const resolved = events
    .filter((e) => e.type !== 'identify')
    .map((e) => {
      const memberId = e.memberId ?? links.get(e.anonymousId!);
      if (memberId === undefined) return JSON.stringify(e);
      const { anonymousId: _anonymousId, ...rest } = e;
      return JSON.stringify({ ...rest, memberId: person(memberId) });
    });
  return {
    lines,
    resolved,
    merges,
    anonymousIds: new Set(events.flatMap((e) => (e.anonymousId && e.type !== 'identify' ? [e.anonymousId] : []))).size,
    identifies: events.filter((e) => e.type === 'identify').length,
  };
}

/** Per shard, records not yet delivered, in arrival order; sequence numbers given at delivery. */
class LiveShards {
  private readonly pending: Line[][] = Array.from({ length: SHARDS }, () => []);
  private serial = 0;

  put(line: Line): void {
    const queue = this.pending[shardIndexFor(line.partitionKey, SHARDS)];
    // After every record that arrived no later (most puts go at the end).
    let at = queue.length;
    while (at > 0 && queue[at - 1].arrival > line.arrival) at--;
    queue.splice(at, 0, line);
  }

  /** The shard whose next record arrived first, or -1. */
  next(): number {
    let best = -1;
    for (let s = 0; s < SHARDS; s++)
      if (this.pending[s].length && (best < 0 || this.pending[s][0].arrival < this.pending[best][0].arrival)) best = s;
    return best;
  }

  take(shard: number, n: number): KinesisStreamRecord[] {
    return this.pending[shard].splice(0, n).map((line) => {
      const seq = `4959${String(shard).padStart(4, '0')}${String(++this.serial).padStart(48, '0')}`;
      return {
        kinesis: {
          kinesisSchemaVersion: '1.0',
          partitionKey: line.partitionKey,
          sequenceNumber: seq,
          data: line.data,
          approximateArrivalTimestamp: line.arrival / 1000,
        },
        eventSource: 'aws:kinesis',
        eventVersion: '1.0',
        eventID: `shardId-${String(shard).padStart(12, '0')}:${seq}`,
        eventName: 'aws:kinesis:record',
        invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
        awsRegion: 'us-east-1',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:000000000000:stream/EventsStream',
      };
    });
  }
}

async function run(
  endpoints: LocalEndpoints,
  lines: readonly string[],
  merges: readonly { mergeId: string; into: string; from: string; occurredAt: string }[],
  timezone: string,
  bar: Progress,
  label: string,
  tag: string,
): Promise<IdentityRun> {
  const stack = await attachLocalStack({
    endpoints,
    prefix: `bench${process.pid}id${tag}-`,
    withApi: false,
    withPollers: false,
    withScheduler: false,
  });
  const raw = dynamoClient(endpoints);
  const kinesis = kinesisClient();
  const captured: Line[] = [];
  const forwarded: Record<string, number> = {};
  let now = 0;
  // The consumer's puts: forwards onto the events stream are kept for delivery, actions dropped
  // (Kinesis is not what is measured here).
  kinesis.middlewareStack.add(
    (next, context: HandlerExecutionContext) => async (args) => {
      if (context.commandName !== 'PutRecordsCommand') return next(args);
      const input = args.input as { StreamName?: string; Records: { Data: Uint8Array; PartitionKey: string }[] };
      if (input.StreamName === stack.names.streams.EventsStream)
        for (const r of input.Records) {
          const data = Buffer.from(r.Data);
          const type = String((JSON.parse(data.toString('utf8')) as { type?: unknown }).type);
          forwarded[type] = (forwarded[type] ?? 0) + 1;
          captured.push({ partitionKey: r.PartitionKey, data: data.toString('base64'), arrival: now });
        }
      const Records = input.Records.map((_, i) => ({ ShardId: 'shardId-000000000000', SequenceNumber: String(i) }));
      return { output: { $metadata: {}, FailedRecordCount: 0, Records }, response: {} } as never;
    },
    { step: 'initialize', name: 'benchIdentityForwards' },
  );
  try {
    const requests = new DynamoMergeRequests(DynamoDBDocumentClient.from(raw), stack.names.tables.MembersTable);
    for (const m of merges)
      await requests.accept({ mergeId: m.mergeId, into: m.into, from: m.from, requestedAt: m.occurredAt, requestedBy: 'bench' });
    const meter = newMeter(raw, timezone);
    const client = meteredClient(endpoints, meter);
    setDocumentClient(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }));
    const { handler } = await import('../functions/process-events');
    const shards = new LiveShards();
    for (const line of lines) {
      const occurredAt = Date.parse((JSON.parse(line) as { occurredAt: string }).occurredAt);
      shards.put({ partitionKey: partitionKeyFor(line), data: Buffer.from(line, 'utf8').toString('base64'), arrival: occurredAt + 1000 });
    }
    bar.start(label, lines.length);
    const t0 = Date.now();
    let redeliveries = 0;
    for (let shard = shards.next(); shard >= 0; shard = shards.next()) {
      let records = shards.take(shard, BATCH_SIZE);
      const fromStream = records.length;
      while (records.length) {
        const event: KinesisStreamEvent = { Records: records };
        now = batchTime(event);
        let failed: string | undefined;
        try {
          failed = (await atTime(now, () => handler(event)))?.batchItemFailures?.[0]?.itemIdentifier;
        } catch {
          failed = records[0].kinesis.sequenceNumber;
        }
        for (const line of captured.splice(0)) shards.put(line);
        if (failed === undefined) break;
        if (++redeliveries > 1000) throw new Error(`${label}: gave up after ${redeliveries} re-deliveries`);
        records = records.slice(records.findIndex((r) => r.kinesis.sequenceNumber === failed));
      }
      bar.tick(fromStream);
    }
    bar.stop();
    meter.enabled = false;
    setDocumentClient(undefined);
    client.destroy();
    const snap = meter.snapshot();
    const itemWrites = Object.values(snap.byTable).reduce((n, t) => n + t.writes, 0);
    return { events: lines.length, writeUnits: snap.writeUnits, itemWrites, forwarded, redeliveries, seconds: (Date.now() - t0) / 1000 };
  } finally {
    kinesis.middlewareStack.remove('benchIdentityForwards');
    await stack.stop();
    raw.destroy();
  }
}

export async function measureIdentity(
  endpoints: LocalEndpoints,
  opts: { persons: number; days: number; seed: number; start: string; timezone: string },
  bar: Progress,
): Promise<IdentityFigures> {
  const h = identityHistory(opts.persons, opts.days, opts.seed, opts.start, opts.timezone);
  const withIds = await run(endpoints, h.lines, h.merges, opts.timezone, bar, 'identity history', 'i');
  const resolved = await run(endpoints, h.resolved, [], opts.timezone, bar, 'identity resolved', 'r');
  const forwardedRecords = Object.values(withIds.forwarded).reduce((a, b) => a + b, 0);
  return {
    persons: opts.persons,
    days: opts.days,
    seed: opts.seed,
    anonymousIds: h.anonymousIds,
    identifies: h.identifies,
    merges: h.merges.length,
    withIds,
    resolved,
    forwardedRecords,
    extraWritesPerForwarded: (withIds.itemWrites - resolved.itemWrites) / Math.max(forwardedRecords, 1),
    extraWriteUnitsPerForwarded: (withIds.writeUnits - resolved.writeUnits) / Math.max(forwardedRecords, 1),
  };
}

export function formatIdentity(f: IdentityFigures): string {
  const w = f.withIds;
  const r = f.resolved;
  const kinds = Object.entries(w.forwarded)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `identity history (${f.persons} persons × ${f.days} days, seed ${f.seed}: ${f.anonymousIds} anonymous ids, ${f.identifies} identifies, ${f.merges} operator merges; ${SHARDS} shards × ${BATCH_SIZE}-record batches, forwards delivered on their shard):`,
    `  with ids: ${w.events} records, ${w.writeUnits} WU (${(w.writeUnits / w.events).toFixed(3)} per event), ${w.itemWrites} item writes (${(w.itemWrites / w.events).toFixed(3)} per event); forwarded ${f.forwardedRecords} (${kinds}); re-deliveries ${w.redeliveries}; ${w.seconds.toFixed(0)} s`,
    `  resolved to persons: ${r.events} events, ${r.writeUnits} WU (${(r.writeUnits / r.events).toFixed(3)} per event), ${r.itemWrites} item writes (${(r.itemWrites / r.events).toFixed(3)} per event)`,
    `  extra per forwarded record: ${f.extraWritesPerForwarded.toFixed(3)} item writes (goal ≤ 1), ${f.extraWriteUnitsPerForwarded.toFixed(3)} WU`,
  ].join('\n');
}

/** The section's figures for the bench's --json line. */
export function identityJson(f: IdentityFigures) {
  const perEvent = (r: IdentityRun) => ({
    events: r.events,
    writeUnits: r.writeUnits,
    writeUnitsPerEvent: r.writeUnits / r.events,
    itemWrites: r.itemWrites,
    itemWritesPerEvent: r.itemWrites / r.events,
  });
  return {
    persons: f.persons,
    days: f.days,
    seed: f.seed,
    anonymousIds: f.anonymousIds,
    identifies: f.identifies,
    merges: f.merges,
    ...perEvent(f.withIds),
    forwardedRecords: f.forwardedRecords,
    forwardedByType: f.withIds.forwarded,
    extraWritesPerForwarded: f.extraWritesPerForwarded,
    extraWriteUnitsPerForwarded: f.extraWriteUnitsPerForwarded,
    resolved: perEvent(f.resolved),
  };
}

/** The bound: at most one extra item write per record that needed forwarding. */
export const identityGoal = (f: IdentityFigures) => ({
  goal: 'extra item writes per forwarded record ≤ 1 (identity history against the same history resolved to persons)',
  figure: f.extraWritesPerForwarded.toFixed(3),
  met: f.extraWritesPerForwarded <= 1,
  cause: 'see the identity section above',
});
