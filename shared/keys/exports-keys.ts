// ExportsTable (pk exportId) and the export objects in ExportsBucket.
import type { ExportFormat } from '../exports/export-record';

/** The audit record of an export request: `audit#<createdAt>#<exportId>`. */
export const auditKey = (createdAt: string, exportId: string) => `audit#${createdAt}#${exportId}`;

/** `exports/<segmentId>/<exportId>.<csv|jsonl>` */
export const exportObjectKey = (segmentId: string, exportId: string, format: ExportFormat) => `exports/${segmentId}/${exportId}.${format}`;
