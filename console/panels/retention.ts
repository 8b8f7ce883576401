// The retention panel: cohort heatmaps and retention by channel.
import { drawChart, legendOptions } from '../charts';
import type { RetentionByChannelResponse, RetentionResponse } from '../../functions/api/responses';
import { addDay, formatCell, formatCount, formatShare, KEY_RETENTION_DAYS, ratio } from '../format';
import { api, type Cohort } from '../api-client';
import { card, fill, h, table } from '../dom';
import { state } from '../state';

/** Blue, stronger with the share; white text on the dark end. */
export function heat(el: HTMLElement, share: number): void {
  el.style.backgroundColor = `rgba(37, 99, 235, ${(0.06 + 0.88 * Math.min(1, share)).toFixed(3)})`;
  el.style.color = share > 0.5 ? '#fff' : '#172033';
}

export function heatmap(mode: 'onDay' | 'onOrAfterDay', cohorts: Cohort[]): HTMLTableElement {
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
export function reached(cohorts: Cohort[], mode: 'onDay' | 'onOrAfterDay', day: number): { count: number; size: number } {
  let count = 0;
  let size = 0;
  for (const c of cohorts) {
    if (addDay(c.cohort, day) >= state.today) continue;
    count += c[mode][day] ?? 0;
    size += c.size;
  }
  return { count, size };
}

export async function renderRetention(stale: () => boolean): Promise<void> {
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
