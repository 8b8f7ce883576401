/**
 * Segment export rows (docs/api.md#get-exportsexportid), as CSV or JSON lines.
 *
 * CSV is RFC 4180: fields separated by `,`, lines ended by CRLF, a field containing `,`, `"`, CR or
 * LF is wrapped in `"` with inner quotes doubled. Every line returned here carries its terminator,
 * so a file is `csvHeader()` followed by `csvRow(row)` per row (JSONL: `jsonlRow(row)` per row,
 * each ending with `\n`). Text is UTF-8 with no BOM; prefix {@link CSV_BOM} to a file meant for
 * Excel, which otherwise misreads Chinese text.
 *
 * Formula injection (OWASP "CSV injection"): a spreadsheet runs a cell starting with `=`, `+`, `-`,
 * `@`, tab or CR as a formula. So a *text* CSV field starting with one of them gets a leading `'`
 * (`@ops` → `'@ops`) before quoting; numbers are written as they are (`-5` stays a number). The
 * JSONL output is data for programs, never neutralised.
 *
 * `null` (or a missing field) is an empty CSV field and a JSON `null`.
 */
import type { MemberStatus, RfmClass } from '../programme/vocabulary';

export const EXPORT_COLUMNS = [
  'memberId',
  'tier',
  'qualifyingPoints',
  'lifetimePoints',
  'lastActiveOn',
  'status',
  'rfmSegment',
  'joinedOn',
] as const;
export type ExportColumn = (typeof EXPORT_COLUMNS)[number];

/** One exported member; days are `YYYY-MM-DD` in the programme time zone. */
export interface ExportRow {
  memberId: string;
  tier: string;
  qualifyingPoints: number;
  lifetimePoints: number;
  lastActiveOn: string | null;
  status: MemberStatus;
  rfmSegment: RfmClass | null;
  joinedOn: string | null;
}

export const CSV_BOM = '\uFEFF';
const CSV_EOL = '\r\n';

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/** One CSV field: neutralise a formula-like text, then quote per RFC 4180 if needed. */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  let s = typeof value === 'number' ? String(value) : value;
  if (typeof value === 'string' && FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export function csvHeader(): string {
  return EXPORT_COLUMNS.join(',') + CSV_EOL;
}

export function csvRow(row: ExportRow): string {
  return EXPORT_COLUMNS.map((c) => csvField(row[c])).join(',') + CSV_EOL;
}

/** The row's columns only, in column order, as one JSON line. */
export function jsonlRow(row: ExportRow): string {
  const out: Record<string, string | number | null> = {};
  for (const c of EXPORT_COLUMNS) out[c] = row[c] ?? null;
  return JSON.stringify(out) + '\n';
}
