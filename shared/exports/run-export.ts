// The segment export use case: pages through the segment's members 1,000 at a time, computes each
// member's row as of today and streams the file (`exports/<segmentId>/<exportId>.<csv|jsonl>`),
// holding at most one upload part in memory. Records progress, then `done` with the row count and the
// object key; on an error, `failed` with the reason, and rethrows so Lambda's asynchronous retries
// run it again. A retry of a done export does nothing.
import { dayString, todayIn } from '../days/days';
import { exportObjectKey } from '../keys/exports-keys';
import type { MemberState } from '../member/state';
import { memberView } from '../member/view';
import type { Program, RfmClass } from '../programme/vocabulary';
import { segmentById } from '../segments/segments';
import { csvHeader, csvRow, jsonlRow, type ExportRow } from './export-format';
import { CONTENT_TYPES, type ExportRecord } from './export-record';
import type { ExportPorts } from './ports';

/** Members per page of the segment listing (and per BatchGetItem round of 100s). */
export const PAGE_SIZE = 1000;
/** Progress (rowCount) is recorded every this many pages. */
const PROGRESS_EVERY_PAGES = 10;

export interface ExportResult {
  exportId: string;
  status: 'done' | 'failed' | 'missing' | 'invalid';
  rowCount?: number;
}

/** The export row of a member as of `asOf` (columns: docs/api.md#get-exportsexportid). */
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

export async function runExport(program: Program, exportId: string, runId: string, ports: ExportPorts): Promise<ExportResult> {
  const { records, log } = ports;
  const asOf = todayIn(program.timezone, ports.now());
  const claim = await records.start(exportId, runId, dayString(asOf));
  if (claim.kind === 'missing') {
    log.error('export not found', { exportId });
    return { exportId, status: 'missing' };
  }
  if (claim.kind === 'done') {
    log.info('export already done', { exportId, rowCount: claim.record.rowCount });
    return { exportId, status: 'done', rowCount: claim.record.rowCount };
  }
  const record = claim.record;
  const logFields = { exportId, segmentId: record.segmentId, format: record.format, attempt: record.attempts ?? 1 };
  log.info('export started', logFields);

  if (!segmentById(program, record.segmentId)) {
    // The programme lost the segment since the request: permanent, so no rethrow.
    await records.fail(exportId, runId, `segment_not_found: ${record.segmentId} is not in the programme`);
    log.error('export failed', { ...logFields, error: 'segment_not_found' });
    return { exportId, status: 'failed' };
  }

  const started = ports.now();
  try {
    const out = await writeExport(program, record, asOf, runId, ports);
    if (!(await records.finish(exportId, runId, out.rowCount, out.key))) {
      log.warn('export finished, but another run owns the record now', logFields);
    }
    log.info('export done', {
      ...logFields,
      rowCount: out.rowCount,
      bytes: out.bytes,
      multipart: out.multipart,
      skipped: out.skipped,
      ms: ports.now() - started,
    });
    return { exportId, status: 'done', rowCount: out.rowCount };
  } catch (error) {
    const err = error as Error;
    const reason = `${err.name ?? 'Error'}: ${err.message}`;
    try {
      await records.fail(exportId, runId, reason);
    } catch (markError) {
      log.error('could not mark the export failed', { ...logFields, error: (markError as Error).message });
    }
    log.error('export failed', { ...logFields, error: reason, ms: ports.now() - started });
    throw error;
  }
}

async function writeExport(program: Program, record: ExportRecord, asOf: number, runId: string, ports: ExportPorts) {
  const { segmentId, format, exportId } = record;
  const key = exportObjectKey(segmentId, exportId, format);
  const file = ports.openFile(key, {
    contentType: CONTENT_TYPES[format],
    contentDisposition: `attachment; filename="${segmentId}-${exportId}.${format}"`,
  });
  const toLine = format === 'csv' ? csvRow : jsonlRow;
  let rowCount = 0;
  let skipped = 0;
  try {
    if (format === 'csv') await file.write(csvHeader());
    let page = await ports.segments.list(segmentId, PAGE_SIZE);
    for (let pages = 1; ; pages++) {
      // Fetch the next page of ids while this page's members are read.
      const next = page.nextCursor ? ports.segments.list(segmentId, PAGE_SIZE, page.nextCursor) : undefined;
      next?.catch(() => undefined);
      const states = await ports.members.getMany(page.members);
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
      await file.write(text);
      if (!next) break;
      page = await next;
      if (pages % PROGRESS_EVERY_PAGES === 0) await ports.records.progress(exportId, runId, rowCount);
    }
    await file.close();
  } catch (error) {
    await file
      .abort()
      .catch((abortError: Error) => ports.log.warn('could not abort the multipart upload', { exportId, error: abortError.message }));
    throw error;
  }
  return { key, rowCount, skipped, bytes: file.bytes, multipart: file.multipart };
}
