// The quarantine panel: rejected records by reason (operator only).
import type { QuarantineResponse } from '../../functions/api/responses';
import { formatCount } from '../format';
import { api } from '../api-client';
import { $, fill, h } from '../dom';

export async function renderQuarantine(stale: () => boolean): Promise<void> {
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
