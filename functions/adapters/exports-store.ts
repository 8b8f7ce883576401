// Segment exports: their records and audit trail in ExportsTable, their files in ExportsBucket.
//
// ExportsTable has a single key, `exportId` (S), and holds two kinds of item:
//  - the export record, keyed by the export's UUID:
//      { exportId, kind: 'export', segmentId, format, status, rowCount, requestedBy, createdAt,
//        updatedAt, asOf?, objectKey?, runId?, attempts?, startedAt?, finishedAt?, error? }
//    written `pending` by the api, then `running` → `done` | `failed` by export-segment only;
//  - the audit record of the request, keyed `audit#<createdAt>#<exportId>` (derivable from the
//    export record), written in the same transaction as the export record and never changed:
//      { exportId: 'audit#…', kind: 'audit', action: 'segment_export_requested', targetExportId,
//        segmentId, format, requestedBy, requestedAt, requestId, sourceIp }
//    So there is no export without its audit record. Downloads of the file itself are in the
//    bucket's server access logs.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { GetCommand, TransactWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './clients';
import { resourceNames } from './config';
import { isConditionFailure } from './errors';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export type ExportStatus = 'pending' | 'running' | 'done' | 'failed';

export interface ExportRecord {
  exportId: string;
  kind: 'export';
  segmentId: string;
  format: ExportFormat;
  status: ExportStatus;
  rowCount: number;
  /** The caller's IAM identity (user or assumed-role ARN). */
  requestedBy: string;
  /** ISO timestamp of the request. */
  createdAt: string;
  updatedAt: string;
  /** The programme day the rows were computed for. */
  asOf?: string;
  /** S3 key of the finished file. */
  objectKey?: string;
  /** The Lambda request id of the run that owns the record (a stale run cannot finish it). */
  runId?: string;
  attempts?: number;
  startedAt?: string;
  finishedAt?: string;
  /** Why the latest run failed (no personal data: an error name and message). */
  error?: string;
}

export interface AuditRecord {
  exportId: string;
  kind: 'audit';
  action: 'segment_export_requested';
  targetExportId: string;
  segmentId: string;
  format: ExportFormat;
  requestedBy: string;
  requestedAt: string;
  requestId: string;
  sourceIp?: string;
}

export const auditKey = (createdAt: string, exportId: string) => `audit#${createdAt}#${exportId}`;

/** `exports/<segmentId>/<exportId>.<csv|jsonl>` */
export const exportObjectKey = (segmentId: string, exportId: string, format: ExportFormat) => `exports/${segmentId}/${exportId}.${format}`;

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/** The outcome of claiming an export for a run. */
export type StartResult = { kind: 'started'; record: ExportRecord } | { kind: 'done'; record: ExportRecord } | { kind: 'missing' };

export class ExportsStore {
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
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: { exportId: auditKey(createdAt, exportId) }, ConsistentRead: true }));
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
          UpdateExpression: 'SET #s = :running, runId = :run, asOf = :asOf, rowCount = :zero, startedAt = :now, updatedAt = :now, attempts = if_not_exists(attempts, :zero) + :one REMOVE #e, finishedAt',
          ConditionExpression: 'attribute_exists(exportId) AND kind = :export AND #s <> :done',
          ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
          ExpressionAttributeValues: { ':running': 'running', ':run': runId, ':asOf': asOf, ':zero': 0, ':one': 1, ':now': now, ':export': 'export', ':done': 'done' },
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
    return this.conditional(exportId, 'SET rowCount = :rows, updatedAt = :now', 'runId = :run AND #s = :running', { ':rows': rowCount, ':now': now, ':run': runId, ':running': 'running' });
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
      ':failed': 'failed', ':reason': reason.slice(0, 500), ':now': now, ':pending': 'pending',
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

// ---------------------------------------------------------------------------------------------
// The export file

/** Part size of multipart uploads (S3's minimum is 5 MiB for every part but the last). */
export const PART_BYTES = 8 * 1024 * 1024;
const MIN_PART_BYTES = 5 * 1024 * 1024;

/**
 * Writes one S3 object from text appended piece by piece, holding at most about one part in
 * memory: a single PutObject when the whole file fits in one part, else a multipart upload
 * (CRC32 per part, so S3's default integrity checks and the parts agree). Encryption is the
 * bucket's default.
 */
export class ExportObjectWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private uploadId: string | undefined;
  private readonly parts: CompletedPart[] = [];
  private written = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly key: string,
    private readonly headers: { contentType: string; contentDisposition?: string },
    /** Test hook; at least 5 MiB against AWS. */
    private readonly partBytes = PART_BYTES,
  ) {}

  /** Bytes handed to write() so far. */
  get bytes(): number {
    return this.written;
  }

  get multipart(): boolean {
    return this.uploadId !== undefined;
  }

  async write(text: string): Promise<void> {
    const chunk = Buffer.from(text, 'utf8');
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    this.written += chunk.length;
    if (this.pendingBytes >= this.partBytes) await this.uploadPart();
  }

  /** Finishes the object. */
  async close(): Promise<void> {
    if (this.uploadId === undefined) {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Body: this.take(),
          ContentType: this.headers.contentType,
          ContentDisposition: this.headers.contentDisposition,
        }),
      );
      return;
    }
    if (this.pendingBytes > 0) await this.uploadPart();
    await this.s3.send(
      new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, MultipartUpload: { Parts: this.parts } }),
    );
  }

  /** Abandons a multipart upload (best effort; the bucket's lifecycle rule cleans up the rest). */
  async abort(): Promise<void> {
    if (this.uploadId === undefined) return;
    const uploadId = this.uploadId;
    this.uploadId = undefined;
    await this.s3.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId }));
  }

  private take(): Buffer {
    const body = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    return body;
  }

  private async uploadPart(): Promise<void> {
    if (this.uploadId === undefined) {
      if (this.partBytes < MIN_PART_BYTES && process.env.MEMBERFLOW_LOCAL !== '1') throw new Error(`part size ${this.partBytes} is under S3's 5 MiB minimum`);
      const created = await this.s3.send(
        new CreateMultipartUploadCommand({
          Bucket: this.bucket,
          Key: this.key,
          ContentType: this.headers.contentType,
          ContentDisposition: this.headers.contentDisposition,
          ChecksumAlgorithm: 'CRC32',
        }),
      );
      if (!created.UploadId) throw new Error('CreateMultipartUpload returned no UploadId');
      this.uploadId = created.UploadId;
    }
    const PartNumber = this.parts.length + 1;
    const out = await this.s3.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: this.key, UploadId: this.uploadId, PartNumber, Body: this.take(), ChecksumAlgorithm: 'CRC32' }),
    );
    this.parts.push({ PartNumber, ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32 });
  }
}

/** Download link lifetime. */
export const DOWNLOAD_URL_SECONDS = 15 * 60;

/** A pre-signed GetObject URL for the export file, valid {@link DOWNLOAD_URL_SECONDS}. */
export function downloadUrl(s3: S3Client, bucket: string, key: string, seconds = DOWNLOAD_URL_SECONDS): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: seconds });
}
