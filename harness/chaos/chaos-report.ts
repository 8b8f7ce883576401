// What a chaos run is asked (its options) and what it reports: the faults injected, the
// differences from the oracles, and the report as text.
import type { LocalEndpoints } from '../../infra/local/engine/aws';
import type { CoinChaosFigures } from './coin-compare';
import { type FaultRates, INVOCATION_FAULTS, SDK_RETRIED_FAULTS, TILL_FAULTS } from './faults';

/** Every fault kind the run injects (and the report lists). */
export const FAULT_KINDS = [
  'reordered_records',
  'duplicate_record',
  'reconfirmed_order',
  'replayed_file',
  'poison_record',
  ...INVOCATION_FAULTS,
  ...SDK_RETRIED_FAULTS,
  ...TILL_FAULTS,
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
  /**
   * The mapping's MaximumRetryAttempts (the template's otherwise): a low value sends failed batches
   * to the on-failure bucket, so the run exercises the README's replay runbook.
   */
  maxRetries?: number;
  /** Every redelivery runs with the wall clock just after the next midnight (programme time zone). */
  retryAfterMidnight?: boolean;
  /**
   * Producer aggregation: the plan's records are sent through the producer library with KPL
   * aggregation (records of one shard packed into aggregated Kinesis records), as the apps would.
   */
  aggregate?: boolean;
  /**
   * Persons behind the members (docs/rules.md#identity): ~30% start anonymous and identify late and
   * out of order, some never sign up, some keep a second anonymous device (simulator/identity.ts).
   */
  identities?: boolean;
  /**
   * Operator merges of that many pairs of members, requested through the API after the month while
   * the consumer's and the API's faults go on; every figure then against the oracles with the merges.
   */
  merges?: number;
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
    /** Replays of the destination: a replayed batch given up again comes back in the next. */
    replayRounds: number;
    /** Retries that re-read past the attempt before, and the records they added. */
    grownRetries: number;
    recordsAddedOnRetry: number;
    /** Redeliveries run with the clock after the next midnight. */
    retriesAfterMidnight: number;
  };
  quarantined: {
    expected: number;
    actual: number;
    listed: number;
    byReason: Record<string, number>;
    expectedByReason: Record<string, number>;
  };
  restarts: { kinesisOutageMs: number | null; dynamodbOutageMs: number | null; dynamodbRestartedAfterRecords: number | null };
  compared: {
    members: number;
    memberFields: number;
    days: number;
    cohorts: number;
    figures: number;
    /** Distinct actions (by actionId) per kind: the oracle's and ActionsStream's. */
    actions: { expected: Record<string, number>; actual: Record<string, number> };
    actionRecords: number;
  };
  /** The till's coin operations and the coin figures compared (null with aggregated records). */
  coins: CoinChaosFigures | null;
  /** Persons behind the members (with `identities`) and the operator merges (with `merges`). */
  identity: { anonymousIds: number; identifies: number; merges: number; mergesAccepted: number } | null;
  differences: number;
  sampleDifferences: Difference[];
  durationMs: number;
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
    row('records replayed from it (rounds)', `${r.delivery.replayedFromDestination} (${r.delivery.replayRounds})`),
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
    row(
      'quarantined records / expected (entries)',
      `${r.quarantined.actual} / ${r.quarantined.expected} (${r.quarantined.listed}: a replayed record is listed again)`,
    ),
    row(
      'by reason',
      Object.entries(r.quarantined.byReason)
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ),
    ...(r.identity
      ? [
          '',
          'identity',
          row('anonymous ids / identifies', `${r.identity.anonymousIds} / ${r.identity.identifies}`),
          row('operator merges (accepted)', `${r.identity.merges} (${r.identity.mergesAccepted})`),
        ]
      : []),
    '',
    'comparison with the oracles',
    row('members compared (fields)', `${r.compared.members} (${r.compared.memberFields})`),
    row('figures compared', r.compared.figures),
    row(
      'actions, every kind (expected / on ActionsStream)',
      `${Object.entries(r.compared.actions.expected)
        .map(([k, n]) => `${k} ${n}/${r.compared.actions.actual[k] ?? 0}`)
        .join(', ')} (${r.compared.actionRecords} action records)`,
    ),
    ...(r.coins
      ? [
          row(
            'till: redemptions (ok / refused / unanswered)',
            `${r.coins.redemptions} (${r.coins.succeeded} / ${r.coins.refused} / ${r.coins.unanswered})`,
          ),
          row('till: repeats at once / reversals / retries', `${r.coins.concurrentRepeats} / ${r.coins.reversals} / ${r.coins.retried}`),
          row('till: members not yet applied (404)', r.coins.notYetMember),
          row('coins: members compared', r.coins.membersCompared),
          row(
            'coins: issued / redeemed / reversed / revoked',
            `${r.coins.issued} / ${r.coins.redeemed} / ${r.coins.reversed} / ${r.coins.revoked}`,
          ),
          row('coins: liability (fen)', r.coins.liabilityFen),
        ]
      : [row('coins', 'not compared (aggregated records)')]),
    row('DIFFERENCES', r.differences),
    ...r.sampleDifferences.map((d) => `    ${d.what}: expected ${JSON.stringify(d.expected)}, got ${JSON.stringify(d.actual)}`),
  ];
  return out.join('\n');
}
