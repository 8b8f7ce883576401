// ExportsTable: the export records and the audit records of their requests (shared/exports/
// export-record.ts). Its key is `exportId` (S); the audit record's key is derived from the export
// record (keys/exports-keys.ts), written in the same transaction and never changed, so there is no
// export without its audit record. Downloads of the file itself are in the bucket's access logs.
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AuditRecord, ExportRecord, StartResult } from '../../shared/exports/export-record';
import type { ExportRecordsPort } from '../../shared/exports/ports';
import { auditKey } from '../../shared/keys/exports-keys';
import { documentClient } from './clients';
import { resourceNames } from './config';
import { isConditionFailure } from './errors';

export class ExportsStore implements ExportRecordsPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Writes the pending export and its audit record atomically (both new). */
  async create(record: ExportRecord, audit: AuditRecord): Promise<void> {
    await this.client.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.table, Item: record, ConditionExpression: 'attribute_not_exists(exportId)' } },
          { Put: { TableName: this.table, Item: audit, ConditionExpression: 'attribute_not_exists(exportId)' } },
        ],
      }),
    );
  }

  /** The export record, or null (audit items are not exports). */
  async get(exportId: string): Promise<ExportRecord | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: { exportId }, ConsistentRead: true }));
    const item = out.Item as ExportRecord | undefined;
    return item?.kind === 'export' ? item : null;
  }

  async getAudit(createdAt: string, exportId: string): Promise<AuditRecord | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { exportId: auditKey(createdAt, exportId) }, ConsistentRead: true }),
    );
    return (out.Item as AuditRecord | undefined) ?? null;
  }

  /**
   * Claims the export for run `runId`: `running`, rowCount 0, attempts + 1. A done export is never
   * redone (a retried async invocation finds it done); a failed one is retried.
   */
  async start(exportId: string, runId: string, asOf: string, now = new Date().toISOString()): Promise<StartResult> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { exportId },
          UpdateExpression:
            'SET #s = :running, runId = :run, asOf = :asOf, rowCount = :zero, startedAt = :now, updatedAt = :now, attempts = if_not_exists(attempts, :zero) + :one REMOVE #e, finishedAt',
          ConditionExpression: 'attribute_exists(exportId) AND kind = :export AND #s <> :done',
          ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
          ExpressionAttributeValues: {
            ':running': 'running',
            ':run': runId,
            ':asOf': asOf,
            ':zero': 0,
            ':one': 1,
            ':now': now,
            ':export': 'export',
            ':done': 'done',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { kind: 'started', record: out.Attributes as ExportRecord };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const record = await this.get(exportId);
      if (!record) return { kind: 'missing' };
      if (record.status === 'done') return { kind: 'done', record };
      throw error;
    }
  }

  /** Progress of a run (false when another run took the export over). */
  async progress(exportId: string, runId: string, rowCount: number, now = new Date().toISOString()): Promise<boolean> {
    return this.conditional(exportId, 'SET rowCount = :rows, updatedAt = :now', 'runId = :run AND #s = :running', {
      ':rows': rowCount,
      ':now': now,
      ':run': runId,
      ':running': 'running',
    });
  }

  async finish(exportId: string, runId: string, rowCount: number, objectKey: string, now = new Date().toISOString()): Promise<boolean> {
    return this.conditional(
      exportId,
      'SET #s = :done, rowCount = :rows, objectKey = :key, finishedAt = :now, updatedAt = :now',
      'runId = :run AND #s = :running',
      { ':done': 'done', ':rows': rowCount, ':key': objectKey, ':now': now, ':run': runId, ':running': 'running' },
    );
  }

  async fail(exportId: string, runId: string, reason: string, now = new Date().toISOString()): Promise<boolean> {
    return this.conditional(
      exportId,
      'SET #s = :failed, #e = :reason, finishedAt = :now, updatedAt = :now',
      'runId = :run AND #s = :running',
      { ':failed': 'failed', ':reason': reason.slice(0, 500), ':now': now, ':run': runId, ':running': 'running' },
    );
  }

  /** Marks a pending export failed (the api could not start it). */
  async failPending(exportId: string, reason: string, now = new Date().toISOString()): Promise<boolean> {
    return this.conditional(exportId, 'SET #s = :failed, #e = :reason, finishedAt = :now, updatedAt = :now', '#s = :pending', {
      ':failed': 'failed',
      ':reason': reason.slice(0, 500),
      ':now': now,
      ':pending': 'pending',
    });
  }

  private async conditional(exportId: string, update: string, condition: string, values: Record<string, unknown>): Promise<boolean> {
    const names: Record<string, string> = {};
    if (`${update} ${condition}`.includes('#s')) names['#s'] = 'status';
    if (`${update} ${condition}`.includes('#e')) names['#e'] = 'error';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { exportId },
          UpdateExpression: update,
          ConditionExpression: `attribute_exists(exportId) AND ${condition}`,
          ExpressionAttributeNames: Object.keys(names).length ? names : undefined,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}

export function exportsStore(): ExportsStore {
  return new ExportsStore(documentClient(), resourceNames().exportsTable);
}
