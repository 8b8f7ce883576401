// The audit log in AuditTable (infra/constructs/audit-table.ts): one chain, pk `chain` = `main`,
// sk `seq`. An append reads the head, builds the next entry and puts it on the condition that its
// seq is still free; when another appender took that seq first, it reads the new head and tries
// again. So concurrent appends serialise into one chain without forks or gaps.
import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { nextEntry, type AuditEntry, type AuditInput } from '../../shared/audit/entry';
import type { AuditPage, AuditPort, AuditQuery } from '../../shared/audit/port';
import { ChainVerifier, type VerifyResult } from '../../shared/audit/verify';
import { documentClient } from './clients';
import { isConditionFailure } from './errors';
import { sleep } from './retry';

export const CHAIN = 'main';
/** Mirrors AUDIT_TIME_INDEX of the construct (no CDK import in a handler). */
export const AUDIT_TIME_INDEX = 'AuditTimeIndex';

/** The stored item: the entry plus its key and the id of the append that wrote it. */
interface AuditItem extends AuditEntry {
  chain: string;
  /** Not part of the hashed entry: lets a retried put recognise its own earlier success. */
  appendId: string;
}

export class AuditChainBusy extends Error {}

function toEntry(item: Record<string, unknown>): AuditEntry {
  const { seq, at, actor, action, target, details, prevHash, hash } = item as unknown as AuditItem;
  return { seq, at, actor, action, target, details, prevHash, hash };
}

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') : undefined;
}

export function decodeAuditCursor(cursor: string): Record<string, unknown> {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new InvalidCursor();
  }
  const k = key as Record<string, unknown> | null;
  if (
    !k ||
    typeof k !== 'object' ||
    k.chain !== CHAIN ||
    !Number.isInteger(k.seq) ||
    typeof k.at !== 'string' ||
    Object.keys(k).length !== 3
  ) {
    throw new InvalidCursor();
  }
  return k;
}

export class InvalidCursor extends Error {
  constructor() {
    super('cursor: not a cursor this route returned');
  }
}

export class DynamoAuditLog implements AuditPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly now: () => Date = () => new Date(),
    /** Appends give up after this many lost races (each race is won by someone). */
    private readonly maxAttempts = 200,
  ) {}

  /** The latest entry, or null for an empty chain. */
  async head(): Promise<AuditEntry | null> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'chain = :c',
        ExpressionAttributeValues: { ':c': CHAIN },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    return out.Items?.[0] ? toEntry(out.Items[0]) : null;
  }

  async append(input: AuditInput): Promise<AuditEntry> {
    const appendId = randomUUID();
    let head = await this.head();
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const entry = nextEntry(head, input, this.now());
      const item: AuditItem = { chain: CHAIN, ...entry, appendId };
      try {
        await this.client.send(new PutCommand({ TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(seq)' }));
        return entry;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      // Someone holds this seq. It may be us: the SDK may have retried a put that had in fact
      // succeeded. Otherwise that entry is the new head to chain after.
      const taken = await this.client.send(
        new GetCommand({ TableName: this.table, Key: { chain: CHAIN, seq: entry.seq }, ConsistentRead: true }),
      );
      if (taken.Item?.appendId === appendId) return toEntry(taken.Item);
      head = taken.Item ? toEntry(taken.Item) : await this.head();
      if (attempt > 2) await sleep(Math.random() * Math.min(100, 5 * attempt));
    }
    throw new AuditChainBusy(`audit append lost ${this.maxAttempts} races in a row`);
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    const from = query.fromAt ?? '0000';
    const to = query.toAt ?? '9999';
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: AUDIT_TIME_INDEX,
        KeyConditionExpression: 'chain = :c AND #at BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#at': 'at' },
        ExpressionAttributeValues: { ':c': CHAIN, ':from': from, ':to': to },
        Limit: query.limit,
        ExclusiveStartKey: query.cursor ? decodeAuditCursor(query.cursor) : undefined,
      }),
    );
    // Entries with the same `at` may come back in any order from the index: keep seq order.
    const entries = (out.Items ?? []).map(toEntry).sort((a, b) => a.seq - b.seq);
    return { entries, nextCursor: encodeCursor(out.LastEvaluatedKey) };
  }

  /** Walks the whole chain and names the first broken entry. */
  async verify(): Promise<VerifyResult> {
    const verifier = new ChainVerifier();
    for await (const entry of this.all()) if (!verifier.add(entry)) break;
    return verifier.result();
  }

  /** Every stored entry in seq order, page by page (strongly consistent): what verify walks. */
  async *all(pageSize = 500): AsyncGenerator<AuditEntry> {
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'chain = :c',
          ExpressionAttributeValues: { ':c': CHAIN },
          ConsistentRead: true,
          Limit: pageSize,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) yield toEntry(item);
      start = out.LastEvaluatedKey;
    } while (start);
  }
}

export function auditTableName(): string {
  const name = process.env.AUDIT_TABLE;
  if (!name) throw new Error('environment variable AUDIT_TABLE is not set');
  return name;
}

/** The audit log of this stack (AUDIT_TABLE). */
export function auditLog(): DynamoAuditLog {
  return new DynamoAuditLog(documentClient(), auditTableName());
}
