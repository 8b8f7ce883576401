// A segment export as ExportsTable keeps it: the export record and the audit record of its request.
//  - the export record, keyed by the export's UUID, written `pending` by the api, then
//    `running` → `done` | `failed` by export-segment only;
//  - the audit record, keyed `audit#<createdAt>#<exportId>` (keys/exports-keys.ts), written in the
//    same transaction as the export record and never changed. So there is no export without it.

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

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/** The outcome of claiming an export for a run. */
export type StartResult = { kind: 'started'; record: ExportRecord } | { kind: 'done'; record: ExportRecord } | { kind: 'missing' };
