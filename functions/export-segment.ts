// Segment export (invoked asynchronously by the api with `{ exportId }`): pages through the
// segment's members 1,000 at a time, computes each member's row as of today and streams the file
// to ExportsBucket (`exports/<segmentId>/<exportId>.<csv|jsonl>`), holding at most one upload part
// in memory. Records progress, then `done` with the row count and the object key; on an error,
// `failed` with the reason, and rethrows so Lambda's asynchronous retries (two) run it again.
// A retry of a done export does nothing.
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { dayString, todayIn } from '../shared/days/days';
import { csvHeader, csvRow, jsonlRow, type ExportRow } from '../shared/segments/export-format';
import type { MemberState } from '../shared/member/state';
import { memberView } from '../shared/member/view';
import { loadProgram } from '../shared/programme/load';
import { type Program, type RfmClass } from '../shared/programme/vocabulary';
import { segmentById } from '../shared/segments/segments';
import { s3Client } from './adapters/clients';
import { resourceNames } from './adapters/config';
import { CONTENT_TYPES, ExportObjectWriter, exportObjectKey, exportsStore, PART_BYTES, type ExportRecord } from './adapters/exports-store';
import { stores } from './adapters/stores';

const logger = new Logger({ serviceName: 'memberflow' });

/** Members per page of the segment listing (and per BatchGetItem round of 100s). */
export const PAGE_SIZE = 1000;
/** Progress (rowCount) is recorded every this many pages. */
const PROGRESS_EVERY_PAGES = 10;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ExportEvent = z.object({ exportId: z.string().regex(UUID, 'must be a UUID') });

export interface ExportResult {
  exportId: string;
  status: 'done' | 'failed' | 'missing' | 'invalid';
  rowCount?: number;
}

/** The export row of a member as of `asOf` (contract §4 columns). */
export function exportRow(program: Program, state: MemberState, asOf: number): ExportRow {
  const view = memberView(program, state, asOf);
  const rfm: { segment?: string | null } | null = view.rfm;
  return {
    memberId: view.memberId,
    tier: view.tier,
    qualifyingPoints: view.qualifyingPoints,
    lifetimePoints: view.lifetimePoints,
    lastActiveOn: view.lastActiveOn,
    status: view.status,
    rfmSegment: (rfm?.segment ?? null) as RfmClass | null,
    joinedOn: view.joinedOn,
  };
}

export const handler = async (event: unknown, context?: Context): Promise<ExportResult> => {
  if (context) logger.addContext(context);
  const parsed = ExportEvent.safeParse(event);
  if (!parsed.success) {
    // Nothing a retry could fix: log and finish.
    logger.error('export event rejected', { issue: `${parsed.error.issues[0].path.join('.') || 'event'}: ${parsed.error.issues[0].message}` });
    return { exportId: String((event as { exportId?: unknown } | null)?.exportId ?? ''), status: 'invalid' };
  }
  const { exportId } = parsed.data;
  const program = loadProgram();
  const asOf = todayIn(program.timezone, Date.now());
  const runId = context?.awsRequestId ?? randomUUID();
  const records = exportsStore();

  const claim = await records.start(exportId, runId, dayString(asOf));
  if (claim.kind === 'missing') {
    logger.error('export not found', { exportId });
    return { exportId, status: 'missing' };
  }
  if (claim.kind === 'done') {
    logger.info('export already done', { exportId, rowCount: claim.record.rowCount });
    return { exportId, status: 'done', rowCount: claim.record.rowCount };
  }
  const record = claim.record;
  const logFields = { exportId, segmentId: record.segmentId, format: record.format, attempt: record.attempts ?? 1 };
  logger.info('export started', logFields);

  if (!segmentById(program, record.segmentId)) {
    // The programme lost the segment since the request: permanent, so no rethrow.
    await records.fail(exportId, runId, `segment_not_found: ${record.segmentId} is not in the programme`);
    logger.error('export failed', { ...logFields, error: 'segment_not_found' });
    return { exportId, status: 'failed' };
  }

  const started = Date.now();
  try {
    const out = await writeExport(program, record, asOf, runId);
    if (!(await records.finish(exportId, runId, out.rowCount, out.key))) {
      logger.warn('export finished, but another run owns the record now', logFields);
    }
    logger.info('export done', { ...logFields, rowCount: out.rowCount, bytes: out.bytes, multipart: out.multipart, skipped: out.skipped, ms: Date.now() - started });
    return { exportId, status: 'done', rowCount: out.rowCount };
  } catch (error) {
    const err = error as Error;
    const reason = `${err.name ?? 'Error'}: ${err.message}`;
    try {
      await records.fail(exportId, runId, reason);
    } catch (markError) {
      logger.error('could not mark the export failed', { ...logFields, error: (markError as Error).message });
    }
    logger.error('export failed', { ...logFields, error: reason, ms: Date.now() - started });
    throw error;
  }
};

async function writeExport(program: Program, record: ExportRecord, asOf: number, runId: string) {
  const { segmentId, format, exportId } = record;
  const s = stores();
  const records = exportsStore();
  const key = exportObjectKey(segmentId, exportId, format);
  const writer = new ExportObjectWriter(
    s3Client(),
    resourceNames().exportsBucket,
    key,
    { contentType: CONTENT_TYPES[format], contentDisposition: `attachment; filename="${segmentId}-${exportId}.${format}"` },
    Number(process.env.MEMBERFLOW_EXPORT_PART_BYTES) || PART_BYTES,
  );
  const toLine = format === 'csv' ? csvRow : jsonlRow;
  let rowCount = 0;
  let skipped = 0;
  try {
    if (format === 'csv') await writer.write(csvHeader());
    let page = await s.segments.list(segmentId, PAGE_SIZE);
    for (let pages = 1; ; pages++) {
      // Fetch the next page of ids while this page's members are read.
      const next = page.nextCursor ? s.segments.list(segmentId, PAGE_SIZE, page.nextCursor) : undefined;
      next?.catch(() => undefined);
      const states = await s.members.getMany(page.members);
      let text = '';
      for (const memberId of page.members) {
        const state = states.get(memberId);
        // Listed but not stored (cannot happen with one writer): nothing to export for it.
        if (!state) {
          skipped++;
          continue;
        }
        text += toLine(exportRow(program, state, asOf));
        rowCount++;
      }
      await writer.write(text);
      if (!next) break;
      page = await next;
      if (pages % PROGRESS_EVERY_PAGES === 0) await records.progress(exportId, runId, rowCount);
    }
    await writer.close();
  } catch (error) {
    await writer.abort().catch((abortError: Error) => logger.warn('could not abort the multipart upload', { exportId, error: abortError.message }));
    throw error;
  }
  return { key, rowCount, skipped, bytes: writer.bytes, multipart: writer.multipart };
}
