// GET /quarantine pages by size as well as by count (docs/api.md#quarantine): `limit=1000` over
// 2 KiB raws of Chinese text and quotes (each escaped twice: in the body, and again in the Lambda
// response carrying the body as a string) must stay under Lambda's 6 MB response, and
// `x-next-cursor` must lead through every entry exactly once, newest first, across UTC days.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClient } from '../../infra/local/engine/aws';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { QuarantineStore } from '../../functions/adapters/quarantine-store';
import { rawHead } from '../../shared/events/events';

const token = 'quarantine-paging-token';
const LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024;
const ENTRIES = 1000;
let stack: LocalStack;

/** A 2 KiB raw record: Chinese characters between many quotes (a list of quoted one-character titles). */
function chineseRaw(i: number): string {
  const names = Array.from({ length: 300 }, (_, k) => `"\\"${'会员积分等级'[(i + k) % 6]}\\""`);
  return rawHead(`{"eventId":"q${i}","type":"page_view","page":[${names.join(',')}]}`);
}

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `qpage${process.pid}-`,
    apiPort: 0,
    token,
    withScheduler: false,
  });
  const store = new QuarantineStore(DynamoDBDocumentClient.from(dynamoClient(stack.endpoints)), stack.names.tables.QuarantineTable);
  const now = Date.now();
  // Spread over three UTC days (partitions), newest now.
  await store.putAll(
    Array.from({ length: ENTRIES }, (_, i) => ({
      receivedAt: new Date(now - i * 200_000).toISOString(),
      reason: 'not_json' as const,
      detail: `record is not JSON: 第${i}条 ${'数据'.repeat(200)}`.slice(0, 512),
      raw: chineseRaw(i),
      shardId: 'shardId-000000000000',
      seq: String(i).padStart(20, '0'),
    })),
  );
}, 240_000);
afterAll(() => stack?.stop());

async function page(query: string) {
  const res = await fetch(`${stack.apiUrl}/quarantine?${query}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, text, body: JSON.parse(text), next: res.headers.get('x-next-cursor') };
}

describe('GET /quarantine pages by size', () => {
  it('keeps every page of limit=1000 under the Lambda response limit and reaches every entry once', async () => {
    expect(Buffer.byteLength(chineseRaw(0))).toBeGreaterThan(2000);
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    for (let n = 0; n < 20; n++) {
      const res = await page(`limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      // The body is itself a JSON string in the Lambda response.
      sizes.push(Buffer.byteLength(JSON.stringify(res.text)));
      seen.push(...(res.body as { raw: string }[]).map((e) => JSON.parse(`${e.raw.slice(0, e.raw.indexOf(',"type"'))}}`).eventId));
      cursor = res.next;
      if (!cursor) break;
    }
    // One page of all 1000 would not fit.
    expect(sizes.reduce((a, b) => a + b)).toBeGreaterThan(LAMBDA_RESPONSE_LIMIT);
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThan(LAMBDA_RESPONSE_LIMIT - 64 * 1024);
    expect(seen).toEqual(Array.from({ length: ENTRIES }, (_, i) => `q${i}`));
  });

  it('still pages by count, and refuses a cursor it did not issue', async () => {
    const first = await page('limit=10');
    expect(first.body).toHaveLength(10);
    expect(first.next).toBeTruthy();
    const second = await page(`limit=10&cursor=${encodeURIComponent(first.next!)}`);
    expect(second.body.map((e: { receivedAt: string }) => e.receivedAt)[0] < first.body[9].receivedAt).toBe(true);
    const bad = await page('limit=10&cursor=not-a-cursor');
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/^cursor:/);
  });
});
