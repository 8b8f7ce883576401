// The member lookup's coins block: the balance and the latest ledger movements.
import type { CoinLedgerResponse } from '../../functions/api/responses';
import { api, enc, type MemberView } from '../api-client';
import { h, table } from '../dom';
import { formatCount } from '../format';

export async function memberCoins(memberId: string, coins: MemberView['coins']): Promise<HTMLElement> {
  const { entries } = await api<CoinLedgerResponse>(`/members/${enc(memberId)}/coins/ledger?limit=10`);
  const fact = (label: string, value: string, testid: string) => [h('dt', {}, label), h('dd', { testid }, value)];
  return h(
    'div',
    { class: 'panel' },
    h('h2', {}, 'Coins'),
    h(
      'dl',
      { class: 'facts' },
      ...fact('Available', formatCount(coins.available), 'member-coins-available'),
      ...fact('Pending', formatCount(coins.pending), 'member-coins-pending'),
      ...fact('Debt', formatCount(coins.debt), 'member-coins-debt'),
      ...fact(
        'Next expiry',
        coins.nextExpiry ? `${formatCount(coins.nextExpiry.coins)} on ${coins.nextExpiry.day}` : '—',
        'member-coins-expiry',
      ),
    ),
    entries.length
      ? table(
          'member-coins-ledger',
          ['Day', 'Movement', 'Coins', 'Lot', 'Ref', 'Member'],
          entries.map((e) => [e.day, e.kind, formatCount(e.coins), e.lotId ?? '—', e.ref, e.mergedFrom ?? memberId]),
          2,
        )
      : h('p', { class: 'empty', testid: 'member-coins-ledger' }, 'No coin movements.'),
  );
}
