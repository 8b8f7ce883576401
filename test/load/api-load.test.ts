// Load on the local API (bounded: 8 loopback clients, 3 s or 1,500 requests per route): GET
// /members/{memberId} and GET /metrics/daily of a filled stack answer every request with a 200.
// Only that it ran and made no errors is asserted — the figures (printed) depend on the machine;
// `npm run load` gives the README's.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { fillStack, formatLoad, loadRoutes, runLoad, type FilledStack } from '../../harness/load/load-run';

const LOAD = { clients: 8, durationMs: 3000, maxRequests: 1500 };
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
  it('answers every request to /members/{id} and /metrics/daily with a 200', async () => {
    const routes = await loadRoutes(stack, filled, LOAD);
    console.log(formatLoad(routes, LOAD));
    for (const { route, result } of routes) {
      expect(result.requests, route).toBeGreaterThan(0);
      expect(result.errors, `${route}: ${result.firstError}`).toBe(0);
      expect(Object.keys(result.statuses), route).toEqual(['200']);
    }
  }, 60_000);

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
