// A member upgraded, refunded back, upgraded and refunded again on one day, in one batch: the same
// tier change twice. The tier history's BatchWriteItem named one key twice and DynamoDB rejected it
// ("Provided list of item keys contains duplicates"), so the batch failed on every retry (found by
// the 1M-event `npm run import`). Each repeat is now its own history entry.
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DynamoLedger } from '../../functions/adapters/ledger-store';
import { MemberStore } from '../../functions/adapters/member-store';
import { dynamoClient } from '../../infra/local/engine/aws';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import { processBatch, type StreamRecord } from '../../shared/batch/process-batch';
import { defaultProgram } from '../../shared/programme/load';
import { MemoryActions, MemoryHints, MemoryMetrics, MemoryQuarantine, MemorySegments } from '../support/memory-ports';
import { purchaseLine as purchase, refundLine as refund } from '../support/event-lines';

let stack: LocalStack;
let raw: ReturnType<typeof dynamoClient>;
let members: MemberStore;
let ledger: DynamoLedger;

const records = (lines: string[]): StreamRecord[] =>
  lines.map((line, i) => ({
    shardId: 'shardId-000000000000',
    seq: String(i + 1).padStart(20, '0'),
    data: new TextEncoder().encode(line),
    arrivedAt: Date.parse('2026-11-20T00:00:00Z'),
  }));

beforeAll(async () => {
  stack = await attachLocalStack({
    endpoints: inject('endpoints'),
    prefix: `tierrepeat${process.pid}-`,
    apiPort: 0,
    token: 't',
    withScheduler: false,
  });
  raw = dynamoClient(stack.endpoints);
  const doc = DynamoDBDocumentClient.from(raw);
  members = new MemberStore(doc, stack.names.tables.MembersTable, stack.names.tables.LedgerTable);
  ledger = new DynamoLedger(doc, stack.names.tables.LedgerTable);
}, 120_000);
afterAll(async () => {
  raw?.destroy();
  await stack?.stop();
});

describe('tier history with a change repeated in one batch (DynamoDB Local)', () => {
  it('applies the batch and keeps every change', async () => {
    // ¥1,500 makes a member silver; its full refund reverts it; twice on 2026-11-10.
    const day = '2026-11-10';
    const batch = records([
      purchase('t1', 'h1', 'o1', day, 150_000),
      refund('t2', 'h1', 'o1', day, 150_000),
      purchase('t3', 'h1', 'o2', day, 150_000),
      refund('t4', 'h1', 'o2', day, 150_000),
    ]);
    const result = await processBatch(batch, {
      members,
      ledger,
      quarantine: new MemoryQuarantine(),
      metrics: new MemoryMetrics(),
      actions: new MemoryActions(),
      segments: new MemorySegments(),
      hints: new MemoryHints(),
      program: defaultProgram(),
    });
    expect(result.failedSeqs).toEqual([]);
    expect((await members.getMany(['h1'])).get('h1')!.lifetimePoints).toBe(0);
    const history = await ledger.tierHistory('h1');
    // The history is in key order (day, then kind): both reverts, both upgrades.
    expect(history.map((c) => `${c.kind} ${c.reason} ${c.from}-${c.to}`)).toEqual([
      'downgrade refund_revert 1-0',
      'downgrade refund_revert 1-0',
      'upgrade earn 0-1',
      'upgrade earn 0-1',
    ]);
  });
});
