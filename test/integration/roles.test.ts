// Roles on the local stack (docs/api.md#privacy-erasure-and-subject-access): the viewer token reaches exactly the route table's
// viewer routes, the operator token every route; the routes come from the table, not a hand list.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROUTES, routeKey, type Route } from '../../functions/api/route-table';
import { readyMessage } from '../../infra/local/cli/launch';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';

const operatorToken = 'roles-operator-token';
const viewerToken = 'roles-viewer-token';
let stack: LocalStack;

/** A concrete request for a route: path parameters filled in, the query its handler needs. */
const SAMPLE_PARAMS: Record<string, string> = {
  memberId: 'm-roles',
  redemptionId: 'r-roles',
  id: 'tier-member',
  exportId: '00000000-0000-4000-8000-000000000000',
  proxy: 'app.js',
};
function requestFor(route: Route): { path: string; init: RequestInit } {
  const path = route.path.replace(/\{(\w+)\+?\}/g, (_, name: string) => {
    if (!(name in SAMPLE_PARAMS)) throw new Error(`roles test: no sample value for {${name}} in ${routeKey(route)}`);
    return encodeURIComponent(SAMPLE_PARAMS[name]);
  });
  // The metrics routes over a span of days take from/to; these two answer as of today (unknown query parameters are a 400).
  const asOfToday = ['/metrics/program', '/metrics/tier-reviews'];
  const query = route.path.startsWith('/metrics/') && !asOfToday.includes(route.path) ? '?from=2026-01-01&to=2026-01-07' : '';
  const init: RequestInit = { method: route.method };
  if (route.method === 'POST') init.body = JSON.stringify({ format: 'csv' });
  return { path: `${path}${query}`, init };
}

async function call(route: Route, token?: string): Promise<{ status: number; body: any }> {
  const { path, init } = requestFor(route);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${stack.apiUrl}${path}`, { ...init, headers });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* the console's page and assets */
  }
  return { status: res.status, body };
}

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `roles${process.pid}-`,
    apiPort: 0,
    token: operatorToken,
    viewerToken,
    withScheduler: false,
    mappingOverrides: { maximumBatchingWindowInSeconds: 0 },
  });
  await stack.putRecords([
    JSON.stringify({ eventId: 'roles-1', type: 'signup', memberId: 'm-roles', occurredAt: '2026-01-05T10:00:00+08:00' }),
  ]);
  await stack.drain();
}, 120_000);
afterAll(() => stack?.stop());

const operatorRoutes = ROUTES.filter((r) => r.role === 'operator');
const viewerRoutes = ROUTES.filter((r) => r.role === 'viewer');

describe('the viewer token', () => {
  it('the table has routes of both roles, and the contract’s viewer routes are viewer routes', () => {
    expect(operatorRoutes.length).toBeGreaterThan(0);
    for (const key of ['GET /health', 'GET /metrics/daily', 'GET /metrics/program', 'GET /segments']) {
      expect(ROUTES.find((r) => routeKey(r) === key)?.role, key).toBe('viewer');
    }
    for (const r of viewerRoutes) expect(routeKey(r)).toMatch(/^GET \/(health|metrics\/[a-z-]+|segments|console\/\{proxy\+\}|)$/);
  });

  it.each(operatorRoutes.map((r) => [routeKey(r), r] as const))(
    'is refused %s with 403 forbidden; the operator is not',
    async (_key, route) => {
      const viewer = await call(route, viewerToken);
      expect(viewer.status).toBe(403);
      expect(viewer.body).toEqual({ error: { code: 'forbidden', message: expect.stringContaining('viewer') } });
      const operator = await call(route, operatorToken);
      expect(operator.status).not.toBe(403);
      expect(operator.status).toBeLessThan(500);
      expect((await call(route)).status).toBe(403);
    },
  );

  it.each(viewerRoutes.map((r) => [routeKey(r), r] as const))('is accepted on %s with the operator’s answer', async (_key, route) => {
    const viewer = await call(route, viewerToken);
    const operator = await call(route, operatorToken);
    expect(viewer.status).toBe(200);
    expect(viewer).toEqual(operator);
  });

  it('is refused the local control endpoints; a wrong token is a 403 unauthorized', async () => {
    const viewer = await fetch(`${stack.apiUrl}/_local/drain`, { method: 'POST', headers: { authorization: `Bearer ${viewerToken}` } });
    expect(viewer.status).toBe(403);
    expect(((await viewer.json()) as { error: { code: string; message: string } }).error.code).toBe('forbidden');
    const operator = await fetch(`${stack.apiUrl}/_local/drain`, { method: 'POST', headers: { authorization: `Bearer ${operatorToken}` } });
    expect(operator.status).toBe(200);
    const wrong = await fetch(`${stack.apiUrl}/metrics/program`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('gets a 404 on an unknown path (the server answers it, as API Gateway does), not a 403', async () => {
    const res = await fetch(`${stack.apiUrl}/no/such/route`, { headers: { authorization: `Bearer ${viewerToken}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string; message: string } }).error.code).toBe('route_not_found');
  });
});

describe('start banner', () => {
  it('prints generated tokens and never a supplied one', () => {
    const generated = readyMessage({ ...stack, generatedTokens: { operator: true, viewer: true } });
    expect(generated).toContain(`token ${operatorToken}`);
    expect(generated).toContain(`viewer token ${viewerToken}`);
    const supplied = readyMessage(stack);
    expect(stack.generatedTokens).toEqual({ operator: false, viewer: false });
    expect(supplied).not.toContain(operatorToken);
    expect(supplied).not.toContain(viewerToken);
    expect(supplied).toContain('MEMBERFLOW_API_TOKEN');
    expect(supplied).toContain('MEMBERFLOW_VIEWER_TOKEN');
  });
});
