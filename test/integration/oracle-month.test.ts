// The activity issue's acceptance check: 2,000 members over 45 days of simulated behaviour, through
// the real events handler and DynamoDB Local, every figure of every day equal to the oracle's.
// Delivered with the fixed batch plan (4 shards, 500 records per batch) straight to the handler,
// so the run measures our code, not kinesis-mock's throughput (the Kinesis path itself is covered
// end to end by pipeline-e2e.test.ts).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { deliverPlan, planBatches } from '../../infra/local/engine/batch-plan';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { eventsToJsonLines, simulate } from '../../simulator';
import { buildActivityOracle, type OracleEvent } from '../../harness/oracle/activity-oracle';

const MEMBERS = 2000;
const DAYS = 45;
const FROM = '2026-09-01';
const TO = '2026-10-15';
const events = [...simulate({ members: MEMBERS, days: DAYS, seed: 42, start: FROM })];
const lines = [...eventsToJsonLines(events)];
const oracle = buildActivityOracle(events as unknown as OracleEvent[], 'Asia/Shanghai');
const token = 'oracle-token';
let stack: LocalStack;

async function get(path: string) {
  const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as any;
}

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `oracle${process.pid}-`,
    apiPort: 0,
    token,
    withPollers: false,
    withScheduler: false,
  });
  const { handler } = await import('../../functions/process-events');
  await deliverPlan(planBatches(lines, { shards: 4, batchSize: 500 }), handler);
}, 1_200_000);
afterAll(() => stack?.stop());

describe(`a simulated ${DAYS}-day month of ${MEMBERS} members`, () => {
  it('has the size the issue asks for', () => {
    expect(oracle.memberIds().length).toBe(MEMBERS);
    expect(lines.length).toBeGreaterThan(100_000);
  });

  it('matches the oracle on every daily figure of every day', async () => {
    expect((await get(`/metrics/daily?from=${FROM}&to=${TO}`)).days).toEqual(oracle.daily(FROM, TO));
  });

  it('matches the oracle on every retention cohort and session bucket', async () => {
    expect((await get(`/metrics/retention?from=${FROM}&to=${TO}`)).cohorts).toEqual(oracle.retention(FROM, TO));
    expect((await get(`/metrics/sessions?from=${FROM}&to=${TO}`)).days).toEqual(oracle.sessions(FROM, TO));
    const channels = (await get(`/metrics/retention-by-channel?from=${FROM}&to=${TO}`)).channels;
    expect(channels.map(({ channel, size, d1, d7, d30 }: any) => ({ channel, size, d1, d7, d30 }))).toEqual(
      oracle.retentionByChannel(FROM, TO),
    );
  });

  it('matches the oracle on every member', async () => {
    for (const memberId of oracle.memberIds()) {
      const m = oracle.member(memberId)!;
      const body = await get(`/members/${memberId}?asOf=${TO}`);
      expect({
        memberId,
        joinedOn: body.joinedOn,
        lastActiveOn: body.lastActiveOn,
        activeDays: body.activeDays,
        acquisitionChannel: body.acquisitionChannel,
      }).toEqual({ memberId, ...m });
    }
  });
});
