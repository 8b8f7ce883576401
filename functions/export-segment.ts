// Segment export (invoked asynchronously by the api with `{ exportId }`): wires the adapters to the
// export use case (shared/exports/run-export.ts). An event no retry could fix is logged and dropped.
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { runExport, type ExportResult } from '../shared/exports/run-export';
import { loadProgram } from '../shared/programme/load';
import { createLogger } from './adapters/logger';
import { exportPorts } from './adapters/stores';

const logger = createLogger();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ExportEvent = z.object({ exportId: z.string().regex(UUID, 'must be a UUID') });

export const handler = async (event: unknown, context?: Context): Promise<ExportResult> => {
  if (context) logger.addContext(context);
  const parsed = ExportEvent.safeParse(event);
  if (!parsed.success) {
    logger.error('export event rejected', {
      issue: `${parsed.error.issues[0].path.join('.') || 'event'}: ${parsed.error.issues[0].message}`,
    });
    return { exportId: String((event as { exportId?: unknown } | null)?.exportId ?? ''), status: 'invalid' };
  }
  return runExport(loadProgram(), parsed.data.exportId, context?.awsRequestId ?? randomUUID(), exportPorts(logger));
};
