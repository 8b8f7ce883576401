// The tiers panel: members by tier over the range, and the segments table.
import { dayAxis, drawChart, legendOptions, lineDataset, TIER_COLOURS } from '../charts';
import type { SegmentsResponse } from '../../functions/api/responses';
import { addDay, formatCount, formatShare, ratio, RFM_COLUMNS, RFM_GRID, tierSampleDays } from '../format';
import { api, pool, type ProgramView } from '../api-client';
import { card, fill, h, table } from '../dom';
import { button, exportButton, peekMembers } from './segment-actions';
import { clampAsOf, state } from '../state';

export async function renderTiers(stale: () => boolean): Promise<void> {
  const from = state.from < addDay(state.today, -366) ? addDay(state.today, -366) : state.from;
  const to = clampAsOf(state.to);
  const sampleDays = from <= to ? tierSampleDays(from, to) : [to];
  const [views, segments, reviews] = await Promise.all([
    pool(sampleDays, 6, (d) => api<ProgramView>(`/metrics/program?asOf=${d}`)),
    api<SegmentsResponse>('/segments'),
    // The reviews ahead (a tier is reviewed a year after it was earned): GET /metrics/tier-reviews.
    api<{ due: number; keep: number; lose: number }>('/metrics/tier-reviews?days=365'),
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
    card(
      'Tier reviews ahead',
      formatCount(reviews.due),
      'tier-reviews',
      `next 365 days · on today's points ${formatCount(reviews.keep)} keep, ${formatCount(reviews.lose)} move down`,
    ),
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
