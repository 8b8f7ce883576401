// No personal data, raw events or tokens in the logs. Everything the handlers write (Powertools
// logger → stdout/stderr, at DEBUG, the most verbose level) and everything the local runtime logs
// is captured while a month of sample events and the bad records go through the stack — with
// injected failures, so the error and retry paths log too — and while the API is used (member,
// metrics, quarantine, bad parameters, an unknown member, a malformed path, a segment export and
// its download URL, subject access, an erasure and a replay after it, the audit log, an
// unauthenticated call). Then the capture is searched for member ids, event
// and order ids, SKUs, raw event fields, the bearer token, the caller's identity and IP, and
// pre-signed URLs.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { setDocumentClient } from '../../functions/adapters/clients';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { synthTemplate } from '../../infra/synth';
import { FaultController, installController } from '../../harness/chaos/faults';

const read = (file: string) =>
  readFileSync(new URL(`../../events/${file}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
const sample = read('sample-month.jsonl');
const bad = read('bad-records.jsonl');
const token = 'logs-test-token-5f1b9c0a7e';

let stack: LocalStack;
let faults: FaultController;
const handlerOutput: string[] = [];
const runtimeLog: string[] = [];
const answers: { path: string; status: number; body: string }[] = [];
let restore: (() => void) | undefined;

function capture(): () => void {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const keep = (chunk: unknown) => {
    handlerOutput.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  process.stdout.write = keep as typeof process.stdout.write;
  process.stderr.write = keep as typeof process.stderr.write;
  return () => {
    process.stdout.write = out;
    process.stderr.write = err;
  };
}

async function call(path: string, init: RequestInit = {}, auth = true): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.apiUrl}${path}`, {
    ...init,
    headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json', ...init.headers },
  });
  const text = await res.text();
  answers.push({ path, status: res.status, body: text });
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  process.env.MEMBERFLOW_LOG_LEVEL = 'DEBUG';
  // The consumer runs under the chaos fault controller (crashes, throttling, timeouts), so its
  // error paths and the local runtime's retry messages are in the capture too.
  const template = synthTemplate() as Record<string, any>;
  template.Resources.ProcessEventsFunction.Metadata['memberflow:entry'] = fileURLToPath(
    new URL('../../harness/chaos/chaos-process-events.ts', import.meta.url),
  );
  restore = capture();
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    template,
    prefix: `logs${process.pid}-`,
    apiPort: 0,
    token,
    withScheduler: false,
    mappingOverrides: { maximumBatchingWindowInSeconds: 0, batchSize: 100 },
    pollerOptions: { retryBaseMs: 50 },
    log: (m) => runtimeLog.push(m),
  });
  faults = new FaultController(3, stack.names.tables.MembersTable, {
    invocation: 0.6,
    sdkThrottle: 0.01,
    sdkTimeoutAfterCommit: 0.005,
    till: 0,
  });
  installController(faults);
  setDocumentClient(faults.documentClient(stack.endpoints.dynamodb));
  faults.enabled = true;

  await stack.putRecords([...sample, ...bad]);
  await stack.drain({ timeoutMs: 120_000 });
  faults.enabled = false;

  await call('/members/m00001');
  await call('/members/m00009?asOf=2026-10-10');
  await call('/members/m00003?asOf=yesterday');
  await call('/members/no-such-member-7');
  await call('/members/%');
  await call('/metrics/daily?from=2026-10-01&to=2026-10-10');
  await call('/metrics/daily?from=2026-10-10&to=2026-10-01');
  await call('/quarantine?limit=50');
  await call('/segments/tier-member/members?limit=5');
  const started = await call('/segments/tier-member/exports', { method: 'POST', body: JSON.stringify({ format: 'csv' }) });
  await stack.drain({ timeoutMs: 60_000 });
  if (started.body?.exportId) await call(`/exports/${started.body.exportId}`);
  // Privacy routes: subject access, an erasure (its reason names the member), the consumer's
  // erasure, a replay of the member's events after it, bad requests, the audit log.
  await call('/members/m00002/data');
  await call('/members/m00002/erasure', {
    method: 'POST',
    body: JSON.stringify({ erasureId: 'logs-er-1', reason: 'm00002 asked to be forgotten' }),
  });
  await call('/members/m00002/erasure', { method: 'POST', body: JSON.stringify({ erasureId: 'bad id!', reason: '' }) });
  await call('/members/no-such-member-7/erasure', { method: 'POST', body: JSON.stringify({ erasureId: 'logs-er-2', reason: 'r' }) });
  await stack.drain({ timeoutMs: 60_000 });
  await stack.putRecords(sample.filter((l) => l.includes('"memberId":"m00002"')));
  await stack.drain({ timeoutMs: 60_000 });
  await call('/members/m00002');
  await call('/members/m00002/data');
  await call('/audit?limit=100');
  await call('/audit?from=2026-10-10&to=2026-10-01');
  await call('/members/m00001', {}, false);
  await call('/metrics/daily?from=2026-10-01&to=2026-10-02', { headers: { authorization: 'Bearer not-the-token-9d8c7b' } }, false);
}, 240_000);

afterAll(async () => {
  restore?.();
  installController(undefined);
  setDocumentClient(undefined);
  await stack?.stop();
});

describe('the logs', () => {
  const all = () => [...handlerOutput, ...runtimeLog].join('\n');

  it('captured the handlers and the runtime at work, failures included', () => {
    restore?.();
    const text = all();
    expect(text).toContain('batch processed');
    // Which failure path the seeded faults hit depends on the order of parallel calls: a failed
    // member write (the handler's warning) or a failed invocation (the runtime's retry line).
    expect(text).toMatch(/member batch failed; will be retried|batch of \d+ failed/);
    expect(text).toContain('segment_export_requested');
    expect(runtimeLog.some((l) => /batch of \d+ failed/.test(l))).toBe(true);
    expect(Object.values(faults.counts).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // The API did answer with member data (so it was there to leak).
    expect(answers.find((a) => a.path === '/members/m00001' && a.status === 200)?.body).toContain('"memberId":"m00001"');
    expect(answers.find((a) => a.path.startsWith('/exports/'))?.body).toContain('X-Amz-Signature');
    expect(answers.find((a) => a.path === '/members/m00002/data' && a.status === 200)?.body).toContain('"memberId":"m00002"');
    expect(answers.find((a) => a.path === '/members/m00002/erasure')?.status).toBe(202);
    expect(answers.find((a) => a.path === '/members/m00002')?.body).toContain('member_erased');
    expect(text).toContain('member_erasure_requested');
  });

  it('hold no member id, event id, order id, SKU or raw event field', () => {
    const text = all();
    const memberIds = new Set([...sample, ...bad].flatMap((l) => /"memberId":"([^"]+)"/.exec(l)?.[1] ?? []));
    expect(memberIds.size).toBeGreaterThan(5);
    for (const id of [...memberIds, 'no-such-member-7']) expect(text.includes(id), `member id ${id} in the logs`).toBe(false);
    expect(text).not.toMatch(/\bm\d{5}\b/);
    expect(text).not.toMatch(/\be-\d+-\d+\b/); // event ids of the sample
    expect(text).not.toMatch(/\bo-\d+-\d+\b/); // order ids
    expect(text).not.toMatch(/sku-[a-z]{2}-\d{3}/);
    for (const field of [
      '"occurredAt"',
      '"lines"',
      '"amountCents"',
      '"acquisitionChannel"',
      'bad-refund-unknown-order',
      'o-does-not-exist',
    ]) {
      expect(text.includes(field), `${field} in the logs`).toBe(false);
    }
  });

  it('hold no bearer token, caller identity, caller IP or pre-signed URL', () => {
    const text = all();
    expect(text.includes(token)).toBe(false);
    expect(text.includes('not-the-token-9d8c7b')).toBe(false);
    expect(text).not.toMatch(/Bearer\s+\S/);
    expect(text).not.toContain('arn:aws:iam::000000000000:user/');
    expect(text).not.toContain('local-operator');
    expect(handlerOutput.join('\n')).not.toContain('127.0.0.1');
    expect(text).not.toContain('X-Amz-Signature');
    expect(text).not.toContain('X-Amz-Credential');
  });
});
