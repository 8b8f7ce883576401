// How the console writes numbers and days. Pure, shared by the page (app.ts) and its test, so the
// test can compare what the page shows with what the API answers, figure by figure.

/** A count: `12,345`. */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: 0 });
}

/** A share (0.1234 → `12.3%`); `—` when the denominator was zero (`null`). */
export function formatShare(share: number | null, digits = 1): string {
  return share === null || !Number.isFinite(share) ? '—' : `${(share * 100).toFixed(digits)}%`;
}

/** `n / d` as a share, or `null` when `d` is 0. */
export function ratio(n: number, d: number): number | null {
  return d ? n / d : null;
}

/** Integer cents (fen) as yuan: `¥1,234.50`. */
export function formatYuan(cents: number): string {
  return `¥${(cents / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A retention heatmap cell: the percentage of the cohort, rounded to a whole number. */
export function formatCell(n: number, size: number): string {
  return size ? String(Math.round((n / size) * 100)) : '—';
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isDay(value: unknown): value is string {
  if (typeof value !== 'string' || !DAY.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** `YYYY-MM-DD` plus n calendar days. */
export function addDay(day: string, n: number): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Days from a to b (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** Every day of [from, to]. */
export function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = from; d <= to; d = addDay(d, 1)) out.push(d);
  return out;
}

/**
 * The days "members per tier over time" samples: every day for ranges up to 62 days, else every
 * 7th day counted back from `to` (so `to` itself is always one), oldest first.
 */
export function tierSampleDays(from: string, to: string): string[] {
  const all = daysOf(from, to);
  if (all.length <= 62) return all;
  return all.filter((_, i) => (all.length - 1 - i) % 7 === 0);
}

/** The RFM eight classes as the console's grid lays them out: rows M high / M low, then R/F. */
export const RFM_GRID: ReadonlyArray<{ row: 'important' | 'general'; label: string; classes: string[] }> = [
  {
    row: 'important',
    label: 'M high — important',
    classes: ['important-value', 'important-develop', 'important-keep', 'important-retain'],
  },
  { row: 'general', label: 'M low — general', classes: ['general-value', 'general-develop', 'general-keep', 'general-retain'] },
];
export const RFM_COLUMNS = ['R high · F high (value)', 'R high · F low (develop)', 'R low · F high (keep)', 'R low · F low (retain)'];

/** The retention days the console highlights. */
export const KEY_RETENTION_DAYS = [1, 7, 14, 30] as const;
