// The bench's command line, its fixed plan shape (shards, batch size) and its goals.
import { parseArgs } from 'node:util';
import { isDayString } from '../shared/days/days';
import { SIMULATE_DEFAULTS } from '../simulator';

export const SHARDS = 4;
export const BATCH_SIZE = 500;
export const SWEEP = [1000, 4000, 16000];
/** Batches per shard the baseline runs by default (its figures per event are then compared). */
export const DEFAULT_BASELINE_BATCHES = 10;
export const GOALS = {
  lowerBoundRatio: 1.25,
  refinedLowerBoundRatio: 1.1,
  baselineWriteRatio: 5,
  throughputRatio: 3,
  handlerMicros: 10,
  sweepSpread: 0.1,
};

export const USAGE = `usage: npm run bench -- [--members N] [--days D] [--seed S] [--start YYYY-MM-DD] [--json] [--sweep]
                        [--baseline-batches N] [--no-baseline] [--aggregate] [--no-coins-off]
                        [--identities | --identities-only] [--identity-persons N] [--identity-days D]

  --members N           members to simulate (default 2000)
  --days D              days to simulate (default 30)
  --seed S              simulator seed (default 42)
  --start DAY           first simulated day (default ${SIMULATE_DEFAULTS.start})
  --json                print one JSON object as the last line of stdout
  --sweep               memberflow and the lower bounds at ${SWEEP.join(', ')} members (no baseline)
  --baseline-batches N  run the baseline on the first N batches of each shard (default ${DEFAULT_BASELINE_BATCHES});
                        \`all\` = the whole workload (about 15 minutes at the default size: DynamoDB Local
                        takes ~400 writes/s and the baseline writes 4 items per event)
  --no-baseline         skip the baseline
  --aggregate           also run memberflow on the same events KPL-aggregated per shard (the producer
                        library's aggregation, 25 KiB records): Kinesis records, payload units, shards
                        and cost per million events beside the plain run
  --no-coins-off        skip the second memberflow run with the coins section off (every earn rate 0),
                        which gives the change in write units per event that coins make
  --identities          also stream the identity history (persons starting anonymous, late identifies,
                        merges) with the consumer's forwards delivered, and once resolved to persons:
                        write units per event and extra writes per forwarded record (bench/identity.ts)
  --identities-only     only that section
  --identity-persons N  its persons (default 2000; one operator merge per 40)
  --identity-days D     its days (default 45)
  -h, --help            this text`;

export interface Options {
  members: number;
  days: number;
  seed: number;
  start: string;
  json: boolean;
  sweep: boolean;
  baselineBatches: number | null;
  baseline: boolean;
  aggregate: boolean;
  /** Run memberflow a second time with coins off (bench/coins-share.ts). */
  coinsOff: boolean;
  /** The identity section (bench/identity.ts): off, besides the other runs, or alone. */
  identities: 'off' | 'also' | 'only';
  identityPersons: number;
  identityDays: number;
}

export function options(argv: string[]): Options {
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
      'no-coins-off': { type: 'boolean', default: false },
      identities: { type: 'boolean', default: false },
      'identities-only': { type: 'boolean', default: false },
      'identity-persons': { type: 'string' },
      'identity-days': { type: 'string' },
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
    coinsOff: !values['no-coins-off'],
    identities: values['identities-only'] ? 'only' : values.identities ? 'also' : 'off',
    identityPersons: int('identity-persons', values['identity-persons'], 2000, 1),
    identityDays: int('identity-days', values['identity-days'], 45, 1),
  };
}
