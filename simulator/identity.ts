// Persons behind the simulated members (docs/rules.md#identity): some browse anonymously before they
// identify (an app install `wx:…`, a store card `card:…` at the till), some keep a second device
// that stays anonymous, some never sign up, and identifies often arrive late and out of order.
// A deterministic rewrite of a simulated history, so every figure can be checked against the oracle.
import type { BehaviourEvent } from '../shared/events/events';
import { Rng } from './rng';

export interface IdentityOptions {
  seed: number;
  /** Share of members who start anonymous and identify later. Default 0.3. */
  anonymousShare?: number;
  /** Share of members who never sign up: every event anonymous, never identified. Default 0.08. */
  visitorShare?: number;
  /** Per browsing event after the identify, the chance it still comes from the anonymous device. Default 0.25. */
  secondDevice?: number;
  /** Share of identifies that reach the stream late (hundreds to thousands of records later). Default 0.5. */
  lateIdentify?: number;
}

type Loose = Record<string, unknown> & { type: string; memberId?: string; anonymousId?: string; occurredAt: string; orderId?: string };

const BROWSING = new Set(['app_open', 'page_view', 'session_end']);

function anonymise(event: Loose, anonymousId: string): Loose {
  const { memberId: _memberId, ...rest } = event;
  return { ...rest, anonymousId };
}

/** The history rewritten with anonymous ids and identifies, in arrival order. */
export function withIdentities(history: Iterable<BehaviourEvent>, opts: IdentityOptions): BehaviourEvent[] {
  const rng = new Rng(opts.seed ^ 0x1d);
  const anonymousShare = opts.anonymousShare ?? 0.3;
  const visitorShare = opts.visitorShare ?? 0.08;
  const events = [...history] as unknown as Loose[];
  const byMember = new Map<string, number[]>();
  events.forEach((e, i) => {
    const list = byMember.get(e.memberId!);
    if (list) list.push(i);
    else byMember.set(e.memberId!, [i]);
  });
  const out: (Loose | null)[] = [...events];
  const inserts: { at: number; event: Loose }[] = [];
  let identifies = 0;
  for (const [memberId, indices] of [...byMember].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const draw = rng.next();
    const wx = `wx:${memberId}`;
    const card = `card:${memberId}`;
    if (draw < visitorShare) {
      for (const i of indices) out[i] = anonymise(events[i], events[i].channel === 'store' ? card : wx);
      continue;
    }
    if (draw >= visitorShare + anonymousShare) continue;
    // Anonymous for the first days, then the member id; refunds follow their order's id.
    const firstDay = Date.parse(events[indices[0]].occurredAt);
    const cutAt = firstDay + rng.range(0, 9) * 86_400_000 + rng.range(1, 20) * 3_600_000;
    const orderIds = new Map<string, string>();
    const used = new Set<string>();
    let firstAfter = -1;
    for (const i of indices) {
      const e = events[i];
      const before = Date.parse(e.occurredAt) < cutAt;
      if (e.type === 'refund' && orderIds.has(e.orderId!)) {
        out[i] = anonymise(e, orderIds.get(e.orderId!)!);
        continue;
      }
      if (before) {
        const id = e.type === 'purchase' && e.channel === 'store' ? card : wx;
        out[i] = anonymise(e, id);
        used.add(id);
        if (e.type === 'purchase') orderIds.set(e.orderId!, id);
      } else {
        if (firstAfter < 0) firstAfter = i;
        if (used.has(wx) && BROWSING.has(e.type) && rng.chance(opts.secondDevice ?? 0.25)) out[i] = anonymise(e, wx);
      }
    }
    const at = firstAfter < 0 ? events.length : firstAfter;
    const occurredAt = firstAfter < 0 ? events[indices[indices.length - 1]].occurredAt : events[firstAfter].occurredAt;
    for (const anonymousId of [...used].sort()) {
      const late = rng.chance(opts.lateIdentify ?? 0.5) ? rng.range(200, 3000) : 0;
      inserts.push({
        at: at + late,
        event: { eventId: `identify-${opts.seed}-${++identifies}`, type: 'identify', memberId, anonymousId, occurredAt },
      });
    }
  }
  inserts.sort((a, b) => a.at - b.at);
  const result: Loose[] = [];
  let k = 0;
  out.forEach((e, i) => {
    while (k < inserts.length && inserts[k].at <= i) result.push(inserts[k++].event);
    if (e) result.push(e);
  });
  while (k < inserts.length) result.push(inserts[k++].event);
  return result as unknown as BehaviourEvent[];
}
