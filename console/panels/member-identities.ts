// The member lookup's identity parts (docs/rules.md#identity): the ids folded into the member (its
// anonymous ids and the members an operator merged into it), a note when the id looked up is an
// anonymous id answering for its member, and the answer for an id merged away or erased.
import { type ApiError, enc, type MemberView } from '../api-client';
import { h } from '../dom';

/** The panel listing the member's anonymous ids and merged members. */
export function memberIdentities(m: MemberView, lookedUp: string): HTMLElement {
  const chips = (testid: string, ids: readonly string[], attr: string, none: string) =>
    ids.length
      ? h('div', { class: 'chips', testid }, ...ids.map((id) => h('span', { class: 'chip', [attr]: id }, id)))
      : h('p', { class: 'empty', testid }, none);
  return h(
    'div',
    { class: 'panel' },
    h('h2', {}, 'Identities'),
    lookedUp === m.memberId
      ? null
      : h('p', { class: 'muted', testid: 'member-linked-note' }, `${lookedUp} is an anonymous id linked to ${m.memberId}.`),
    h('h3', {}, 'Anonymous ids (app installs, WeChat ids, store cards)'),
    chips('member-identities', m.identities, 'data-identity', 'None linked.'),
    h('h3', {}, 'Members merged into this one'),
    chips('member-merged', m.mergedMembers, 'data-merged', 'None.'),
  );
}

/** The banner for a lookup the API refused with 404: no such member, merged into another, or erased. */
export function memberNotFound(memberId: string, error: ApiError): HTMLElement {
  const into = typeof error.extra.mergedInto === 'string' ? error.extra.mergedInto : null;
  if (error.code === 'merged_into' && into) {
    const open = h('button', { type: 'button', class: 'chip', testid: 'member-merged-into', 'data-member': into }, into);
    open.addEventListener('click', () => (location.hash = `member/${enc(into)}`));
    return h('p', { class: 'banner', testid: 'member-error' }, `${memberId} was merged into `, open, '.');
  }
  if (error.code === 'member_erased') return h('p', { class: 'banner', testid: 'member-error' }, `${memberId} was erased.`);
  return h('p', { class: 'banner', testid: 'member-error' }, `No member ${memberId}.`);
}
