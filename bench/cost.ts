// List prices and the cost / capacity arithmetic of the benchmark (us-east-1, USD).
export const PRICES = {
  region: 'us-east-1',
  /** DynamoDB on-demand, per million write / read request units (after the November 2024 price cut). */
  dynamoWriteRequestUnitsPerMillion: 0.625,
  dynamoReadRequestUnitsPerMillion: 0.125,
  /** Lambda, arm64, per GB-second and per million requests. */
  lambdaArmGbSecond: 0.0000133334,
  lambdaRequestsPerMillion: 0.2,
  /** Kinesis Data Streams, provisioned mode: per shard-hour and per million PUT payload units (25 KB). */
  kinesisShardHour: 0.015,
  kinesisPutPayloadUnitsPerMillion: 0.014,
} as const;

export const ASSUMPTIONS = {
  /** process-events memory (the CDK stack's setting). */
  lambdaMemoryGb: 1,
  /** Records per shard per second a shard takes (Kinesis write limit, 1,000 records/s or 1 MB/s). */
  shardRecordsPerSecond: 1000,
  shardBytesPerSecond: 1024 * 1024,
  /** Average use of a shard's write limit we plan for (headroom for bursts and producer skew). */
  shardUtilisation: 0.7,
  /** Batch size of the event source mapping. */
  batchSize: 500,
  /** DynamoDB per-partition limits. */
  partitionWriteUnitsPerSecond: 1000,
  partitionReadUnitsPerSecond: 3000,
  /** Default per-table on-demand throughput quota (can be raised). */
  tableWriteUnitsPerSecondQuota: 40_000,
  /** Hours per month used for monthly figures. */
  hoursPerMonth: 730,
} as const;

export const SECONDS_PER_MONTH = ASSUMPTIONS.hoursPerMonth * 3600;

export interface PerEvent {
  writeUnits: number;
  readUnits: number;
  /** Lambda billed seconds per event (invocation duration / records per invocation). */
  lambdaSeconds: number;
  /** Invocations per event (1 / batch size for full batches). */
  invocations: number;
  /** Kinesis PUT payload units per event (records ≤ 25 KB: 1). */
  payloadUnits: number;
  /** Kinesis records per event (1 plain; 1/n when n events share an aggregated record). Default 1. */
  kinesisRecords?: number;
  /** Bytes put per event (data + partition key). Default: small enough that records bind. */
  bytes?: number;
}

/** Events per second one shard takes at the planned utilisation: 1,000 records/s and 1 MiB/s both bind. */
export function eventsPerShardSecond(e: Pick<PerEvent, 'kinesisRecords' | 'bytes'>): number {
  const byRecords = ASSUMPTIONS.shardRecordsPerSecond / (e.kinesisRecords ?? 1);
  const byBytes = e.bytes ? ASSUMPTIONS.shardBytesPerSecond / e.bytes : Infinity;
  return Math.min(byRecords, byBytes) * ASSUMPTIONS.shardUtilisation;
}

export interface CostBreakdown {
  dynamodb: number;
  lambda: number;
  kinesis: number;
  total: number;
}

/** USD per million events, with shards used at `ASSUMPTIONS.shardUtilisation` on average. */
export function costPerMillionEvents(e: PerEvent): CostBreakdown {
  const m = 1e6;
  const dynamodb =
    (e.writeUnits * m * PRICES.dynamoWriteRequestUnitsPerMillion + e.readUnits * m * PRICES.dynamoReadRequestUnitsPerMillion) / 1e6;
  const lambda =
    e.lambdaSeconds * m * ASSUMPTIONS.lambdaMemoryGb * PRICES.lambdaArmGbSecond +
    (e.invocations * m * PRICES.lambdaRequestsPerMillion) / 1e6;
  const shardHours = m / (eventsPerShardSecond(e) * 3600);
  const kinesis = shardHours * PRICES.kinesisShardHour + (e.payloadUnits * m * PRICES.kinesisPutPayloadUnitsPerMillion) / 1e6;
  return { dynamodb, lambda, kinesis, total: dynamodb + lambda + kinesis };
}

export interface Measured {
  perEvent: PerEvent;
  /** Write units per event by table (logical name → units). */
  writeUnitsByTable: Record<string, number>;
  /**
   * The busiest partition at its peak (simulated day): its write units per event of the workload.
   * At a rate of R events/s of a workload like this one it takes R × share write units per second.
   */
  hotPartition: { table: string; key: string; share: number };
  /** The same including the replay's first week (every member new: a launch or onboarding burst). */
  coldStartHotPartition: { table: string; key: string; share: number };
  /** The same for the baseline, when it ran (its day counter item takes every event at any time). */
  baselineHotPartition?: { table: string; key: string; share: number };
  /** Measured Lambda duration per batch (s) — on DynamoDB Local, so pessimistic. */
  secondsPerBatch: number;
}

export interface CapacityRow {
  eventsPerSecond: number;
  shards: number;
  lambdaConcurrency: number;
  writeUnitsPerSecond: number;
  readUnitsPerSecond: number;
  busiestTableWriteUnitsPerSecond: { table: string; units: number };
  /** The busiest partition at its peak (R × its measured share), against 1,000 WU/s per partition. */
  hotPartitionWriteUnitsPerSecond: number;
  /** The same with the share of the replay's first week (every member new). */
  coldStartHotPartitionWriteUnitsPerSecond: number;
  /** The baseline's busiest partition (its day counter item) at the same rate. */
  baselineHotPartitionWriteUnitsPerSecond: number | null;
  /** The busiest single item: one counter item (key, shard) or one member: one write per batch of its shard. */
  hotItemWritesPerSecond: number;
  /** Seconds a batch may take before a shard falls behind. */
  batchBudgetSeconds: number;
  monthlyUsd: { dynamodb: number; lambda: number; kinesis: number; total: number };
}

export function capacityRow(rate: number, m: Measured): CapacityRow {
  const perShard = eventsPerShardSecond(m.perEvent);
  const shards = Math.ceil(rate / perShard);
  const busiest = Object.entries(m.writeUnitsByTable).sort((a, b) => b[1] - a[1])[0] ?? ['-', 0];
  const monthEvents = rate * SECONDS_PER_MONTH;
  const dynamodb =
    (monthEvents *
      (m.perEvent.writeUnits * PRICES.dynamoWriteRequestUnitsPerMillion + m.perEvent.readUnits * PRICES.dynamoReadRequestUnitsPerMillion)) /
    1e6;
  const lambda =
    monthEvents *
    (m.perEvent.lambdaSeconds * ASSUMPTIONS.lambdaMemoryGb * PRICES.lambdaArmGbSecond +
      (m.perEvent.invocations * PRICES.lambdaRequestsPerMillion) / 1e6);
  // Events stream shards + the one-shard actions stream, all month; payload units per event.
  const kinesis =
    (shards + 1) * ASSUMPTIONS.hoursPerMonth * PRICES.kinesisShardHour +
    (monthEvents * m.perEvent.payloadUnits * PRICES.kinesisPutPayloadUnitsPerMillion) / 1e6;
  return {
    eventsPerSecond: rate,
    shards,
    lambdaConcurrency: shards,
    writeUnitsPerSecond: rate * m.perEvent.writeUnits,
    readUnitsPerSecond: rate * m.perEvent.readUnits,
    busiestTableWriteUnitsPerSecond: { table: busiest[0], units: rate * busiest[1] },
    hotPartitionWriteUnitsPerSecond: rate * m.hotPartition.share,
    coldStartHotPartitionWriteUnitsPerSecond: rate * m.coldStartHotPartition.share,
    baselineHotPartitionWriteUnitsPerSecond: m.baselineHotPartition ? rate * m.baselineHotPartition.share : null,
    hotItemWritesPerSecond: rate / shards / ASSUMPTIONS.batchSize,
    batchBudgetSeconds: ASSUMPTIONS.batchSize / (rate / shards),
    monthlyUsd: { dynamodb, lambda, kinesis, total: dynamodb + lambda + kinesis },
  };
}
