// The local HTTP API (bearer auth, API Gateway v2 events), the scheduler and the producer,
// against the shared local services.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { partitionKeyFor } from '../../infra/local/engine/kinesis-producer';
import { nextFire } from '../../infra/local/engine/scheduler';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { calls } from '../fixtures/local-runtime/recording-handler';
import { fixtureTemplate } from '../fixtures/local-runtime/template';

const endpoints = inject('endpoints');
let stack: LocalStack;
let url: string;
const token = 'test-token-123';
const auth = { authorization: `Bearer ${token}` };

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints,
    prefix: `api${process.pid}-`,
    template: fixtureTemplate({ events: { BatchSize: 500, MaximumBatchingWindowInSeconds: 0 } }),
    apiPort: 0,
    token,
    withScheduler: false,
  });
  url = stack.apiUrl!;
});
afterAll(() => stack?.stop());

async function get(path: string, headers: Record<string, string> = auth): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${url}${path}`, { headers });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, body, headers: res.headers };
}

describe('HTTP API', () => {
  it('listens on loopback', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('rejects requests without a token or with a wrong one with 403, as API Gateway an unsigned request', async () => {
    const missing = await get('/members/m1', {});
    expect(missing.status).toBe(403);
    expect(missing.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
    const wrong = await get('/members/m1', { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('unauthorized');
    expect((await get('/members/m1', { authorization: token })).status).toBe(403); // no "Bearer"
    expect((await get('/_local/jobs/tier-review', {})).status).toBe(403);
  });

  it('serves GET /health without a token, with no authorizer block', async () => {
    const res = await get('/health', {});
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ routeKey: 'GET /health', rawPath: '/health' });
    expect(res.body.requestContext.authorizer).toBeUndefined();
  });

  it('turns a request into an APIGatewayProxyEventV2 with route, path and query parameters', async () => {
    const res = await get('/members/a%20b%3Ac?asOf=2026-01-05&x=1&x=2', { ...auth, 'X-Custom': 'Yes' });
    expect(res.status).toBe(200);
    const e = res.body;
    expect(e).toMatchObject({
      version: '2.0',
      routeKey: 'GET /members/{memberId}',
      rawPath: '/members/a%20b%3Ac',
      rawQueryString: 'asOf=2026-01-05&x=1&x=2',
      pathParameters: { memberId: 'a b:c' },
      queryStringParameters: { asOf: '2026-01-05', x: '1,2' },
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'GET /members/{memberId}',
        stage: '$default',
        http: { method: 'GET', path: '/members/a%20b%3Ac', sourceIp: '127.0.0.1' },
        authorizer: { iam: { userArn: 'arn:aws:iam::000000000000:user/local-operator' } },
      },
    });
    expect(e.headers['x-custom']).toBe('Yes');
    expect(Object.keys(e.headers).every((k: string) => k === k.toLowerCase())).toBe(true);
  });

  it('answers a request no route matches with 404 itself, never invoking the function; greedy paths reach their route', async () => {
    const echoes = () => calls('api-echo').length;
    const before = echoes();
    for (const [method, path] of [
      ['GET', '/nothing/here'],
      ['GET', '/members'],
      ['DELETE', '/members/m1'],
      ['POST', '/health'],
    ]) {
      // Matching comes before authorisation, as in API Gateway: no token needed for the 404.
      const res = await fetch(`${url}${path}`, { method });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(await res.json()).toEqual({ error: { code: 'route_not_found', message: `no route ${method} ${path}` } });
    }
    expect(echoes()).toBe(before);
    expect((await get('/members/m1')).body.routeKey).toBe('GET /members/{memberId}');
    expect(echoes()).toBe(before + 1);
    const consoleAsset = await get('/console/js/app.js', {});
    expect(consoleAsset.status).toBe(200); // console assets are open, as /health
    expect(consoleAsset.body).toMatchObject({ routeKey: 'GET /console/{proxy+}', pathParameters: { proxy: 'js/app.js' } });
  });

  it('passes bodies (text as is, binary base64) and writes the handler result back', async () => {
    const text = await fetch(`${url}/segments/s1/exports`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"format":"csv"}',
    });
    const e = await text.json();
    expect(e).toMatchObject({
      routeKey: 'POST /segments/{id}/exports',
      pathParameters: { id: 's1' },
      body: '{"format":"csv"}',
      isBase64Encoded: false,
    });
    const bin = await fetch(`${url}/upload`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/octet-stream' },
      body: Buffer.from([0, 255, 1]),
    });
    expect(await bin.json()).toMatchObject({
      routeKey: 'PUT /upload',
      body: Buffer.from([0, 255, 1]).toString('base64'),
      isBase64Encoded: true,
    });

    const created = await fetch(`${url}/created`, { headers: auth });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-thing')).toBe('yes');
    expect(await created.text()).toBe('made');
    const bare = await get('/bare');
    expect(bare).toMatchObject({ status: 200, body: { hello: 'world' } });
    const boom = await get('/boom');
    expect(boom.status).toBe(500);
    expect(boom.body.error.code).toBe('internal');
  });

  it('runs jobs through the token-protected control endpoint', async () => {
    const res = await fetch(`${url}/_local/jobs/tier-review?asOf=2026-02-03`, { method: 'POST', headers: auth });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      job: 'tier-review',
      asOf: '2026-02-03',
      result: { ok: true, job: 'tier-review', asOf: '2026-02-03' },
    });
    expect(calls('job:tier-review').at(-1)!.event).toEqual({ job: 'tier-review', asOf: '2026-02-03' });
    const unknown = await fetch(`${url}/_local/jobs/nope`, { method: 'POST', headers: auth });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string; message: string } }).error.message).toContain('tier-review');
    const bad = await fetch(`${url}/_local/jobs/tier-review?asOf=tomorrow`, { method: 'POST', headers: auth });
    expect(bad.status).toBe(400);
    const drained = await fetch(`${url}/_local/drain`, { method: 'POST', headers: auth });
    expect(await drained.json()).toEqual({ drained: true });
  });
});

describe('scheduler', () => {
  it('evaluates cron(m h * * ? *) in the schedule time zone', () => {
    const expr = 'cron(15 0 * * ? *)';
    expect(nextFire(expr, 'Asia/Shanghai', new Date('2026-03-01T10:00:00Z'))?.toISOString()).toBe('2026-03-01T16:15:00.000Z');
    expect(nextFire(expr, 'Asia/Shanghai', new Date('2026-03-01T16:15:00Z'))?.toISOString()).toBe('2026-03-02T16:15:00.000Z');
    expect(nextFire(expr, 'UTC', new Date('2026-03-01T10:00:00Z'))?.toISOString()).toBe('2026-03-02T00:15:00.000Z');
    // America/New_York springs forward on 2026-03-08: 02:30 local does not exist that day.
    expect(nextFire('cron(30 2 * * ? *)', 'America/New_York', new Date('2026-03-08T00:00:00Z'))?.toISOString()).toBe(
      '2026-03-09T06:30:00.000Z',
    );
    expect(nextFire('cron(0 9 ? * MON *)', 'UTC', new Date('2026-03-01T00:00:00Z'))?.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    expect(nextFire('rate(5 minutes)', 'UTC', new Date('2026-03-01T00:00:00Z'))?.toISOString()).toBe('2026-03-01T00:05:00.000Z');
  });

  it('knows the template schedules and runs a job with { job, asOf }', async () => {
    expect(stack.scheduler.jobs()).toEqual(['tier-review']);
    expect(stack.scheduler.next(new Date('2026-03-01T10:00:00Z'))[0].at?.toISOString()).toBe('2026-03-01T16:15:00.000Z');
    await expect(stack.runJob('tier-review', '2026-03-04')).resolves.toEqual({ ok: true, job: 'tier-review', asOf: '2026-03-04' });
    await stack.runJob('tier-review');
    expect(calls('job:tier-review').at(-1)!.event).toEqual({ job: 'tier-review' });
    await expect(stack.runJob('nope')).rejects.toThrow(/unknown job "nope"; jobs: tier-review/);
  });
});

describe('producer', () => {
  it('uses the memberId as partition key, else a hash of the line', () => {
    expect(partitionKeyFor('{"memberId":"m-1","x":1}')).toBe('m-1');
    expect(partitionKeyFor('{"memberId":42}')).toMatch(/^[0-9a-f]{64}$/);
    expect(partitionKeyFor('not json')).toMatch(/^[0-9a-f]{64}$/);
    expect(partitionKeyFor('not json')).toBe(partitionKeyFor('not json'));
  });

  it('sends lines in chunks of 500, unchanged and in order per member', async () => {
    const lines = Array.from({ length: 1200 }, (_, i) => JSON.stringify({ t: 'bulk', i, memberId: `m${i % 7}` }));
    const progress: number[] = [];
    const t0 = Date.now();
    expect(await stack.putRecords(lines, (n) => progress.push(n))).toBe(1200);
    const putMs = Date.now() - t0;
    expect(progress).toEqual([500, 1000, 1200]);
    await stack.drain({ timeoutMs: 30_000 });
    const got = calls('bulk').flatMap((c) => c.records.map((r: any) => Buffer.from(r.kinesis.data, 'base64').toString('utf8')));
    expect(got).toEqual(lines); // one shard: the stream order is the send order
    if (process.env.MEMBERFLOW_TEST_VERBOSE) console.log(`PutRecords: ${Math.round(1200 / (putMs / 1000))} records/s`);
  });
});
