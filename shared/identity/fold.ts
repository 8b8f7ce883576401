// Folding one person's state into another's (docs/architecture.md#identity): a linked visitor into its
// member (an identify). Activity days are united, so a day active under both ids counts once; the
// visitor's own counts are taken back whole (they were booked on its shard) and the member's union
// books the person's; a paying day under both ids counts once. The person joined on its first day
// under either id (contract §8: as if every event had carried the member's id), and so the base tier
// it has held since joining dates from then too (joinedBy, as for a late event before joinedOn), and
// its acquisition channel is that of the id it joined under (docs/rules.md#identity).
import { markActive } from '../member/activity';
import { joinedBy } from '../member/joined';
import { EVENT_RING_SIZE, type MemberState } from '../member/state';
import { add, wholeDeltas, type Deltas } from '../metrics/deltas';
import { dayKey } from '../keys/metrics-keys';
import type { Program } from '../programme/vocabulary';

export function foldInto(member: MemberState, source: MemberState, sourceKey: string, program: Program): void {
  const deltas: Deltas = member.identityDeltas ?? new Map();
  for (const [item, counters] of wholeDeltas(source, program)) for (const [counter, by] of counters) add(deltas, item, counter, -by);
  for (const day of source.activity.recent) markActive(member.activity, day, program.activity.lateActivityLimitDays);
  // The person came through the channel of the id it joined under (the member's on the same day).
  if (source.acquisitionChannel && (!member.acquisitionChannel || source.joinedOn < member.joinedOn))
    member.acquisitionChannel = source.acquisitionChannel;
  joinedBy(member, source.joinedOn);
  for (const entry of source.history) {
    const at = member.history.findIndex((e) => e.day >= entry.day);
    if (at >= 0 && member.history[at].day === entry.day) {
      // Paying under both ids that day: the person pays once.
      member.history[at] = { day: entry.day, points: member.history[at].points + entry.points };
      add(deltas, dayKey(entry.day), 'payingMembers', -1);
    } else member.history.splice(at < 0 ? member.history.length : at, 0, { ...entry });
  }
  for (const p of source.purchases) {
    const i = member.purchases.findIndex((q) => q.day === p.day);
    if (i >= 0) {
      // Replaced, not changed in place: the reducer's copy of a member shares its entries.
      const found = member.purchases[i];
      member.purchases[i] = { ...found, orders: found.orders + p.orders, cents: found.cents + p.cents };
    } else {
      const at = member.purchases.findIndex((q) => q.day > p.day);
      member.purchases.splice(at < 0 ? member.purchases.length : at, 0, { ...p });
    }
  }
  // The source's recent eventIds join the member's ring (oldest first, the member's own kept): an
  // event applied before the link and replayed to the member later is still a repeat.
  // Beyond the latest EVENT_RING_SIZE only the member's own ids keep their replay window.
  const joined = source.recentEventIds.filter((h) => !member.recentEventIds.includes(h)).slice(-EVENT_RING_SIZE);
  const ownDays = member.recentEventDays?.length === member.recentEventIds.length ? member.recentEventDays : null;
  const kept = Math.max(0, Math.min(joined.length, EVENT_RING_SIZE - member.recentEventIds.length));
  member.recentEventIds = [...joined.slice(joined.length - kept), ...member.recentEventIds];
  if (ownDays) member.recentEventDays = [...new Array<number>(kept).fill(0), ...ownDays];
  else member.recentEventDays = undefined;
  member.identities = [...member.identities, sourceKey];
  member.identityDeltas = deltas;
}
