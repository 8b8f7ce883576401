// The win-back panel: offers sent and members won back.
import { dayAxis, drawChart, legendOptions } from '../charts';
import type { WinbackResponse } from '../../functions/api/responses';
import { formatCount, formatShare, ratio } from '../format';
import { api } from '../api-client';
import { card, fill, table } from '../dom';
import { state } from '../state';

export async function renderWinback(stale: () => boolean): Promise<void> {
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
