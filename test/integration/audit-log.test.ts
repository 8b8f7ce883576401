// The audit log on DynamoDB Local: concurrent appends keep one chain, the time index pages, and
// `npm run audit -- verify` (spawned against a running-stack state file) names an edited entry.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CHAIN, DynamoAuditLog } from '../../functions/adapters/audit-store';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../infra/local/engine/aws';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';
import type { AuditEntry } from '../../shared/audit/entry';
import { stateDirFor } from '../support/cli-state';

const REPO = path.resolve(__dirname, '../..');
const TSX = path.join(REPO, 'node_modules/.bin/tsx');
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'memberflow-audit-'));

let stack: LocalStack;
let table: string;
const clients: DynamoDBClient[] = [];

/** A log with its own SDK client, as separate api containers would have. */
function newLog(): DynamoAuditLog {
  const raw = new DynamoDBClient({ endpoint: stack.endpoints.dynamodb, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  clients.push(raw);
  return new DynamoAuditLog(DynamoDBDocumentClient.from(raw), table);
}

function verifyCli(): { code: number | null; out: string } {
  const run = spawnSync(TSX, ['infra/local/cli/audit.ts', 'verify'], {
    cwd: REPO,
    env: { ...process.env, MEMBERFLOW_STATE_DIR: stateDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: run.status, out: `${run.stdout}${run.stderr}` };
}

beforeAll(async () => {
  stack = await attachLocalStack(
    { prefix: `audit${Date.now() % 100000}-`, withApi: false, withPollers: false, withScheduler: false },
    inject('endpoints'),
  );
  table = stack.names.tables.AuditTable;
  stateDirFor(stack, stateDir);
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await stack?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('audit log on DynamoDB Local', () => {
  it('an empty chain verifies', async () => {
    expect(await newLog().verify()).toMatchObject({ ok: true, entries: 0 });
  });

  it('20 concurrent appends from 20 clients give 20 chained entries: no fork, no gap', async () => {
    const appended = await Promise.all(
      Array.from({ length: 20 }, (_, i) => newLog().append({ actor: `op-${i}`, action: 'test_action', target: `t:${i}`, details: { i } })),
    );
    expect(appended.map((e) => e.seq).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const stored: AuditEntry[] = [];
    for await (const e of newLog().all(7)) stored.push(e);
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(stored.map((e) => e.actor)).size).toBe(20);
    for (let i = 1; i < stored.length; i++) expect(stored[i].prevHash).toBe(stored[i - 1].hash);
    expect(await newLog().verify()).toMatchObject({ ok: true, entries: 20, headSeq: 20 });
  });

  it('lists by time in pages with a cursor, in seq order', async () => {
    const log = newLog();
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await log.list({ limit: 6, cursor });
      seen.push(...page.entries.map((e) => e.seq));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const all: AuditEntry[] = [];
    for await (const e of log.all()) all.push(e);
    const window = await log.list({ fromAt: all[4].at, toAt: all[9].at, limit: 100 });
    expect(window.entries.every((e) => e.at >= all[4].at && e.at <= all[9].at)).toBe(true);
    expect(window.entries.map((e) => e.seq)).toEqual(expect.arrayContaining([5, 6, 7, 8, 9, 10]));
    expect(window.nextCursor).toBeUndefined();
  });

  it('`npm run audit -- verify` passes on the intact chain, then names the one stored entry that was edited', async () => {
    const intact = verifyCli();
    expect(intact.out).toContain('audit chain ok: 20 entries');
    expect(intact.code).toBe(0);

    const doc = DynamoDBDocumentClient.from(clients[0]);
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { chain: CHAIN, seq: 7 },
        UpdateExpression: 'SET details.i = :v',
        ExpressionAttributeValues: { ':v': 700 },
      }),
    );
    const broken = verifyCli();
    expect(broken.out).toMatch(/BROKEN at entry 7 \(hash_mismatch\)/);
    expect(broken.code).toBe(1);
  });
});
