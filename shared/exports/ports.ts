// The export use case's ports: the export records (ExportsTable), the file (an S3 object written
// part by part), the members and segment listings it reads, and the log.
import type { MemberState } from '../member/state';
import type { StartResult } from './export-record';

export interface ExportRecordsPort {
  /** Claims the export for run `runId` (`running`); a done export is never redone. */
  start(exportId: string, runId: string, asOf: string): Promise<StartResult>;
  /** False when another run took the export over. */
  progress(exportId: string, runId: string, rowCount: number): Promise<boolean>;
  finish(exportId: string, runId: string, rowCount: number, objectKey: string): Promise<boolean>;
  fail(exportId: string, runId: string, reason: string): Promise<boolean>;
}

/** One object written from text appended piece by piece. */
export interface ExportFile {
  write(text: string): Promise<void>;
  close(): Promise<void>;
  /** Abandons a partly written object (best effort). */
  abort(): Promise<void>;
  readonly bytes: number;
  readonly multipart: boolean;
}

export interface LogPort {
  info(message: string, fields: Record<string, unknown>): void;
  warn(message: string, fields: Record<string, unknown>): void;
  error(message: string, fields: Record<string, unknown>): void;
}

export interface ExportPorts {
  records: ExportRecordsPort;
  openFile(key: string, headers: { contentType: string; contentDisposition?: string }): ExportFile;
  members: { getMany(memberIds: readonly string[]): Promise<Map<string, MemberState>> };
  segments: { list(segmentId: string, limit: number, cursor?: string): Promise<{ members: string[]; nextCursor: string | null }> };
  log: LogPort;
  now: () => number;
}
