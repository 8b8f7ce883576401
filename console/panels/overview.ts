// The overview panel: KPI cards against the goals, daily activity and revenue charts.
import { dayAxis, drawChart, legendOptions, lineDataset, PALETTE } from '../charts';
import { formatCount, formatShare, ratio } from '../format';
import { api, type Daily, type ProgramView } from '../api-client';
import { card, fill, h, table } from '../dom';
import { clampAsOf, state } from '../state';

export function goalCard(label: string, share: number, goal: number, atLeast: boolean, testid: string): HTMLElement {
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

export async function renderOverview(stale: () => boolean): Promise<void> {
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
    // The plan's first goal: members above 90% of the persons who bought in the last 30 days.
    goalCard('Members among customers', kpis.memberShareOfCustomers, kpis.memberShareOfCustomersGoal, true, 'kpi-member-share'),
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
