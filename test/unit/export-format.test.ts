import { describe, expect, it } from 'vitest';
import { CSV_BOM, EXPORT_COLUMNS, csvField, csvHeader, csvRow, jsonlRow, type ExportRow } from '../../shared/exports/export-format';

const base: ExportRow = {
  memberId: 'm-001',
  tier: 'gold',
  qualifyingPoints: 5200,
  lifetimePoints: 8100,
  lastActiveOn: '2026-03-01',
  status: 'active',
  rfmSegment: 'important-value',
  joinedOn: '2025-01-15',
};

/** A minimal RFC 4180 reader, to check that what we write reads back. */
function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (line[i] === '"' && line[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else field += line[i++];
      }
    } else {
      while (i < line.length && line[i] !== ',') field += line[i++];
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}
const body = (line: string) => line.slice(0, -2); // without CRLF

describe('CSV', () => {
  it('has the contract columns, CRLF-terminated', () => {
    expect(EXPORT_COLUMNS).toEqual([
      'memberId',
      'tier',
      'qualifyingPoints',
      'lifetimePoints',
      'lastActiveOn',
      'status',
      'rfmSegment',
      'joinedOn',
    ]);
    expect(csvHeader()).toBe('memberId,tier,qualifyingPoints,lifetimePoints,lastActiveOn,status,rfmSegment,joinedOn\r\n');
    expect(csvRow(base)).toBe('m-001,gold,5200,8100,2026-03-01,active,important-value,2025-01-15\r\n');
  });

  it('writes null (or missing) as an empty field', () => {
    expect(csvRow({ ...base, lastActiveOn: null, rfmSegment: null, joinedOn: null })).toBe('m-001,gold,5200,8100,,active,,\r\n');
    expect(csvField(undefined)).toBe('');
  });

  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rlf')).toBe('"cr\rlf"');
    expect(csvField('"')).toBe('""""');
    expect(csvField('plain')).toBe('plain');
    expect(csvField('')).toBe('');
  });

  it('neutralises formula injection in text, not in numbers', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('\rx')).toBe(`"'\rx"`);
    expect(csvField('a=b')).toBe('a=b'); // only a leading character is dangerous
    expect(csvField(-5)).toBe('-5');
    // memberIds may start with '-' or '@' (docs/events.md#behaviour-events)
    expect(csvRow({ ...base, memberId: '@ops', tier: '-x' })).toMatch(/^'@ops,'-x,/);
  });

  it('keeps unicode (Chinese) text as UTF-8, no BOM unless asked', () => {
    expect(csvRow({ ...base, memberId: '会员:张三', tier: '金卡' })).toBe(
      '会员:张三,金卡,5200,8100,2026-03-01,active,important-value,2025-01-15\r\n',
    );
    expect(csvHeader().startsWith(CSV_BOM)).toBe(false);
    expect(CSV_BOM).toBe('\uFEFF');
    expect(csvField('张三, "李四"')).toBe('"张三, ""李四"""');
  });

  it('reads back field by field with an RFC 4180 reader (apart from the injection prefix)', () => {
    const nasty: ExportRow = { ...base, memberId: 'a,"b"\r\nc', tier: '鑫,"金"', lastActiveOn: null };
    expect(parseCsvLine(body(csvRow(nasty)))).toEqual([
      'a,"b"\r\nc',
      '鑫,"金"',
      '5200',
      '8100',
      '',
      'active',
      'important-value',
      '2025-01-15',
    ]);
    expect(parseCsvLine(body(csvHeader()))).toEqual([...EXPORT_COLUMNS]);
  });
});

describe('JSONL', () => {
  it('writes the columns in order, one line', () => {
    const line = jsonlRow(base);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(Object.keys(JSON.parse(line))).toEqual([...EXPORT_COLUMNS]);
    expect(JSON.parse(line)).toEqual(base);
  });

  it('writes null as null, drops extra fields, keeps text unchanged', () => {
    const extra = { ...base, memberId: '=1+2', tier: '金卡\n', rfmSegment: null, lastActiveOn: null, secret: 'x' };
    const line = jsonlRow(extra);
    expect(line.slice(0, -1)).not.toContain('\n');
    const { secret: _, ...columns } = extra;
    expect(JSON.parse(line)).toEqual(columns);
    expect(line).toContain('金卡'); // not \u-escaped
  });
});
