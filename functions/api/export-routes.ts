// Export routes of the HTTP API (docs/api.md#segments-and-exports). POST starts an export and returns at once (202):
// the file is written by the export-segment Lambda, invoked asynchronously, so a large segment
// never meets API Gateway's 29-second or payload limits. GET answers the export's state and, when
// done, a pre-signed download URL valid 15 minutes.
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { s3Client } from '../adapters/clients';
import { resourceNames } from '../adapters/config';
import { EXPORT_FORMATS, type AuditRecord, type ExportRecord } from '../../shared/exports/export-record';
import { downloadUrl } from '../adapters/export-file';
import { exportsStore } from '../adapters/exports-table';
import { auditLog } from '../adapters/audit-store';
import { invokeAsync } from '../adapters/lambda-invoker';
import { HttpError, query, Reply } from './http';
import type { RouteContext } from './routes';
import { knownSegment } from './segment-routes';
import { createLogger } from '../adapters/logger';

const logger = createLogger();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ExportRequest = z.strictObject({
  format: z.enum(EXPORT_FORMATS, { error: 'must be "csv" or "jsonl"' }),
});

/** The request body as JSON; a missing or malformed body is a 400 naming `body`. */
function jsonBody(event: APIGatewayProxyEventV2): unknown {
  if (event.body === undefined || event.body === null || event.body === '') {
    throw new HttpError(400, 'invalid_body', 'body: required, a JSON object { "format": "csv" | "jsonl" }');
  }
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_body', 'body: not valid JSON');
  }
}

function parseExportRequest(event: APIGatewayProxyEventV2) {
  const body = jsonBody(event);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'invalid_body', 'body: must be a JSON object { "format": "csv" | "jsonl" }');
  }
  const result = ExportRequest.safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue.code === 'unrecognized_keys')
      throw new HttpError(400, 'invalid_parameter', `${issue.keys[0]}: unknown field (expected format)`);
    throw new HttpError(400, 'invalid_parameter', `${String(issue.path[0] ?? 'body')}: ${issue.message}`);
  }
  return result.data;
}

/** The caller's IAM identity: API Gateway's `authorizer.iam.userArn` (the token's name locally). */
function caller(event: APIGatewayProxyEventV2): string {
  const iam = (event.requestContext as { authorizer?: { iam?: { userArn?: string | null } } }).authorizer?.iam;
  if (!iam?.userArn) throw new HttpError(403, 'identity_required', 'exports need an IAM-authenticated caller');
  return iam.userArn;
}

/** `POST /segments/{id}/exports` body `{ format }` → 202 `{ exportId, status: 'pending' }`. */
export async function postSegmentExport(ctx: RouteContext, event: APIGatewayProxyEventV2, id: string) {
  knownSegment(ctx, id);
  query(event, {});
  const { format } = parseExportRequest(event);
  const requestedBy = caller(event);
  const functionName = process.env.EXPORT_SEGMENT_FUNCTION;
  if (!functionName)
    throw new HttpError(503, 'exports_unavailable', 'segment exports are not deployed (EXPORT_SEGMENT_FUNCTION is not set)');

  const exportId = randomUUID();
  const createdAt = new Date(ctx.now()).toISOString();
  const record: ExportRecord = {
    exportId,
    kind: 'export',
    segmentId: id,
    format,
    status: 'pending',
    rowCount: 0,
    requestedBy,
    createdAt,
    updatedAt: createdAt,
  };
  const audit: AuditRecord = {
    exportId: `audit#${createdAt}#${exportId}`,
    kind: 'audit',
    action: 'segment_export_requested',
    targetExportId: exportId,
    segmentId: id,
    format,
    requestedBy,
    requestedAt: createdAt,
    requestId: event.requestContext.requestId,
    sourceIp: event.requestContext.http?.sourceIp,
  };
  const store = exportsStore();
  await store.create(record, audit);
  // The same request in the hash-chained audit log (the record above stays as the export's own trail).
  await auditLog().append({
    actor: requestedBy,
    action: 'segment_export_requested',
    target: `segment:${id}`,
    details: { exportId, segmentId: id, format, requestId: audit.requestId },
  });
  // No personal data in the log: the caller is in the audit record, not here.
  logger.info('segment export requested', {
    audit: 'segment_export_requested',
    exportId,
    segmentId: id,
    format,
    requestId: audit.requestId,
  });

  try {
    await invokeAsync(functionName, { exportId });
  } catch (error) {
    const reason = `invoke_failed: ${(error as Error).name}: ${(error as Error).message}`;
    await store.failPending(exportId, reason).catch(() => undefined);
    logger.error('segment export could not be started', { exportId, error: reason });
    throw new HttpError(503, 'export_not_started', `export ${exportId} could not be started; try again`);
  }
  return new Reply(202, { exportId, status: 'pending' });
}

/** `GET /exports/{exportId}` → the export's state; `url` (15 minutes) once it is done. */
export async function getExport(ctx: RouteContext, event: APIGatewayProxyEventV2, exportId: string) {
  query(event, {});
  // Only export ids name exports (audit items share the table).
  const record = UUID.test(exportId) ? await exportsStore().get(exportId) : null;
  if (!record) throw new HttpError(404, 'export_not_found', `exportId: no export ${exportId}`);
  const url =
    record.status === 'done' && record.objectKey ? await downloadUrl(s3Client(), resourceNames().exportsBucket, record.objectKey) : null;
  return {
    exportId: record.exportId,
    segmentId: record.segmentId,
    format: record.format,
    status: record.status,
    rowCount: record.rowCount,
    url,
    requestedBy: record.requestedBy,
    createdAt: record.createdAt,
    ...(record.status === 'failed' && record.error ? { error: record.error } : {}),
  };
}
