/**
 * Write units per coin redemption (issue 12: goal ≤ 2), by DynamoDB's billing rules (bench/meter.ts):
 * members with available coins (their purchases streamed through the consumer first, then the
 * daily coins job of today, which books their lots available), then
 * redemptions at the till through the HTTP API on the local stack, one after another per member,
 * every DynamoDB call of the API metered, and of the consumer until the stream is drained (it adds
 * the redemptions' coin counts: shared/coins/settle.ts), under the deployed mapping's batching window.
 * `npx tsx bench/redemptions.ts [--batching-window SECONDS]` runs it alone; `npm run bench` prints
 * it with the rest.
 */
import { GetItemCommand, type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { setDocumentClient } from '../functions/adapters/clients';
import { dynamoClient, LOCAL_CREDENTIALS, LOCAL_REGION, type LocalEndpoints } from '../infra/local/engine/aws';
import { attachLocalStack } from '../infra/local/engine/stack';
import { addDays, dayString, todayIn } from '../shared/days/days';
import type { AttrMap } from './billing';
import { CapacityMeter, describeWith, partitionKind } from './meter';
import { MAX_BATCHING_WINDOW_SECONDS } from '../infra/constructs/stream-consumers';

export interface RedemptionBench {
  members: number;
  /** The stream mapping's batching window the consumer ran with. */
  batchingWindowSeconds: number;
  redemptions: number;
  writeUnits: number;
  perRedemption: number;
  /** Write units per redemption by table (logical id), index writes included. */
  byTable: Record<string, number>;
  /** The consumer's MetricsTable writes during the redemptions by item kind (partition key prefix): writes and units. */
  metricsByKind: Record<string, { writes: number; writeUnits: number }>;
  /** The goal in write units per redemption. */
  goal: number;
}

const TOKEN = 'bench-redemptions';

export async function measureRedemptions(
  endpoints: LocalEndpoints,
  opts: { members?: number; perMember?: number; batchingWindowSeconds?: number } = {},
): Promise<RedemptionBench> {
  const members = opts.members ?? 40;
  const perMember = opts.perMember ?? 5;
  // The deployed mapping's window by default: the consumer's counter writes per batch are shared
  // by the settle records that batch gathers, as in production (with 0, nearly one batch each).
  const batchingWindowSeconds = opts.batchingWindowSeconds ?? MAX_BATCHING_WINDOW_SECONDS;
  const stack = await attachLocalStack({
    endpoints,
    prefix: `benchr${process.pid}-`,
    apiPort: 0,
    token: TOKEN,
    withScheduler: false,
    mappingOverrides: { maximumBatchingWindowInSeconds: batchingWindowSeconds },
  });
  const raw = dynamoClient(endpoints);
  const meter = new CapacityMeter(describeWith(raw), async (table, key) => {
    const out = await raw.send(new GetItemCommand({ TableName: table, Key: key as Record<string, AttributeValue>, ConsistentRead: true }));
    return out.Item as AttrMap | undefined;
  });
  const client = new DynamoDBClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: endpoints.dynamodb, maxAttempts: 5 });
  meter.attach(client);
  setDocumentClient(DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } }));
  try {
    // Each member: three purchases 20 days ago (available coins, a few lots), through the stream.
    const today = todayIn('Asia/Shanghai');
    const lines: string[] = [];
    for (let m = 0; m < members; m++) {
      for (let k = 0; k < 3; k++) {
        lines.push(
          JSON.stringify({
            eventId: `bench-p${m}-${k}`,
            type: 'purchase',
            memberId: `bench-m${m}`,
            occurredAt: `${dayString(addDays(today, -20 - k))}T10:00:00+08:00`,
            channel: 'store',
            orderId: `bench-o${m}-${k}`,
            lines: [{ sku: 'a', category: 'grocery', amountCents: 20_000 + 1_000 * k }],
          }),
        );
      }
    }
    await stack.putRecords(lines);
    await stack.drain();
    // The daily coins job of today, as deployed (it has booked the lots available on their days):
    // the redemptions then find the members as a till does, not doing the job's bookings themselves.
    await stack.runJob('coins', dayString(today));
    await stack.drain();
    const before = meter.snapshot();
    const metricsTable = stack.names.tables.MetricsTable;
    const partitionsBefore = new Map(meter.partitions(metricsTable).map((p) => [p.key, p]));
    let redemptions = 0;
    await Promise.all(
      Array.from({ length: members }, async (_, m) => {
        for (let r = 0; r < perMember; r++) {
          const res = await fetch(`${stack.apiUrl}/members/bench-m${m}/coins/redemptions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
            body: JSON.stringify({ redemptionId: `bench-r${m}-${r}`, coins: 10 + r }),
          });
          if (res.status !== 201) throw new Error(`redemption answered ${res.status}: ${await res.text()}`);
          redemptions++;
        }
      }),
    );
    // The consumer's share too: it adds the redemptions' coin counts from their coins_settle records.
    await stack.drain();
    const after = meter.snapshot();
    const logical = new Map(Object.entries(stack.names.tables).map(([id, physical]) => [physical, id]));
    const byTable: Record<string, number> = {};
    for (const [table, t] of Object.entries(after.byTable)) {
      const d = t.writeUnits - (before.byTable[table]?.writeUnits ?? 0);
      if (d) byTable[logical.get(table) ?? table] = d / redemptions;
    }
    const metricsByKind: RedemptionBench['metricsByKind'] = {};
    for (const p of meter.partitions(metricsTable)) {
      const was = partitionsBefore.get(p.key);
      const writes = p.writes - (was?.writes ?? 0);
      if (!writes) continue;
      const k = (metricsByKind[partitionKind(p.key)] ??= { writes: 0, writeUnits: 0 });
      k.writes += writes;
      k.writeUnits += p.writeUnits - (was?.writeUnits ?? 0);
    }
    const writeUnits = after.writeUnits - before.writeUnits;
    return {
      members,
      batchingWindowSeconds,
      redemptions,
      writeUnits,
      perRedemption: writeUnits / redemptions,
      byTable,
      metricsByKind,
      goal: 2,
    };
  } finally {
    setDocumentClient(undefined);
    client.destroy();
    raw.destroy();
    await stack.stop();
  }
}

export function formatRedemptionBench(b: RedemptionBench): string {
  const tables = Object.entries(b.byTable)
    .map(([t, wu]) => `${t} ${wu.toFixed(2)}`)
    .join(', ');
  const kinds = Object.entries(b.metricsByKind)
    .map(([kind, k]) => `${kind} ${k.writes} / ${k.writeUnits}`)
    .join(', ');
  return `coin redemptions: ${b.redemptions} at the till (${b.members} members, batching window ${b.batchingWindowSeconds} s): ${b.perRedemption.toFixed(2)} write units per redemption (goal ≤ ${b.goal}; ${tables}; MetricsTable writes / units by kind: ${kinds})`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { startLocalProcesses } = await import('../infra/local/engine/processes');
  const procs = await startLocalProcesses();
  const at = process.argv.indexOf('--batching-window');
  try {
    console.log(
      formatRedemptionBench(
        await measureRedemptions(procs.endpoints, at > 0 ? { batchingWindowSeconds: Number(process.argv[at + 1]) } : {}),
      ),
    );
  } finally {
    await procs.stop();
  }
}
