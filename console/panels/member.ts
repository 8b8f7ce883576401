// The member panel: one member's state, ledger and RFM cell (operator only).
import { TIER_COLOURS } from '../charts';
import { formatCount, formatYuan, isDay } from '../format';
import { api, ApiError, enc, type MemberView } from '../api-client';
import { $, h, table } from '../dom';
import { clampAsOf, state } from '../state';
import { memberCoins } from './member-coins';
import { memberIdentities, memberNotFound } from './member-identities';

export async function renderMember(stale: () => boolean, memberId?: string): Promise<void> {
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
      if (!stale()) result.replaceChildren(memberNotFound(memberId, error));
      return;
    }
    throw error;
  }
  const coins = await memberCoins(m.memberId, m.coins);
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
            ['Day', 'From', 'To', 'Reason', 'Member'],
            m.tierHistory.map((c) => [c.day, c.from, c.to, c.reason, c.mergedFrom ?? m.memberId]),
            5,
          )
        : h('p', { class: 'empty', testid: 'member-history' }, 'No tier changes.'),
    ),
    memberIdentities(m, memberId),
    coins,
  );
}
