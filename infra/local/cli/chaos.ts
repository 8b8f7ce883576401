// `npm run chaos -- [--members N] [--days D] [--seed S] [--chunk N] [--grow-retries] [--retry-after-midnight] [--max-retries N] [--aggregate] [--verbose]`:
// the fault-injection run
// (harness/chaos/chaos-run.ts) on its own restartable local services: a simulated month through the
// local stack while faults are injected, then every member and figure compared with the oracles.
// Prints the report table and one JSON line; exits 1 unless there are zero differences and every
// fault kind was injected.
import { parseArgs } from 'node:util';
import { formatReport } from '../../../harness/chaos/chaos-report';
import { runChaos } from '../../../harness/chaos/chaos-run';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '1000' },
    days: { type: 'string', default: '30' },
    seed: { type: 'string', default: '42' },
    start: { type: 'string' },
    chunk: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    // Retries re-read from the checkpoint with a larger batch (issue 17 item 7).
    'grow-retries': { type: 'boolean', default: false },
    // Every redelivery runs with the clock just after the next midnight (issue 17 item 2).
    'retry-after-midnight': { type: 'boolean', default: false },
    // Failed batches go to the on-failure bucket after N retries, and the run replays them (runbook).
    'max-retries': { type: 'string' },
    // The producer packs records of one shard into KPL aggregated records (issue 18).
    aggregate: { type: 'boolean', default: false },
    // Persons behind the members: anonymous ids, late identifies, second devices (issue 14).
    'no-identities': { type: 'boolean', default: false },
    // Operator merges after the month, through the API under faults (default: one per 40 members).
    merges: { type: 'string' },
  },
});

const members = Number(values.members);
const days = Number(values.days);
const seed = Number(values.seed);
const chunkSize = values.chunk === undefined ? undefined : Number(values.chunk);
const maxRetries = values['max-retries'] === undefined ? undefined : Number(values['max-retries']);
const identities = !values['no-identities'];
const merges = values.merges === undefined ? (identities ? Math.round(members / 40) : 0) : Number(values.merges);
if (
  ![members, days, seed].every(Number.isInteger) ||
  members < 1 ||
  days < 1 ||
  !(Number.isInteger(merges) && merges >= 0) ||
  (chunkSize !== undefined && !(chunkSize >= 10)) ||
  (maxRetries !== undefined && !(Number.isInteger(maxRetries) && maxRetries >= 0))
) {
  console.error(
    'usage: npm run chaos -- [--members N] [--days D] [--seed S] [--start YYYY-MM-DD] [--chunk N] [--grow-retries] [--retry-after-midnight] [--max-retries N] [--aggregate] [--no-identities] [--merges N] [--verbose]',
  );
  process.exit(2);
}
// The handlers' own logs would drown the report (a crash logs a line per member it left unwritten).
process.env.MEMBERFLOW_LOG_LEVEL ??= values.verbose ? 'WARN' : 'ERROR';

const log = (msg: string) => console.log(`[chaos] ${msg}`);

runChaos({
  members,
  days,
  seed,
  start: values.start,
  chunkSize,
  growRetries: values['grow-retries'],
  retryAfterMidnight: values['retry-after-midnight'],
  maxRetries,
  aggregate: values.aggregate,
  identities,
  merges,
  log,
  debug: values.verbose ? (m) => console.log(`  . ${m}`) : undefined,
})
  .then((report) => {
    console.log(`\n${formatReport(report)}\n`);
    console.log(JSON.stringify({ chaos: report }));
    process.exit(report.differences === 0 && report.faultKindsMissing.length === 0 ? 0 : 1);
  })
  .catch((err) => {
    console.error(`chaos run failed: ${(err as Error)?.stack ?? err}`);
    process.exit(1);
  });
