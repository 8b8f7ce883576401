// Load on the local API: a bounded number of concurrent HTTP clients on loopback, each sending its
// next request as soon as the previous answer is read (closed loop), for a bounded time or number
// of requests, whichever comes first. The clients run in a worker thread, so they do not share an
// event loop with the API server and handlers they measure.
import { Worker } from 'node:worker_threads';
import { deliverPlan, planBatches } from '../../infra/local/engine/batch-plan';
import type { LocalStack } from '../../infra/local/engine/stack';
import { eventsToJsonLines, simulate } from '../../simulator';

export const MAX_CLIENTS = 64;
export const MAX_DURATION_MS = 60_000;

export interface LoadOptions {
  apiUrl: string;
  token: string;
  /** Request paths, used round robin. */
  paths: string[];
  clients: number;
  durationMs: number;
  maxRequests: number;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** Status → count. */
  statuses: Record<string, number>;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  firstError?: string;
}

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
(async () => {
  const { apiUrl, token, paths, clients, durationMs, maxRequests } = workerData;
  const headers = { authorization: 'Bearer ' + token };
  const latencies = [];
  const statuses = {};
  let issued = 0;
  let errors = 0;
  let firstError;
  const start = performance.now();
  const deadline = start + durationMs;
  async function client() {
    while (performance.now() < deadline && issued < maxRequests) {
      const path = paths[issued++ % paths.length];
      const t = performance.now();
      try {
        const res = await fetch(apiUrl + path, { headers });
        await res.arrayBuffer();
        latencies.push(performance.now() - t);
        statuses[res.status] = (statuses[res.status] || 0) + 1;
        if (res.status !== 200) {
          errors++;
          firstError = firstError || (res.status + ' ' + path);
        }
      } catch (err) {
        errors++;
        statuses.network = (statuses.network || 0) + 1;
        firstError = firstError || (String(err && err.message) + ' ' + path);
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - start) / 1000;
  parentPort.postMessage({ latencies, statuses, errors, firstError, seconds });
})().catch((err) => parentPort.postMessage({ fatal: String(err && err.stack || err) }));
`;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const url = new URL(opts.apiUrl);
  if (url.hostname !== '127.0.0.1' && url.hostname !== 'localhost' && url.hostname !== '::1')
    throw new Error(`load runs on loopback only, not ${url.hostname}`);
  if (!(opts.clients >= 1 && opts.clients <= MAX_CLIENTS)) throw new Error(`clients must be 1..${MAX_CLIENTS}`);
  if (!(opts.durationMs > 0 && opts.durationMs <= MAX_DURATION_MS)) throw new Error(`duration must be at most ${MAX_DURATION_MS} ms`);
  if (!opts.paths.length) throw new Error('no paths');
  const worker = new Worker(WORKER, { eval: true, workerData: { ...opts, apiUrl: opts.apiUrl.replace(/\/$/, '') } });
  const message = await new Promise<any>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  if (message.fatal) throw new Error(`load worker failed: ${message.fatal}`);
  const sorted = (message.latencies as number[]).sort((a, b) => a - b);
  const requests = sorted.length + (message.statuses.network ?? 0);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    requests,
    errors: message.errors,
    statuses: message.statuses,
    seconds: round(message.seconds),
    rps: Math.round(requests / message.seconds),
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
    firstError: message.firstError,
  };
}

export interface FilledStack {
  memberIds: string[];
  from: string;
  to: string;
  events: number;
}

/**
 * Fills the attached stack (the handler finds its tables in process.env, set when it was attached)
 * with a simulated month, straight through the events handler.
 */
export async function fillStack(opts: { members: number; days: number; seed: number; start: string }): Promise<FilledStack> {
  const events = [...simulate({ members: opts.members, days: opts.days, seed: opts.seed, start: opts.start })];
  const lines = [...eventsToJsonLines(events)];
  const { handler } = await import('../../functions/process-events');
  await deliverPlan(planBatches(lines, { shards: 4, batchSize: 500 }), handler);
  const memberIds = [...new Set(events.flatMap((e) => (e.memberId ? [e.memberId] : [])))];
  const last = new Date(Date.parse(`${opts.start}T00:00:00Z`) + (opts.days - 1) * 86_400_000).toISOString().slice(0, 10);
  return { memberIds, from: opts.start, to: last, events: lines.length };
}

export interface RouteLoad {
  route: string;
  result: LoadResult;
}

/** The paths of a range route: the whole filled span, then every 7-day window of it. */
function rangePaths(route: string, filled: FilledStack): string[] {
  const paths = [`${route}?from=${filled.from}&to=${filled.to}`];
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  for (let d = Date.parse(`${filled.from}T00:00:00Z`); d + 6 * 86_400_000 <= Date.parse(`${filled.to}T00:00:00Z`); d += 86_400_000)
    paths.push(`${route}?from=${day(d)}&to=${day(d + 6 * 86_400_000)}`);
  return paths;
}

/** Every day of the filled span (the `asOf` of /metrics/program). */
function spanDays(filled: FilledStack): string[] {
  const days: string[] = [];
  for (let d = Date.parse(`${filled.from}T00:00:00Z`); d <= Date.parse(`${filled.to}T00:00:00Z`); d += 86_400_000)
    days.push(new Date(d).toISOString().slice(0, 10));
  return days;
}

/** The read routes under load, each with the paths its clients cycle through. */
export function loadPaths(filled: FilledStack): { route: string; paths: string[] }[] {
  return [
    { route: 'GET /members/{memberId}', paths: filled.memberIds.map((id) => `/members/${encodeURIComponent(id)}?asOf=${filled.to}`) },
    ...['daily', 'retention', 'retention-by-channel', 'sessions', 'winback', 'coins'].map((name) => ({
      route: `GET /metrics/${name}`,
      paths: rangePaths(`/metrics/${name}`, filled),
    })),
    { route: 'GET /metrics/program', paths: ['/metrics/program', ...spanDays(filled).map((d) => `/metrics/program?asOf=${d}`)] },
    { route: 'GET /segments', paths: ['/segments'] },
  ];
}

/** Loads each read route in turn (loadPaths): /members/{id} first, then every /metrics route and /segments. */
export async function loadRoutes(
  stack: LocalStack,
  filled: FilledStack,
  opts: { clients: number; durationMs: number; maxRequests: number },
): Promise<RouteLoad[]> {
  const common = {
    apiUrl: stack.apiUrl!,
    token: stack.token!,
    clients: opts.clients,
    durationMs: opts.durationMs,
    maxRequests: opts.maxRequests,
  };
  const out: RouteLoad[] = [];
  for (const { route, paths } of loadPaths(filled)) out.push({ route, result: await runLoad({ ...common, paths }) });
  return out;
}

/** Goal of issue #16: every /metrics route's p99 within `factor` × that of /members/{id} in the same run. */
export function p99Goal(routes: readonly RouteLoad[], factor = 3) {
  const members = routes.find((r) => r.route === 'GET /members/{memberId}')?.result.p99 ?? NaN;
  const worst = routes
    .filter((r) => r.route.startsWith('GET /metrics/'))
    .map((r) => ({ route: r.route, ratio: Math.round((r.result.p99 / members) * 100) / 100 }))
    .sort((a, b) => b.ratio - a.ratio)[0];
  return {
    goal: `every /metrics route's p99 ≤ ${factor} × that of /members/{memberId}`,
    worst,
    met: worst ? worst.ratio <= factor : false,
  };
}

/** The JSON line of `npm run load -- --json`: per route requests/s, p50, p90, p99 (ms), and the goal. */
export function loadJson(routes: readonly RouteLoad[], header: Record<string, unknown>) {
  return {
    load: {
      ...header,
      routes: Object.fromEntries(
        routes.map(({ route, result: r }) => [
          route,
          { requests: r.requests, errors: r.errors, requestsPerSecond: r.rps, p50: r.p50, p90: r.p90, p99: r.p99, max: r.max },
        ]),
      ),
      p99Goal: p99Goal(routes),
    },
  };
}

export function formatLoad(routes: RouteLoad[], opts: { clients: number; durationMs: number; maxRequests: number }): string {
  const head = `${'route'.padEnd(34)} ${'requests'.padStart(9)} ${'errors'.padStart(7)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`;
  const rows = routes.map(
    ({ route, result: r }) =>
      `${route.padEnd(34)} ${String(r.requests).padStart(9)} ${String(r.errors).padStart(7)} ${String(r.rps).padStart(7)} ${String(r.p50).padStart(8)} ${String(r.p90).padStart(8)} ${String(r.p99).padStart(8)} ${String(r.max).padStart(8)}`,
  );
  return [
    `${opts.clients} concurrent clients on loopback, ${opts.durationMs / 1000} s or ${opts.maxRequests} requests per route, whichever first`,
    head,
    ...rows,
  ].join('\n');
}
