// Load on the local API (bounded: 8 loopback clients, 2 s or 1,000 requests per route): GET
// /members/{memberId}, every GET /metrics/* route and GET /segments of a filled stack answer every
// request with a 200, and the JSON line carries each route's requests/s, p50 and p99.
// Only that it ran and made no errors is asserted — the figures (printed) depend on the machine;
// `npm run load` gives the README's.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { fillStack, formatLoad, loadJson, loadPaths, loadRoutes, runLoad, type FilledStack } from '../../harness/load/load-run';

const LOAD = { clients: 8, durationMs: 2000, maxRequests: 1000 };
let stack: LocalStack;
let filled: FilledStack;

beforeAll(async () => {
  process.env.MEMBERFLOW_LOG_LEVEL ??= 'ERROR';
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `load${process.pid}-`,
    apiPort: 0,
    token: 'load-token',
    withPollers: false,
    withScheduler: false,
  });
  filled = await fillStack({ members: 200, days: 14, seed: 5, start: '2026-10-01' });
}, 180_000);
afterAll(() => stack?.stop());

describe('the local API under concurrent clients', () => {
  it('answers every request to /members/{id}, every /metrics route and /segments with a 200', async () => {
    const routes = await loadRoutes(stack, filled, LOAD);
    console.log(formatLoad(routes, LOAD));
    expect(routes.map((r) => r.route)).toEqual([
      'GET /members/{memberId}',
      'GET /metrics/daily',
      'GET /metrics/retention',
      'GET /metrics/retention-by-channel',
      'GET /metrics/sessions',
      'GET /metrics/winback',
      'GET /metrics/coins',
      'GET /metrics/program',
      'GET /segments',
    ]);
    for (const { route, result } of routes) {
      expect(result.requests, route).toBeGreaterThan(0);
      expect(result.errors, `${route}: ${result.firstError}`).toBe(0);
      expect(Object.keys(result.statuses), route).toEqual(['200']);
    }
    const json = loadJson(routes, LOAD).load;
    for (const { route, result } of routes)
      expect(json.routes[route]).toMatchObject({ requestsPerSecond: result.rps, p50: result.p50, p99: result.p99 });
    expect(json.p99Goal.worst?.route).toMatch(/^GET \/metrics\//);
  }, 120_000);

  it('loads each range route over the whole span and every week of it', () => {
    const daily = loadPaths(filled).find((r) => r.route === 'GET /metrics/daily')!.paths;
    expect(daily[0]).toBe(`/metrics/daily?from=${filled.from}&to=${filled.to}`);
    expect(daily).toHaveLength(1 + 14 - 6);
  });

  it('refuses to leave loopback or to run unbounded', async () => {
    await expect(
      runLoad({ apiUrl: 'http://example.com', token: 't', paths: ['/health'], clients: 1, durationMs: 10, maxRequests: 1 }),
    ).rejects.toThrow(/loopback/);
    await expect(
      runLoad({ apiUrl: stack.apiUrl!, token: 't', paths: ['/health'], clients: 1000, durationMs: 10, maxRequests: 1 }),
    ).rejects.toThrow(/clients/);
    await expect(
      runLoad({ apiUrl: stack.apiUrl!, token: 't', paths: ['/health'], clients: 1, durationMs: 3_600_000, maxRequests: 1 }),
    ).rejects.toThrow(/duration/);
  });
});
