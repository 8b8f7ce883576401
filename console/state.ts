// State: "today" in the programme zone (from the API), the date range, the current page.
import { addDay, daysBetween, isDay } from './format';
import { $, fill } from './dom';

export const PAGES = ['overview', 'retention', 'tiers', 'coins', 'member', 'quarantine', 'winback'] as const;
export type Page = (typeof PAGES)[number];
/** Pages that read member data: operator routes (docs/api.md#privacy-erasure-and-subject-access), hidden from a viewer. */
export const OPERATOR_PAGES: readonly Page[] = ['member', 'quarantine'];

export const state = {
  today: '',
  timezone: '',
  tiers: [] as string[],
  from: '',
  to: '',
  /** Bumped on every render; a render whose answers arrive after a newer one started drops them. */
  generation: 0,
  booted: false,
  exporting: false,
  /** `viewer` sees aggregates only: no member lookup, quarantine, segment members or exports. */
  role: 'operator' as 'operator' | 'viewer',
};

export function currentRoute(): { page: Page; arg?: string } {
  const [name, ...rest] = location.hash.replace(/^#/, '').split('/');
  const known = (PAGES as readonly string[]).includes(name) && !(state.role === 'viewer' && OPERATOR_PAGES.includes(name as Page));
  const page = known ? (name as Page) : 'overview';
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  return { page, arg };
}

/** The last day the program view can be asked for: not after today, at most 366 days back. */
export function clampAsOf(day: string): string {
  if (day > state.today) return state.today;
  const earliest = addDay(state.today, -366);
  return day < earliest ? earliest : day;
}

export function setRange(from: string, to: string, updateUrl: boolean): void {
  state.from = from;
  state.to = to;
  ($('range-from') as HTMLInputElement).value = from;
  ($('range-to') as HTMLInputElement).value = to;
  fill('range-hint', `${daysBetween(from, to) + 1} days`);
  if (updateUrl) {
    const url = new URL(location.href);
    url.searchParams.set('from', from);
    url.searchParams.set('to', to);
    history.replaceState(null, '', url);
  }
}

/** The range from `?from=&to=`, else the last 30 days ending today (programme time zone). */
export function initialRange(): void {
  const params = new URLSearchParams(location.search);
  const from = params.get('from');
  const to = params.get('to');
  if (isDay(from) && isDay(to) && from <= to && daysBetween(from, to) < 366) setRange(from, to, false);
  else setRange(addDay(state.today, -29), state.today, false);
}
