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

/** Loads GET /members/{id} (every member in turn), then GET /metrics/daily (the month, and weeks of it). */
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
  const members = filled.memberIds.map((id) => `/members/${encodeURIComponent(id)}?asOf=${filled.to}`);
  const dailyPaths: string[] = [`/metrics/daily?from=${filled.from}&to=${filled.to}`];
  for (let d = Date.parse(`${filled.from}T00:00:00Z`); d + 6 * 86_400_000 <= Date.parse(`${filled.to}T00:00:00Z`); d += 86_400_000) {
    dailyPaths.push(
      `/metrics/daily?from=${new Date(d).toISOString().slice(0, 10)}&to=${new Date(d + 6 * 86_400_000).toISOString().slice(0, 10)}`,
    );
  }
  return [
    { route: 'GET /members/{memberId}', result: await runLoad({ ...common, paths: members }) },
    { route: 'GET /metrics/daily', result: await runLoad({ ...common, paths: dailyPaths }) },
  ];
}

export function formatLoad(routes: RouteLoad[], opts: { clients: number; durationMs: number; maxRequests: number }): string {
  const head = `${'route'.padEnd(26)} ${'requests'.padStart(9)} ${'errors'.padStart(7)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`;
  const rows = routes.map(
    ({ route, result: r }) =>
      `${route.padEnd(26)} ${String(r.requests).padStart(9)} ${String(r.errors).padStart(7)} ${String(r.rps).padStart(7)} ${String(r.p50).padStart(8)} ${String(r.p90).padStart(8)} ${String(r.p99).padStart(8)} ${String(r.max).padStart(8)}`,
  );
  return [
    `${opts.clients} concurrent clients on loopback, ${opts.durationMs / 1000} s or ${opts.maxRequests} requests per route, whichever first`,
    head,
    ...rows,
  ].join('\n');
}
