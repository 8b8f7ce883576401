// `npm run load -- [--members N] [--days D] [--clients C] [--seconds S] [--requests R] [--json]`:
// starts the embedded stack on its own free ports, fills it with a simulated month (straight
// through the events handler), then puts bounded concurrent load on each read route in turn over
// loopback — GET /members/{memberId}, every GET /metrics/* route and GET /segments: requests per
// second and p50/p90/p99 latency per route, errors, and the goal that every /metrics route's p99 is
// within 3× of /members/{memberId}'s. Prints a table, then one JSON object as the last line (with
// or without `--json`, accepted as the bench's flag). Exits 1 if any request failed.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { addDays, dayString, todayIn } from '../../../shared/days/days';
import { fillStack, formatLoad, loadJson, loadRoutes, MAX_CLIENTS, MAX_DURATION_MS, p99Goal } from '../../../harness/load/load-run';
import { startLocalStack } from '../engine/stack';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '1000' },
    days: { type: 'string', default: '30' },
    seed: { type: 'string', default: '42' },
    clients: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    requests: { type: 'string', default: '5000' },
    json: { type: 'boolean', default: false },
  },
});
const [members, days, seed, clients, seconds, requests] = [
  values.members,
  values.days,
  values.seed,
  values.clients,
  values.seconds,
  values.requests,
].map(Number);
if (
  ![members, days, seed, clients, requests].every(Number.isInteger) ||
  members < 1 ||
  days < 1 ||
  clients < 1 ||
  clients > MAX_CLIENTS ||
  !(seconds > 0 && seconds * 1000 <= MAX_DURATION_MS) ||
  requests < 1
) {
  console.error(
    `usage: npm run load -- [--members N] [--days D] [--seed S] [--clients 1..${MAX_CLIENTS}] [--seconds ≤ ${MAX_DURATION_MS / 1000}] [--requests N] [--json]`,
  );
  process.exit(2);
}
process.env.MEMBERFLOW_LOG_LEVEL ??= 'ERROR';
const log = (msg: string) => console.log(`[load] ${msg}`);

async function main(): Promise<number> {
  const stack = await startLocalStack({ ports: { api: 0 }, withScheduler: false, withPollers: false, prefix: 'load-' });
  try {
    const start = dayString(addDays(todayIn('Asia/Shanghai'), -days));
    const t0 = Date.now();
    const filled = await fillStack({ members, days, seed, start });
    log(
      `filled: ${filled.events} events of ${filled.memberIds.length} members (${filled.from} … ${filled.to}) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    );
    const opts = { clients, durationMs: seconds * 1000, maxRequests: requests };
    const routes = await loadRoutes(stack, filled, opts);
    console.log(
      `\n${formatLoad(routes, opts)}\n  (machine: ${os.cpus().length} CPUs, load average ${os
        .loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')})\n`,
    );
    const goal = p99Goal(routes);
    console.log(`${goal.met ? '✓' : '✗'} ${goal.goal}: worst ${goal.worst?.route} at ${goal.worst?.ratio}×\n`);
    console.log(JSON.stringify(loadJson(routes, { members, days, ...opts })));
    return routes.every((r) => r.result.errors === 0) ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`load run failed: ${(err as Error)?.stack ?? err}`);
    process.exit(1);
  },
);
