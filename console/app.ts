// The operations console: a small page over the HTTP API (docs/api.md). Bundled with chart.js into
// one script by infra/build-console.ts and served by the api function (functions/api/console-assets.ts),
// so it needs no network beyond the API it came from. Everything it shows it reads from the API;
// every piece of text from the API is set with textContent, never parsed as HTML.
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
} from 'chart.js';
import {
  addDay,
  daysBetween,
  formatCell,
  formatCount,
  formatShare,
  formatYuan,
  isDay,
  KEY_RETENTION_DAYS,
  ratio,
  RFM_COLUMNS,
  RFM_GRID,
  tierSampleDays,
} from './format';
import type {
  DailyResponse,
  ExportResponse,
  ExportStartedResponse,
  MemberResponse,
  ProgramResponse,
  QuarantineResponse,
  RetentionByChannelResponse,
  RetentionResponse,
  SegmentMembersResponse,
  SegmentsResponse,
  WinbackResponse,
} from '../functions/api/responses';

Chart.register(BarController, BarElement, CategoryScale, Filler, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif';
Chart.defaults.color = '#5b6477';

// ---------------------------------------------------------------------------------------------
// API answers: the route handlers' own return types (functions/api/responses.ts), type-only.

type Daily = DailyResponse;
type Cohort = RetentionResponse['cohorts'][number];
type ProgramView = ProgramResponse;
type Segment = SegmentsResponse[number];
type MemberView = MemberResponse;

// ---------------------------------------------------------------------------------------------
// The API client: one token per browser tab (sessionStorage), asked for when the API wants one.

const TOKEN_KEY = 'memberflow.console.token';
/** The API's base path: where the page itself is served from (`/` locally and in AWS). */
const API_BASE = location.pathname.replace(/\/[^/]*$/, '');

class Unauthorized extends Error {
  constructor(readonly presentedToken: boolean) {
    super('unauthorized');
  }
}
class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const method = init.method ?? 'GET';
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, 'network', `${method} ${path}: the API could not be reached (${(error as Error).message})`);
  }
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null;
  // A missing or wrong token: 403 `unauthorized` locally, as API Gateway answers 403 to a missing
  // or wrong SigV4 signature (a 403 `forbidden` is a role refusing a route; 401 from older stacks).
  if (res.status === 401 || (res.status === 403 && body?.error?.code === 'unauthorized')) throw new Unauthorized(Boolean(token));
  if (!res.ok) {
    const err = body?.error;
    throw new ApiError(
      res.status,
      err?.code ?? 'http_error',
      `${method} ${path}: ${res.status} ${err?.code ?? ''} — ${err?.message ?? res.statusText}`,
    );
  }
  return body as T;
}

/** Runs `fn` over `items`, at most `n` at a time, keeping the order. */
async function pool<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const enc = encodeURIComponent;

// ---------------------------------------------------------------------------------------------
// DOM helpers

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined>;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'testid') el.setAttribute('data-testid', String(v));
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} missing`);
  return el;
}

function fill(id: string, ...children: Child[]): HTMLElement {
  const el = $(id);
  el.replaceChildren();
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** A figure card: label, big value (with the test id), optional note. */
function card(label: string, value: string, testid: string, note?: Child, tone?: 'good' | 'bad'): HTMLElement {
  return h(
    'div',
    { class: `card${tone ? ` ${tone}` : ''}` },
    h('div', { class: 'label' }, label),
    h('div', { class: 'value', testid }, value),
    note ? h('div', { class: 'note' }, note) : null,
  );
}

/** A plain table of cell texts; the first `textColumns` columns are left-aligned, the rest (figures) right. */
function table(testid: string, headers: string[], rows: (string | number)[][], textColumns = 1): HTMLTableElement {
  const cls = (i: number) => (i < textColumns ? 'text' : undefined);
  return h(
    'table',
    { testid },
    h('thead', {}, h('tr', {}, ...headers.map((x, i) => h('th', { class: cls(i) }, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c, i) => h('td', { class: cls(i) }, String(c)))))),
  );
}

// ---------------------------------------------------------------------------------------------
// Charts (chart.js)

const charts = new Map<string, Chart>();
const PALETTE = ['#2563eb', '#16a34a', '#9333ea', '#f59e0b', '#0891b2', '#dc2626', '#64748b', '#db2777'];
const TIER_COLOURS = ['#94a3b8', '#60a5fa', '#f59e0b', '#7c3aed', '#10b981', '#ef4444', '#0ea5e9', '#a16207'];

function drawChart(id: string, config: ChartConfiguration): void {
  charts.get(id)?.destroy();
  const canvas = $(id) as HTMLCanvasElement;
  charts.set(id, new Chart(canvas, config));
}

function dayAxis(labels: string[]) {
  return {
    ticks: { maxRotation: 0, autoSkip: true, autoSkipPadding: 12, callback: (_: unknown, i: number) => labels[i]?.slice(5) },
    grid: { display: false },
  };
}

function lineDataset(
  label: string,
  data: (number | null)[],
  colour: string,
  extra: Partial<ChartDataset<'line'>> = {},
): ChartDataset<'line'> {
  return {
    label,
    data,
    borderColor: colour,
    backgroundColor: colour,
    pointRadius: 0,
    pointHoverRadius: 4,
    borderWidth: 2,
    tension: 0.25,
    ...extra,
  };
}

function legendOptions() {
  return { position: 'bottom' as const, labels: { boxWidth: 12, boxHeight: 12 } };
}

// ---------------------------------------------------------------------------------------------
// State: "today" in the programme zone (from the API), the date range, the current page.

const PAGES = ['overview', 'retention', 'tiers', 'member', 'quarantine', 'winback'] as const;
type Page = (typeof PAGES)[number];
/** Pages that read member data: operator routes (docs/api.md#privacy-erasure-and-subject-access), hidden from a viewer. */
const OPERATOR_PAGES: readonly Page[] = ['member', 'quarantine'];

const state = {
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

function currentRoute(): { page: Page; arg?: string } {
  const [name, ...rest] = location.hash.replace(/^#/, '').split('/');
  const known = (PAGES as readonly string[]).includes(name) && !(state.role === 'viewer' && OPERATOR_PAGES.includes(name as Page));
  const page = known ? (name as Page) : 'overview';
  const arg = rest.length ? decodeURIComponent(rest.join('/')) : undefined;
  return { page, arg };
}

/** The last day the program view can be asked for: not after today, at most 366 days back. */
function clampAsOf(day: string): string {
  if (day > state.today) return state.today;
  const earliest = addDay(state.today, -366);
  return day < earliest ? earliest : day;
}

function setRange(from: string, to: string, updateUrl: boolean): void {
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
function initialRange(): void {
  const params = new URLSearchParams(location.search);
  const from = params.get('from');
  const to = params.get('to');
  if (isDay(from) && isDay(to) && from <= to && daysBetween(from, to) < 366) setRange(from, to, false);
  else setRange(addDay(state.today, -29), state.today, false);
}

// ---------------------------------------------------------------------------------------------
// Sign-in and errors

function askForToken(wrongToken: boolean): void {
  sessionStorage.removeItem(TOKEN_KEY);
  state.generation++;
  const error = $('token-error');
  error.textContent = wrongToken ? 'Wrong or expired token: the API refused it. Enter the current API token.' : '';
  error.hidden = !wrongToken;
  $('signin').hidden = false;
  $('sign-out').hidden = true;
  const input = $('token-input') as HTMLInputElement;
  input.value = '';
  input.focus();
}

function showError(error: unknown): void {
  if (error instanceof Unauthorized) return askForToken(error.presentedToken);
  const banner = $('banner');
  banner.textContent = error instanceof ApiError ? error.message : `Something went wrong: ${(error as Error)?.message ?? error}`;
  banner.hidden = false;
}

function clearError(): void {
  $('banner').hidden = true;
}

/**
 * The caller's role, from the answer to an operator route: a viewer's token gets 403 there
 * (locally the HTTP server, in AWS the IAM policy). The probe asks for an export that cannot
 * exist, so an operator's answer is a 404 that reads nothing.
 */
async function learnRole(): Promise<'operator' | 'viewer'> {
  try {
    await api('/exports/00000000-0000-4000-8000-000000000000');
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return 'viewer';
    if (!(error instanceof ApiError && error.status === 404)) throw error;
  }
  return 'operator';
}

/** Hides what the role may not use; the data calls behind it would be refused anyway. */
function applyRole(): void {
  const viewer = state.role === 'viewer';
  for (const p of OPERATOR_PAGES)
    (document.querySelector(`.tabs a[data-page="${p}"]`) as HTMLElement | null)?.toggleAttribute('hidden', viewer);
  $('export-controls').hidden = viewer;
  document.body.dataset.role = state.role;
}

async function boot(): Promise<void> {
  try {
    // Also the token check: the first call that needs authorisation.
    const program = await api<ProgramView>('/metrics/program');
    state.today = program.asOf;
    state.tiers = Object.keys(program.byTier);
    const daily = await api<Daily>(`/metrics/daily?from=${state.today}&to=${state.today}`);
    state.timezone = daily.timezone;
    state.role = await learnRole();
    applyRole();
    $('signin').hidden = true;
    $('sign-out').hidden = !sessionStorage.getItem(TOKEN_KEY);
    fill('session-info', `today ${state.today} · ${state.timezone}${state.role === 'viewer' ? ' · viewer' : ''}`);
    if (!state.booted) initialRange();
    state.booted = true;
    await render();
  } catch (error) {
    showError(error);
  }
}

// ---------------------------------------------------------------------------------------------
// Rendering

async function render(): Promise<void> {
  if (!state.booted) return;
  const { page, arg } = currentRoute();
  const generation = ++state.generation;
  clearError();
  for (const p of PAGES) {
    const section = $(`page-${p}`);
    section.hidden = p !== page;
    document.querySelector(`.tabs a[data-page="${p}"]`)?.toggleAttribute('aria-current', false);
  }
  document.querySelector(`.tabs a[data-page="${page}"]`)?.setAttribute('aria-current', 'page');
  const section = $(`page-${page}`);
  section.dataset.state = 'loading';
  section.dataset.range = `${state.from}..${state.to}`;
  const stale = () => generation !== state.generation;
  try {
    await RENDERERS[page](stale, arg);
    if (!stale()) section.dataset.state = 'ready';
  } catch (error) {
    if (stale()) return;
    section.dataset.state = 'error';
    showError(error);
  }
}

type Renderer = (stale: () => boolean, arg?: string) => Promise<void>;

const RENDERERS: Record<Page, Renderer> = {
  overview: renderOverview,
  retention: renderRetention,
  tiers: renderTiers,
  member: renderMember,
  quarantine: renderQuarantine,
  winback: renderWinback,
};

function goalCard(label: string, share: number, goal: number, atLeast: boolean, testid: string): HTMLElement {
  const met = atLeast ? share >= goal : share <= goal;
  const bar = h('div', { class: 'goalbar' }, h('div', { class: 'fill' }), h('div', { class: 'goal' }));
  const scale = Math.max(goal * 2, share, 0.01);
  (bar.firstElementChild as HTMLElement).style.width = `${Math.min(100, (share / scale) * 100)}%`;
  (bar.firstElementChild as HTMLElement).style.background = met ? '#15803d' : '#b42318';
  (bar.lastElementChild as HTMLElement).style.left = `${(goal / scale) * 100}%`;
  const badge = h(
    'span',
    { class: `badge ${met ? 'good' : 'bad'}`, testid: `${testid}-status`, 'data-met': String(met) },
    met ? 'on target' : atLeast ? 'below goal' : 'above goal',
  );
  const c = card(
    label,
    formatShare(share, 2),
    testid,
    h('span', {}, `goal ${atLeast ? '≥' : '≤'} ${formatShare(goal, 0)}`, badge),
    met ? 'good' : 'bad',
  );
  c.append(bar);
  return c;
}

async function renderOverview(stale: () => boolean): Promise<void> {
  const { from, to } = state;
  const asOf = clampAsOf(to);
  const [daily, program] = await Promise.all([
    api<Daily>(`/metrics/daily?from=${from}&to=${to}`),
    api<ProgramView>(`/metrics/program?asOf=${asOf}`),
  ]);
  if (stale()) return;
  const days = daily.days;
  const last = days[days.length - 1];
  const newTotal = days.reduce((s, d) => s + d.newMembers, 0);
  const daily_ = days.map((d) => ratio(d.dau, d.mau));
  const known = daily_.filter((x): x is number => x !== null);
  const avgStickiness = known.length ? known.reduce((a, b) => a + b, 0) / known.length : null;
  const { kpis } = program;
  fill(
    'overview-cards',
    card('Members', formatCount(program.members), 'kpi-members', `as of ${program.asOf}`),
    card(
      last.day === state.today ? 'Active today (so far)' : `Active on ${last.day}`,
      formatCount(last.dau),
      'kpi-active-today',
      h(
        'span',
        {},
        'WAU ',
        h('b', { testid: 'kpi-wau' }, formatCount(last.wau)),
        ' · MAU ',
        h('b', { testid: 'kpi-mau' }, formatCount(last.mau)),
      ),
    ),
    card(
      'Stickiness DAU/MAU',
      formatShare(ratio(last.dau, last.mau)),
      'kpi-stickiness',
      h('span', {}, 'range average ', h('b', { testid: 'kpi-stickiness-avg' }, formatShare(avgStickiness))),
    ),
    card('New members', formatCount(newTotal), 'kpi-new-members', `${from} – ${to}`),
    card(
      'Active (status)',
      formatShare(ratio(program.byStatus.active ?? 0, program.members)),
      'kpi-active-share',
      h(
        'span',
        {},
        'active ',
        h('b', { testid: 'status-active' }, formatCount(program.byStatus.active ?? 0)),
        ' · silent ',
        h('b', { testid: 'status-silent' }, formatCount(program.byStatus.silent ?? 0)),
        ' · churned ',
        h('b', { testid: 'status-churned' }, formatCount(program.byStatus.churned ?? 0)),
      ),
    ),
    goalCard('Important-value share', kpis.importantValueShare, kpis.importantValueGoal, true, 'kpi-important-value'),
    goalCard('Churned share', kpis.churnedShare, kpis.churnedGoal, false, 'kpi-churned'),
  );

  const labels = days.map((d) => d.day);
  drawChart('chart-active', {
    type: 'line',
    data: {
      labels,
      datasets: [
        lineDataset(
          'DAU',
          days.map((d) => d.dau),
          PALETTE[0],
          { fill: { target: 'origin' }, backgroundColor: 'rgba(37, 99, 235, 0.12)' },
        ),
        lineDataset(
          'WAU',
          days.map((d) => d.wau),
          PALETTE[1],
        ),
        lineDataset(
          'MAU',
          days.map((d) => d.mau),
          PALETTE[2],
        ),
      ],
    },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: legendOptions() },
      scales: { x: dayAxis(labels), y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  drawChart('chart-new', {
    type: 'bar',
    data: {
      labels,
      datasets: [{ label: 'New members', data: days.map((d) => d.newMembers), backgroundColor: PALETTE[4], borderRadius: 3 }],
    },
    options: {
      maintainAspectRatio: false,
      plugins: { legend: { display: false } },
      scales: { x: dayAxis(labels), y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  drawChart('chart-stickiness', {
    type: 'line',
    data: {
      labels,
      datasets: [
        lineDataset(
          'DAU/MAU',
          daily_.map((x) => (x === null ? null : Math.round(x * 1000) / 10)),
          PALETTE[3],
          { spanGaps: true },
        ),
      ],
    },
    options: {
      maintainAspectRatio: false,
      plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => `DAU/MAU ${c.parsed.y}%` } } },
      scales: { x: dayAxis(labels), y: { beginAtZero: true, ticks: { callback: (v) => `${v}%` } } },
    },
  });
  fill(
    'table-active',
    table(
      'table-active',
      ['Day', 'DAU', 'WAU', 'MAU'],
      days.map((d) => [d.day, formatCount(d.dau), formatCount(d.wau), formatCount(d.mau)]),
    ),
  );
  fill(
    'table-new',
    table(
      'table-new',
      ['Day', 'New members'],
      days.map((d) => [d.day, formatCount(d.newMembers)]),
    ),
  );
  fill(
    'table-stickiness',
    table(
      'table-stickiness',
      ['Day', 'DAU/MAU'],
      days.map((d, i) => [d.day, formatShare(daily_[i])]),
    ),
  );
}

/** Blue, stronger with the share; white text on the dark end. */
function heat(el: HTMLElement, share: number): void {
  el.style.backgroundColor = `rgba(37, 99, 235, ${(0.06 + 0.88 * Math.min(1, share)).toFixed(3)})`;
  el.style.color = share > 0.5 ? '#fff' : '#172033';
}

function heatmap(mode: 'onDay' | 'onOrAfterDay', cohorts: Cohort[]): HTMLTableElement {
  const key = new Set<number>(KEY_RETENTION_DAYS);
  const n = 31;
  const head = h(
    'tr',
    {},
    h('th', { class: 'cohort' }, 'Cohort'),
    h('th', {}, 'Size'),
    ...Array.from({ length: n }, (_, i) => h('th', { class: key.has(i) ? 'key' : undefined }, `D${i}`)),
  );
  const rows = cohorts.map((c) =>
    h(
      'tr',
      { 'data-cohort': c.cohort },
      h('td', { class: 'cohort' }, c.cohort),
      h('td', { class: 'size' }, formatCount(c.size)),
      ...c[mode].slice(0, n).map((count, i) => {
        const future = addDay(c.cohort, i) >= state.today;
        const td = h(
          'td',
          { class: [key.has(i) ? 'key' : '', future ? 'future' : ''].join(' ').trim() || undefined, 'data-n': count, 'data-day': i },
          future ? '' : formatCell(count, c.size),
        );
        if (!future && c.size) {
          heat(td, count / c.size);
          td.title = `${c.cohort} D${i}: ${formatCount(count)} of ${formatCount(c.size)} (${formatShare(count / c.size)})`;
        }
        return td;
      }),
    ),
  );
  // Weighted over the cohorts that have reached the day.
  const all = h(
    'tr',
    { class: 'all', 'data-cohort': 'all' },
    h('td', { class: 'cohort' }, 'All cohorts'),
    h('td', { class: 'size' }, formatCount(cohorts.reduce((s, c) => s + c.size, 0))),
  );
  for (let i = 0; i < n; i++) {
    const { count, size } = reached(cohorts, mode, i);
    const td = h(
      'td',
      { class: key.has(i) ? 'key' : undefined, 'data-n': count, 'data-size': size, 'data-day': i },
      size ? formatCell(count, size) : '',
    );
    if (size) heat(td, count / size);
    all.append(td);
  }
  return h('table', { class: 'heatmap', testid: `ret-heatmap-${mode}` }, h('thead', {}, head), h('tbody', {}, ...rows, all));
}

/** Sum of day-N counts and sizes over the cohorts whose day N is complete (before today). */
function reached(cohorts: Cohort[], mode: 'onDay' | 'onOrAfterDay', day: number): { count: number; size: number } {
  let count = 0;
  let size = 0;
  for (const c of cohorts) {
    if (addDay(c.cohort, day) >= state.today) continue;
    count += c[mode][day] ?? 0;
    size += c.size;
  }
  return { count, size };
}

async function renderRetention(stale: () => boolean): Promise<void> {
  const { from, to } = state;
  const [retention, byChannel] = await Promise.all([
    api<RetentionResponse>(`/metrics/retention?from=${from}&to=${to}`),
    api<RetentionByChannelResponse>(`/metrics/retention-by-channel?from=${from}&to=${to}`),
  ]);
  if (stale()) return;
  const cohorts = retention.cohorts;
  fill(
    'ret-summary',
    ...KEY_RETENTION_DAYS.map((d) => {
      const on = reached(cohorts, 'onDay', d);
      const after = reached(cohorts, 'onOrAfterDay', d);
      return card(
        `D${d} retention`,
        formatShare(ratio(on.count, on.size)),
        `ret-d${d}`,
        h('span', {}, 'on or after: ', h('b', { testid: `ret-d${d}-after` }, formatShare(ratio(after.count, after.size)))),
      );
    }),
  );
  fill('ret-heatmap-onDay', heatmap('onDay', cohorts));
  fill('ret-heatmap-onOrAfterDay', heatmap('onOrAfterDay', cohorts));

  const channels = byChannel.channels;
  const cell = (n: number, size: number) => `${formatShare(ratio(n, size))} (${formatCount(n)})`;
  fill(
    'ret-channels',
    channels.length
      ? table(
          'ret-channels',
          ['Channel', 'Members', 'D1', 'D7', 'D14', 'D30'],
          channels.map((c) => [
            c.channel,
            formatCount(c.size),
            cell(c.d1, c.size),
            cell(c.d7, c.size),
            cell(c.d14, c.size),
            cell(c.d30, c.size),
          ]),
        )
      : h('p', { class: 'empty' }, 'No cohorts in this range.'),
  );
  drawChart('chart-channels', {
    type: 'bar',
    data: {
      labels: channels.map((c) => c.channel),
      datasets: (['d1', 'd7', 'd14', 'd30'] as const).map((k, i) => ({
        label: k.toUpperCase(),
        data: channels.map((c) => (c.size ? Math.round((c[k] / c.size) * 1000) / 10 : 0)),
        backgroundColor: ['#93c5fd', '#3b82f6', '#1d4ed8', '#1e3a8a'][i],
        borderRadius: 3,
      })),
    },
    options: {
      maintainAspectRatio: false,
      plugins: { legend: legendOptions(), tooltip: { callbacks: { label: (c) => `${c.dataset.label} ${c.parsed.y}%` } } },
      scales: { x: { grid: { display: false } }, y: { beginAtZero: true, ticks: { callback: (v) => `${v}%` } } },
    },
  });
}

async function renderTiers(stale: () => boolean): Promise<void> {
  const from = state.from < addDay(state.today, -366) ? addDay(state.today, -366) : state.from;
  const to = clampAsOf(state.to);
  const sampleDays = from <= to ? tierSampleDays(from, to) : [to];
  const [views, segments] = await Promise.all([
    pool(sampleDays, 6, (d) => api<ProgramView>(`/metrics/program?asOf=${d}`)),
    api<SegmentsResponse>('/segments'),
  ]);
  if (stale()) return;
  const latest = views[views.length - 1];
  const tiers = Object.keys(latest.byTier);
  fill(
    'tier-cards',
    ...tiers.map((t) =>
      card(
        t,
        formatCount(latest.byTier[t]),
        `tier-${t}`,
        `${formatShare(ratio(latest.byTier[t], latest.members))} of members · ${latest.asOf}`,
      ),
    ),
    card('Members', formatCount(latest.members), 'tier-members', `as of ${latest.asOf}`),
  );
  const labels = views.map((v) => v.asOf);
  drawChart('chart-tiers', {
    type: 'line',
    data: {
      labels,
      // Stacked areas. The base tier dwarfs the others, so it starts hidden (its legend entry shows it).
      datasets: tiers.map((t, i) =>
        lineDataset(
          t,
          views.map((v) => v.byTier[t] ?? 0),
          TIER_COLOURS[i % TIER_COLOURS.length],
          {
            fill: i === 0 ? 'origin' : '-1',
            backgroundColor: `${TIER_COLOURS[i % TIER_COLOURS.length]}99`,
            tension: 0.1,
            hidden: i === 0 && tiers.length > 1,
          },
        ),
      ),
    },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: legendOptions() },
      scales: { x: dayAxis(labels), y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  fill(
    'table-tiers',
    table(
      'table-tiers',
      ['Day', ...tiers, 'Members'],
      views.map((v) => [v.asOf, ...tiers.map((t) => formatCount(v.byTier[t] ?? 0)), formatCount(v.members)]),
    ),
  );

  // RFM: rows M high / M low, columns by R and F.
  const rfmTotal = Object.values(latest.byRfm).reduce((a, b) => a + b, 0);
  const max = Math.max(1, ...Object.values(latest.byRfm));
  const grid = h('div', { class: 'rfm', testid: 'rfm-grid' }, h('div', {}), ...RFM_COLUMNS.map((c) => h('div', { class: 'head' }, c)));
  for (const row of RFM_GRID) {
    grid.append(h('div', { class: 'rowhead' }, row.label));
    for (const cls of row.classes) {
      const n = latest.byRfm[cls] ?? 0;
      const cell = h(
        'div',
        { class: 'cell', 'data-class': cls },
        h('div', { class: 'name' }, cls),
        h('div', { class: 'count', testid: `rfm-${cls}` }, formatCount(n)),
        h('div', { class: 'share muted' }, formatShare(ratio(n, rfmTotal))),
      );
      const strength = n / max;
      cell.style.backgroundColor =
        row.row === 'important'
          ? `rgba(124, 58, 237, ${(0.05 + 0.35 * strength).toFixed(3)})`
          : `rgba(8, 145, 178, ${(0.05 + 0.3 * strength).toFixed(3)})`;
      grid.append(cell);
    }
  }
  fill(
    'rfm-grid',
    grid,
    h(
      'p',
      { class: 'muted small' },
      'Classed members: ',
      h('b', { testid: 'rfm-total' }, formatCount(rfmTotal)),
      ` · as of ${latest.asOf}`,
    ),
  );

  // Segments with sizes, an export button and a peek at their members.
  const rows = segments.map((s) =>
    h(
      'tr',
      { 'data-segment': s.id },
      h('td', { class: 'text' }, s.name),
      h('td', { class: 'text' }, h('code', {}, s.id)),
      h('td', { testid: `segment-${s.id}-size` }, formatCount(s.size)),
      // A segment's members and its export are operator routes.
      state.role === 'viewer'
        ? h('td', {})
        : h(
            'td',
            {},
            exportButton(s),
            ' ',
            button('Members', `members-${s.id}`, 'secondary', () => void peekMembers(s)),
          ),
    ),
  );
  fill(
    'segments',
    h(
      'table',
      { testid: 'segments' },
      h(
        'thead',
        {},
        h('tr', {}, h('th', { class: 'text' }, 'Segment'), h('th', { class: 'text' }, 'Id'), h('th', {}, 'Members'), h('th', {}, '')),
      ),
      h('tbody', {}, ...rows),
    ),
  );
}

function button(label: string, testid: string, kind: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', class: kind, testid }, label);
  b.addEventListener('click', onClick);
  return b;
}

function exportButton(segment: Segment): HTMLButtonElement {
  const b = button('Export', `export-${segment.id}`, 'export', () => void runExport(segment));
  b.disabled = state.exporting;
  return b;
}

function setExportButtons(disabled: boolean): void {
  state.exporting = disabled;
  for (const b of document.querySelectorAll<HTMLButtonElement>('button.export')) b.disabled = disabled;
}

/** Starts an export, shows its progress, then the download link (or the failure). */
async function runExport(segment: Segment): Promise<void> {
  const format = ($('export-format') as HTMLSelectElement).value;
  const box = $('export-status');
  const started = Date.now();
  const show = (status: string, ...children: Child[]) => {
    box.hidden = false;
    box.dataset.status = status;
    box.className = `export-status ${status}`;
    box.replaceChildren(
      ...children
        .filter((c): c is Node | string => c !== null && c !== undefined && c !== false)
        .map((c) => (c instanceof Node ? c : String(c))),
    );
  };
  const elapsed = () => `${Math.round((Date.now() - started) / 1000)} s`;
  setExportButtons(true);
  try {
    show('starting', h('progress', { testid: 'export-progress' }), `Starting the ${format} export of ${segment.name}…`);
    const { exportId } = await api<ExportStartedResponse>(`/segments/${enc(segment.id)}/exports`, { method: 'POST', body: { format } });
    for (let delay = 400; ; delay = Math.min(2000, delay * 1.5)) {
      const e = await api<ExportResponse>(`/exports/${enc(exportId)}`);
      if (e.status === 'done' && e.url) {
        const file = `${segment.id}.${e.format}`;
        const link = h(
          'a',
          { href: e.url, download: file, rel: 'noopener noreferrer', testid: 'export-download', 'data-export-id': exportId },
          `Download ${file}`,
        );
        show(
          'done',
          `Export of ${segment.name} done: `,
          h('b', { testid: 'export-rows' }, formatCount(e.rowCount)),
          ' rows. ',
          link,
          h('span', { class: 'muted small' }, ' (the link is valid for 15 minutes)'),
        );
        return;
      }
      if (e.status === 'failed') {
        show('failed', `Export of ${segment.name} failed: ${e.error ?? 'unknown reason'}`);
        return;
      }
      show(
        e.status,
        h('progress', { testid: 'export-progress' }),
        `Exporting ${segment.name} (${format}): ${e.status}`,
        e.rowCount ? ` · ${formatCount(e.rowCount)} rows` : '',
        ` · ${elapsed()}`,
      );
      await sleep(delay);
    }
  } catch (error) {
    if (error instanceof Unauthorized) showError(error);
    else show('failed', `Export of ${segment.name} failed: ${(error as Error).message}`);
  } finally {
    setExportButtons(false);
  }
}

async function peekMembers(segment: Segment): Promise<void> {
  const box = $('segment-members');
  box.hidden = false;
  box.replaceChildren(h('p', { class: 'loading' }, `Loading members of ${segment.name}…`));
  try {
    const page = await api<SegmentMembersResponse>(`/segments/${enc(segment.id)}/members?limit=50`);
    const chips = page.members.map((m) => {
      const b = h('button', { type: 'button', class: 'chip', 'data-member': m }, m);
      b.addEventListener('click', () => (location.hash = `member/${enc(m)}`));
      return b;
    });
    box.replaceChildren(
      h('h2', {}, `${segment.name}: `, page.nextCursor ? `first ${page.members.length} members` : `${page.members.length} members`),
      page.members.length ? h('div', { class: 'chips', testid: 'segment-members' }, ...chips) : h('p', { class: 'empty' }, 'No members.'),
    );
  } catch (error) {
    box.replaceChildren();
    showError(error);
  }
}

async function renderMember(stale: () => boolean, memberId?: string): Promise<void> {
  const asOfInput = $('member-asof') as HTMLInputElement;
  if (!asOfInput.value) asOfInput.value = clampAsOf(state.to);
  const idInput = $('member-id') as HTMLInputElement;
  const result = $('member-result');
  if (!memberId) {
    result.replaceChildren(
      h('p', { class: 'muted' }, "Enter a member id — or open one from a segment's member list on the Tiers & segments page."),
    );
    idInput.focus();
    return;
  }
  idInput.value = memberId;
  const asOf = isDay(asOfInput.value) ? asOfInput.value : clampAsOf(state.to);
  result.replaceChildren(h('p', { class: 'loading' }, `Loading ${memberId}…`));
  let m: MemberView;
  try {
    m = await api<MemberView>(`/members/${enc(memberId)}?asOf=${asOf}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) {
      if (!stale()) result.replaceChildren(h('p', { class: 'banner', testid: 'member-error' }, `No member ${memberId}.`));
      return;
    }
    throw error;
  }
  if (stale()) return;
  const tierIndex = state.tiers.indexOf(m.tier);
  const next = m.pointsToNextTier === null ? null : (state.tiers[tierIndex + 1] ?? 'the next tier');
  const progress = m.pointsToNextTier === null ? 1 : m.qualifyingPoints / (m.qualifyingPoints + m.pointsToNextTier);
  const bar = h('div', { class: 'progress' }, h('div', { class: 'fill', testid: 'member-progress', 'data-share': progress.toFixed(4) }));
  (bar.firstElementChild as HTMLElement).style.width = `${(progress * 100).toFixed(1)}%`;
  const pill = h('span', { class: 'tierpill', testid: 'member-tier' }, m.tier);
  pill.style.background = TIER_COLOURS[Math.max(0, tierIndex) % TIER_COLOURS.length];
  const fact = (label: string, value: string, testid: string) => [h('dt', {}, label), h('dd', { testid }, value)];
  const rfm = m.rfm;
  result.replaceChildren(
    h(
      'div',
      { class: 'member-head' },
      h('h2', { testid: 'member-name' }, m.memberId),
      pill,
      h('span', { class: `badge ${m.status === 'active' ? 'good' : 'bad'}`, testid: 'member-status' }, m.status),
      h('span', { class: 'muted' }, `as of ${asOf}`),
    ),
    h(
      'div',
      { class: 'grid two' },
      h(
        'div',
        { class: 'panel' },
        h('h2', {}, 'Tier and points'),
        h(
          'dl',
          { class: 'facts' },
          ...fact('Qualifying points', formatCount(m.qualifyingPoints), 'member-qualifying'),
          ...fact('Lifetime points', formatCount(m.lifetimePoints), 'member-lifetime'),
          ...fact('Tier since', m.tierSince ?? '—', 'member-tier-since'),
          ...fact('Review date', m.tierReviewOn ?? '— (the base tier is not reviewed)', 'member-review'),
          ...fact('Still needed by review', formatCount(m.pointsRequiredToRemain), 'member-remain'),
          ...fact(
            'Next tier',
            next === null ? 'top tier reached' : `${formatCount(m.pointsToNextTier ?? 0)} points to ${next}`,
            'member-next',
          ),
        ),
        bar,
      ),
      h(
        'div',
        { class: 'panel' },
        h('h2', {}, 'Recent activity'),
        h(
          'dl',
          { class: 'facts' },
          ...fact('Last active', m.lastActiveOn ?? 'never', 'member-last-active'),
          ...fact('Active days', formatCount(m.activeDays), 'member-active-days'),
          ...fact('Joined', m.joinedOn, 'member-joined'),
          ...fact('Acquisition channel', m.acquisitionChannel ?? '—', 'member-channel'),
          ...fact(
            'Last purchase',
            rfm?.recencyDays === null || rfm === null ? 'none in 365 days' : `${rfm.recencyDays} days ago`,
            'member-rfm-recency',
          ),
          ...fact('Orders (365 days)', formatCount(rfm?.frequency ?? 0), 'member-rfm-frequency'),
          ...fact('Spend (365 days)', formatYuan(rfm?.monetaryCents ?? 0), 'member-rfm-monetary'),
          ...fact('RFM class', rfm?.segment ? `${rfm.segment} (R${rfm.r} F${rfm.f} M${rfm.m})` : '—', 'member-rfm-segment'),
        ),
      ),
    ),
    h(
      'div',
      { class: 'panel' },
      h('h2', {}, 'Segments'),
      m.segments.length
        ? h(
            'div',
            { class: 'chips', testid: 'member-segments' },
            ...m.segments.map((s) => h('span', { class: 'chip', 'data-segment': s }, s)),
          )
        : h('p', { class: 'empty', testid: 'member-segments' }, 'None.'),
    ),
    h(
      'div',
      { class: 'panel' },
      h('h2', {}, 'Tier history'),
      m.tierHistory?.length
        ? table(
            'member-history',
            ['Day', 'From', 'To', 'Reason'],
            m.tierHistory.map((c) => [c.day, c.from, c.to, c.reason]),
            4,
          )
        : h('p', { class: 'empty', testid: 'member-history' }, 'No tier changes.'),
    ),
  );
}

async function renderQuarantine(stale: () => boolean): Promise<void> {
  const limit = ($('quarantine-limit') as HTMLSelectElement).value;
  const entries = await api<QuarantineResponse>(`/quarantine?limit=${limit}`);
  if (stale()) return;
  const byReason = new Map<string, number>();
  for (const e of entries) byReason.set(e.reason, (byReason.get(e.reason) ?? 0) + 1);
  fill(
    'quarantine-summary',
    h('span', { class: 'chip' }, 'records', h('b', { testid: 'quarantine-count' }, formatCount(entries.length))),
    ...[...byReason]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([reason, n]) => h('span', { class: 'chip' }, reason, h('b', { testid: `quarantine-reason-${reason}` }, formatCount(n)))),
  );
  if (!entries.length) {
    fill('quarantine-table', h('p', { class: 'empty', testid: 'quarantine-empty' }, 'Nothing quarantined in the last 30 days.'));
    return;
  }
  const rows = entries.map((e) =>
    h(
      'tr',
      {},
      h('td', { class: 'wrap' }, e.receivedAt),
      h('td', { class: 'wrap' }, h('code', {}, e.reason)),
      h('td', { class: 'wrap' }, e.detail ?? ''),
      h('td', { class: 'wrap' }, e.eventId ?? '—'),
      h('td', { class: 'wrap' }, e.memberId ?? '—'),
      h('td', { class: 'wrap', title: e.raw }, h('code', {}, e.raw.length > 160 ? `${e.raw.slice(0, 160)}…` : e.raw)),
    ),
  );
  const columns = h(
    'colgroup',
    {},
    ...['received', 'reason', 'detail', 'event', 'member', 'raw'].map((c) => h('col', { class: `q-${c}` })),
  );
  fill(
    'quarantine-table',
    h(
      'table',
      { class: 'quarantine', testid: 'quarantine-table' },
      columns,
      h(
        'thead',
        {},
        h('tr', {}, ...['Received', 'Reason', 'Detail', 'Event id', 'Member', 'Raw record'].map((x) => h('th', { class: 'text' }, x))),
      ),
      h('tbody', {}, ...rows),
    ),
  );
}

async function renderWinback(stale: () => boolean): Promise<void> {
  const { from, to } = state;
  const { days } = await api<WinbackResponse>(`/metrics/winback?from=${from}&to=${to}`);
  if (stale()) return;
  const offers = days.reduce((s, d) => s + d.offers, 0);
  const conversions = days.reduce((s, d) => s + d.conversions, 0);
  fill(
    'winback-cards',
    card('Offers sent', formatCount(offers), 'winback-offers', `${from} – ${to}`),
    card('Conversions', formatCount(conversions), 'winback-conversions', 'active again within the conversion window'),
    card('Conversion rate', formatShare(ratio(conversions, offers)), 'winback-rate', 'conversions / offers'),
    card('Days with offers', formatCount(days.filter((d) => d.offers > 0).length), 'winback-days', `of ${days.length}`),
  );
  const labels = days.map((d) => d.day);
  drawChart('chart-winback', {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'Offers', data: days.map((d) => d.offers), backgroundColor: '#f59e0b', borderRadius: 3 },
        { label: 'Conversions', data: days.map((d) => d.conversions), backgroundColor: '#16a34a', borderRadius: 3 },
      ],
    },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: legendOptions() },
      scales: { x: dayAxis(labels), y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  fill(
    'table-winback',
    table(
      'table-winback',
      ['Day', 'Offers', 'Conversions'],
      days.map((d) => [d.day, formatCount(d.offers), formatCount(d.conversions)]),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Wiring

function start(): void {
  $('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const token = ($('token-input') as HTMLInputElement).value.trim();
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $('token-error').hidden = true;
    void boot();
  });
  $('sign-out').addEventListener('click', () => askForToken(false));
  $('range-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const from = ($('range-from') as HTMLInputElement).value;
    const to = ($('range-to') as HTMLInputElement).value;
    if (!isDay(from) || !isDay(to) || from > to) return void fill('range-hint', 'from must be on or before to');
    if (daysBetween(from, to) >= 366) return void fill('range-hint', 'at most 366 days');
    setRange(from, to, true);
    void render();
  });
  $('member-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = ($('member-id') as HTMLInputElement).value.trim();
    if (!id) return;
    const target = `#member/${enc(id)}`;
    if (location.hash === target) void render();
    else location.hash = target;
  });
  $('quarantine-limit').addEventListener('change', () => void render());
  for (const radio of document.querySelectorAll<HTMLInputElement>('input[name="ret-mode"]')) {
    radio.addEventListener('change', () => {
      if (!radio.checked) return;
      $('ret-heatmap-onDay').hidden = radio.value !== 'onDay';
      $('ret-heatmap-onOrAfterDay').hidden = radio.value !== 'onOrAfterDay';
    });
  }
  window.addEventListener('hashchange', () => void render());
  void boot();
}

start();
