// The coins panel: coins issued, redeemed and expired per day, the outstanding liability over
// time (what finance books as a provision) and the coins expiring in the next 30 days.
import { dayAxis, drawChart, legendOptions } from '../charts';
import type { CoinMetricsResponse, ProgramResponse } from '../../functions/api/responses';
import { formatCount, formatYuan } from '../format';
import { api } from '../api-client';
import { card, fill, table } from '../dom';
import { state } from '../state';

export async function renderCoins(stale: () => boolean): Promise<void> {
  const { from, to } = state;
  const [{ days }, program] = await Promise.all([
    api<CoinMetricsResponse>(`/metrics/coins?from=${from}&to=${to}`),
    api<ProgramResponse>('/metrics/program'),
  ]);
  if (stale()) return;
  const sum = (k: 'issued' | 'redeemed' | 'expired') => days.reduce((s, d) => s + d[k], 0);
  const last = days[days.length - 1];
  const expiring = program.coins.expiringNext30Days;
  fill(
    'coins-cards',
    card('Issued', formatCount(sum('issued')), 'coins-issued', `${from} – ${to}`),
    card('Redeemed', formatCount(sum('redeemed')), 'coins-redeemed', `${from} – ${to}`),
    card('Expired', formatCount(sum('expired')), 'coins-expired', `${from} – ${to}`),
    card(
      'Liability',
      formatYuan(program.coins.liabilityFen),
      'coins-liability',
      `outstanding + pending coins, today (${last ? `${formatYuan(last.liabilityFen)} on ${last.day}` : '—'})`,
    ),
    card(
      'Expiring in 30 days',
      formatCount(expiring?.coins ?? 0),
      'coins-expiring',
      `coins of ${formatCount(expiring?.members ?? 0)} members, lots expiring by today + 30`,
    ),
  );
  const labels = days.map((d) => d.day);
  drawChart('chart-coins', {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'Issued', data: days.map((d) => d.issued), backgroundColor: '#2563eb', borderRadius: 3 },
        { label: 'Redeemed', data: days.map((d) => d.redeemed), backgroundColor: '#16a34a', borderRadius: 3 },
        { label: 'Expired', data: days.map((d) => d.expired), backgroundColor: '#dc2626', borderRadius: 3 },
      ],
    },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: legendOptions() },
      scales: { x: dayAxis(labels), y: { beginAtZero: true, ticks: { precision: 0 } } },
    },
  });
  drawChart('chart-coins-liability', {
    type: 'line',
    data: {
      labels,
      datasets: [
        {
          label: 'Liability (yuan)',
          data: days.map((d) => d.liabilityFen / 100),
          borderColor: '#7c3aed',
          backgroundColor: '#7c3aed33',
          fill: 'origin',
        },
      ],
    },
    options: {
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: { legend: legendOptions() },
      scales: { x: dayAxis(labels), y: { beginAtZero: true } },
    },
  });
  fill(
    'table-coins',
    table(
      'table-coins',
      ['Day', 'Issued', 'Redeemed', 'Expired', 'Outstanding', 'Pending', 'Liability'],
      days.map((d) => [
        d.day,
        formatCount(d.issued),
        formatCount(d.redeemed),
        formatCount(d.expired),
        formatCount(d.outstanding),
        formatCount(d.pending),
        formatYuan(d.liabilityFen),
      ]),
    ),
  );
}
