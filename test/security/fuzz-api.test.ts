// Bad input, fuzzed (fast-check), part 2: every API route's path and query parameters (and the
// request bodies), through the api Lambda handler with API Gateway v2 events, and a smaller sample
// over HTTP through the local API: never a 5xx, a 4xx names the parameter, and no state changes
// (every table's item count and every bucket's objects are the same before and after).
import { readFileSync } from 'node:fs';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import fc from 'fast-check';
import { auditLog } from '../../functions/adapters/audit-store';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dynamoClient, s3Client } from '../../infra/local/engine/aws';
import { deliverPlan, planBatches } from '../../infra/local/engine/batch-plan';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { pathPattern, routeKey, ROUTES as TABLE } from '../../functions/api/route-table';

const sample = readFileSync(new URL('../../events/sample-month.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim());

// ---------------------------------------------------------------------------------------------
// The API

const token = 'fuzz-token';
let stack: LocalStack;
let apiHandler: (event: APIGatewayProxyEventV2) => Promise<{ statusCode?: number; body?: string }>;

beforeAll(async () => {
  process.env.MEMBERFLOW_LOG_LEVEL ??= 'ERROR';
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `fuzz${process.pid}-`,
    apiPort: 0,
    token,
    withPollers: false,
    withScheduler: false,
  });
  const { handler } = await import('../../functions/process-events');
  await deliverPlan(planBatches(sample, { shards: 2, batchSize: 200 }), handler);
  apiHandler = (await import('../../functions/api')).handler as never;
}, 120_000);
afterAll(() => stack?.stop());

/** Item count of every table and the object keys of every bucket of the stack. */
async function snapshot(): Promise<Record<string, unknown>> {
  const ddb = dynamoClient(stack.endpoints);
  const s3 = s3Client(stack.endpoints);
  try {
    const out: Record<string, unknown> = {};
    for (const [id, name] of Object.entries(stack.names.tables)) {
      // Operator reads of member data append to the audit log by design; it is checked apart.
      if (id === 'AuditTable') continue;
      let count = 0;
      let ExclusiveStartKey: Record<string, any> | undefined;
      do {
        const page = await ddb.send(new ScanCommand({ TableName: name, Select: 'COUNT', ExclusiveStartKey }));
        count += page.Count ?? 0;
        ExclusiveStartKey = page.LastEvaluatedKey;
      } while (ExclusiveStartKey);
      out[id] = count;
    }
    for (const [id, name] of Object.entries(stack.names.buckets)) {
      out[id] = ((await s3.send(new ListObjectsV2Command({ Bucket: name }))).Contents ?? []).map((o) => o.Key).sort();
    }
    return out;
  } finally {
    ddb.destroy();
    s3.destroy();
  }
}

/** The audit log still verifies and holds only subject-access reads (nothing was erased or exported). */
async function expectAuditOnlyReads(): Promise<void> {
  const log = auditLog();
  expect(await log.verify()).toMatchObject({ ok: true });
  for await (const entry of log.all()) expect(entry.action).toBe('subject_access');
}

interface RouteSpec {
  method: 'GET' | 'POST';
  /** `{p}` is the path parameter. */
  path: string;
  pathParam?: string;
  query: string[];
  validPath?: string[];
}

/** What to fuzz on each route of the table: its query parameters and a few valid path values. */
const FUZZ: Record<string, Omit<RouteSpec, 'method' | 'path' | 'pathParam'> | 'static'> = {
  'GET /health': { query: [] },
  'GET /members/{memberId}': { query: ['asOf'], validPath: ['m00001', 'm00002', 'm00009', 'nobody'] },
  // Subject access reads (and audits) one member; erasure is fuzzed on unknown members only (a
  // real erasure is a state change: test/integration/erasure.test.ts).
  'GET /members/{memberId}/data': { query: [], validPath: ['m00001', 'nobody'] },
  'POST /members/{memberId}/erasure': { query: [], validPath: ['nobody', 'no-such-member'] },
  // Merges are fuzzed on unknown members only (a real merge is a state change: test/integration/merge.test.ts).
  'POST /members/{memberId}/merge': { query: [], validPath: ['nobody', 'no-such-member'] },
  'GET /audit': { query: ['from', 'to', 'limit', 'cursor'] },
  // Coin writes are fuzzed on unknown members only (real redemptions are state changes:
  // test/integration/coins-api.test.ts); the ledger read on real ones too.
  'POST /members/{memberId}/coins/redemptions': { query: [], validPath: ['nobody', 'no-such-member'] },
  'POST /members/{memberId}/coins/redemptions/{redemptionId}/reversal': { query: [], validPath: ['nobody', 'no-such-member'] },
  'POST /members/{memberId}/coins/adjustments': { query: [], validPath: ['nobody', 'no-such-member'] },
  'GET /members/{memberId}/coins/ledger': { query: ['limit', 'cursor'], validPath: ['m00001', 'nobody'] },
  'GET /metrics/coins': { query: ['from', 'to'] },
  'GET /metrics/daily': { query: ['from', 'to'] },
  'GET /metrics/retention': { query: ['from', 'to'] },
  'GET /metrics/retention-by-channel': { query: ['from', 'to'] },
  'GET /metrics/sessions': { query: ['from', 'to'] },
  'GET /metrics/winback': { query: ['from', 'to'] },
  'GET /metrics/program': { query: ['asOf'] },
  'GET /metrics/tier-reviews': { query: ['days'] },
  'GET /quarantine': { query: ['limit'] },
  'GET /segments': { query: [] },
  'GET /segments/{id}/members': { query: ['limit', 'cursor'], validPath: ['tier-member', 'status-active', 'gold-and-up-silent', 'nope'] },
  'POST /segments/{id}/exports': { query: [], validPath: ['tier-member', 'rfm-important-value', 'nope'] },
  'GET /exports/{exportId}': { query: [], validPath: ['00000000-0000-4000-8000-000000000000', 'not-a-uuid'] },
  // The console's page and assets: static files, not JSON (test/integration/console.test.ts).
  'GET /': 'static',
  'GET /console/{proxy+}': 'static',
};

/** The route table's JSON routes, each with its fuzz data; a route missing from FUZZ fails here. */
const ROUTES: RouteSpec[] = TABLE.flatMap((route) => {
  const fuzz = FUZZ[routeKey(route)];
  if (!fuzz) throw new Error(`fuzz-api.test.ts: add ${routeKey(route)} to FUZZ`);
  if (fuzz === 'static') return [];
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  // The first path parameter is fuzzed; any further one (a redemption id) is a fixed valid value.
  const path = route.path.replace(/\{\w+\}/, '{p}').replace(/\{(?!p\})\w+\}/g, 'fuzz-1');
  return [{ method: route.method, path, pathParam: params[0], ...fuzz }];
});
const routeOf = (path: string): RouteSpec => ROUTES.find((r) => r.path === path)!;

const dayLike = fc.oneof(
  fc.constantFrom(
    '2026-10-01',
    '2026-10-05',
    '2026-10-10',
    '2026-11-01',
    '2025-01-01',
    '2026-02-29',
    '2026-13-01',
    '2026-10-1',
    'today',
    '',
  ),
  fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
);
const numberLike = fc.oneof(
  fc.constantFrom('0', '1', '100', '1000', '1001', '-1', '1.5', '1e3', 'NaN', 'Infinity', '0x10', ' 5', ''),
  fc.integer({ min: -10_000, max: 10_000 }).map(String),
);
const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('../../etc/passwd', "' OR 1=1 --", '<script>', '\u0000', '%', '%%', '{"b":0}'),
);
const paramValue = (name: string) =>
  name === 'from' || name === 'to' || name === 'asOf'
    ? fc.oneof(dayLike, anyText)
    : name === 'limit'
      ? fc.oneof(numberLike, anyText)
      : anyText;

/** A cursor the store would decode, with a random bucket and key. */
const forgedCursor = fc
  .record({ b: fc.integer({ min: -2, max: 10 }), k: fc.option(fc.string({ maxLength: 1200 }), { nil: undefined }) })
  .map((c) => Buffer.from(JSON.stringify(c)).toString('base64url'));

const body = fc
  .oneof(
    fc.constant(undefined),
    anyText,
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
    fc.record({ format: fc.oneof(anyText, fc.constantFrom('CSV', 'json', 'xlsx')) }).map((v) => JSON.stringify(v)),
    fc.constantFrom('{"format":"csv","extra":1}', '{"format":null}', '[]', 'null', '{"format":"jsonl","format2":"csv"}'),
    fc
      .record(
        {
          erasureId: fc.oneof(anyText, fc.constantFrom('er-1', '', 'a'.repeat(129))),
          reason: fc.oneof(anyText, fc.constant(''), fc.integer()),
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
  )
  // A valid request would start an export: that state change is tested in test/integration/exports.test.ts.
  .filter((b) => b !== JSON.stringify({ format: 'csv' }) && b !== JSON.stringify({ format: 'jsonl' }));

interface Request {
  route: RouteSpec;
  method: string;
  pathValue?: string;
  query: Record<string, string>;
  body?: string;
}

const request: fc.Arbitrary<Request> = fc.constantFrom(...ROUTES).chain((route) =>
  fc.record({
    route: fc.constant(route),
    method: fc.oneof(
      { weight: 9, arbitrary: fc.constant(route.method) },
      { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'DELETE', 'PUT') },
    ),
    pathValue: route.pathParam
      ? fc.oneof(
          fc.constantFrom(...route.validPath!),
          anyText.filter((s) => s.length > 0),
        )
      : fc.constant(undefined),
    query: fc
      .dictionary(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...(route.query.length ? route.query : ['x'])) },
          { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 8 }) },
        ),
        fc.string(),
        { maxKeys: 3 },
      )
      .chain(
        (keys) =>
          fc.record(
            Object.fromEntries(Object.keys(keys).map((k) => [k, k === 'cursor' ? fc.oneof(anyText, forgedCursor) : paramValue(k)])),
          ) as fc.Arbitrary<Record<string, string>>,
      ),
    body: route.method === 'POST' ? body : fc.constant(undefined),
  }),
);

function rawPathOf(r: Request): string {
  return r.route.path.replace('{p}', encodeURIComponent(r.pathValue ?? ''));
}

function apiEvent(r: Request): APIGatewayProxyEventV2 {
  const rawPath = rawPathOf(r);
  const query = Object.keys(r.query).length ? r.query : undefined;
  return {
    version: '2.0',
    routeKey: `${r.route.method} ${r.route.path.replace('{p}', `{${r.route.pathParam}}`)}`,
    rawPath,
    rawQueryString: new URLSearchParams(r.query).toString(),
    headers: { 'content-type': 'application/json' },
    queryStringParameters: query,
    pathParameters: r.route.pathParam ? { [r.route.pathParam]: r.pathValue! } : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'fuzz',
      domainName: 'fuzz.local',
      domainPrefix: 'fuzz',
      http: { method: r.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'fuzz' },
      requestId: 'fuzz-request',
      routeKey: 'fuzz',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
      authorizer: {
        iam: {
          accessKey: 'AK',
          accountId: '000000000000',
          callerId: 'fuzz',
          cognitoIdentity: null,
          principalOrgId: '',
          userArn: 'arn:aws:iam::000000000000:user/fuzz',
          userId: 'fuzz',
        },
      },
    } as never,
    body: r.body,
    isBase64Encoded: false,
  };
}

const NAMED = new Set([
  'memberId',
  'id',
  'exportId',
  'body',
  'format',
  'cursor',
  'limit',
  'from',
  'to',
  'asOf',
  'erasureId',
  'reason',
  'redemptionId',
  'adjustmentId',
  'coins',
  'orderId',
  'mergeId',
  'fromMemberId',
]);

/** The answer to a fuzzed request: no 5xx; a 4xx is a contract error that names what was wrong. */
function checkAnswer(r: Request, status: number, text: string): void {
  const where = `${r.method} ${rawPathOf(r)} ${JSON.stringify(r.query)} body=${JSON.stringify(r.body)} → ${status} ${text}`;
  expect(status, where).toBeLessThan(500);
  if (status < 400) return;
  const parsed = JSON.parse(text);
  expect(typeof parsed.error?.code, where).toBe('string');
  expect(typeof parsed.error?.message, where).toBe('string');
  if (status === 400) {
    // A parameter the API knows, one the request sent, or a field of the request body.
    let bodyFields: string[] = [];
    try {
      const parsedBody = JSON.parse(r.body ?? '');
      if (parsedBody && typeof parsedBody === 'object') bodyFields = Object.keys(parsedBody);
    } catch {
      /* not JSON */
    }
    const names = [...NAMED, ...Object.keys(r.query), ...bodyFields];
    expect(
      names.some((n) => parsed.error.message.startsWith(`${n}: `)),
      where,
    ).toBe(true);
  }
  if (status === 404) {
    expect(
      [
        'member_not_found',
        'member_erased',
        'merged_into',
        'segment_not_found',
        'export_not_found',
        'redemption_not_found',
        'route_not_found',
      ],
      where,
    ).toContain(parsed.error.code);
    // A member asked for as of a day before it joined did not exist then: the 404 names asOf.
    if (parsed.error.code !== 'route_not_found')
      expect(parsed.error.message, where).toMatch(/^(memberId|fromMemberId|id|exportId|redemptionId|asOf): /);
  }
  if (status === 405) expect(parsed.error.code, where).toBe('method_not_allowed');
}

describe('every API route under fuzzed parameters', () => {
  it('answers through the api handler without a 5xx, names the bad parameter, and changes nothing', async () => {
    const before = await snapshot();
    let answered = 0;
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const res = await apiHandler(apiEvent(r));
        answered++;
        statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
        checkAnswer(r, res.statusCode ?? 0, res.body ?? '');
      }),
      { numRuns: 600 },
    );
    expect(answered).toBe(600);
    expect(statuses[400]).toBeGreaterThan(50);
    expect(statuses[200]).toBeGreaterThan(5);
    expect(await snapshot()).toEqual(before);
    await expectAuditOnlyReads();
    console.log(`fuzz (api handler): ${answered} requests, statuses ${JSON.stringify(statuses)}`);
  }, 180_000);

  it('answers over HTTP (the local API Gateway stand-in) without a 5xx, and changes nothing', async () => {
    const before = await snapshot();
    const statuses: Record<number, number> = {};
    await fc.assert(
      fc.asyncProperty(
        request,
        fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
        async (r, withToken) => {
          const qs = new URLSearchParams(r.query).toString();
          const url = `${stack.apiUrl}${rawPathOf(r)}${qs ? `?${qs}` : ''}`;
          const pathname = new URL(url).pathname; // as normalised by the client ('..' segments go)
          const open = TABLE.some((t) => t.open && t.method === r.method && pathPattern(t.path).test(pathname));
          const routed = TABLE.some((t) => t.method === r.method && pathPattern(t.path).test(pathname));
          const res = await fetch(url, {
            method: r.method,
            headers: withToken ? { authorization: `Bearer ${token}`, 'content-type': 'application/json' } : {},
            body: r.method === 'GET' ? undefined : r.body,
          });
          const text = await res.text();
          statuses[res.status] = (statuses[res.status] ?? 0) + 1;
          expect(res.status, `${r.method} ${url} → ${res.status} ${text}`).toBeLessThan(500);
          // No route: 404 from the server itself (as from API Gateway), before any authorisation.
          if (!routed) {
            expect(res.status, `${r.method} ${pathname}`).toBe(404);
            expect(JSON.parse(text).error.code).toBe('route_not_found');
            return;
          }
          // A route without a valid token: 403 (API Gateway's answer to an unsigned request).
          if (!withToken && !open) {
            expect(res.status).toBe(403);
            return;
          }
          if (pathname !== rawPathOf(r)) return; // the client rewrote the path ('..'): not the route fuzzed
          // The local server answers unknown routes itself (API Gateway would, too).
          if (res.status === 404 && !text.includes('"code"')) return;
          checkAnswer(r, res.status, text);
        },
      ),
      { numRuns: 200 },
    );
    expect(await snapshot()).toEqual(before);
    await expectAuditOnlyReads();
    console.log(`fuzz (HTTP): 200 requests, statuses ${JSON.stringify(statuses)}`);
  }, 180_000);

  it('rejects a forged segment cursor with a key too long for DynamoDB as a 400', async () => {
    const cursor = Buffer.from(JSON.stringify({ b: 0, k: 'x'.repeat(1500) })).toString('base64url');
    const res = await apiHandler(
      apiEvent({ route: routeOf('/segments/{p}/members'), method: 'GET', pathValue: 'tier-member', query: { cursor } }),
    );
    expect(res.statusCode, res.body).toBeLessThan(500);
  });

  // Found by this fuzz test: decodeURIComponent threw on "%" and the generic catch answered 500.
  it('answers a malformed percent-encoding in a path parameter with a 400', async () => {
    for (const rawPath of ['/members/%', '/members/%E0%A4%A', '/segments/%zz/members', '/exports/%']) {
      const r: Request = { route: routeOf('/members/{p}'), method: 'GET', query: {} };
      const event = {
        ...apiEvent(r),
        rawPath,
        requestContext: { ...apiEvent(r).requestContext, http: { ...apiEvent(r).requestContext.http, path: rawPath } },
      };
      const res = await apiHandler(event);
      expect(res.statusCode, `${rawPath} → ${res.statusCode} ${res.body}`).toBe(400);
      expect(JSON.parse(res.body as string).error.message).toMatch(/^path:/);
    }
  });
});
