// The member item's storage layout: short attribute names keep it under 1 KB (one write unit).
import { decodeRecent, encodeRecent } from '../../shared/member/activity';
import { REVIEW_BUCKETS } from '../../shared/keys/members-keys';
import { hash53 } from '../../shared/util/hash';
import type { MemberState } from '../../shared/member/state';
import type { RfmClass } from '../../shared/programme/vocabulary';
import { decodeActions, encodeActions } from '../../shared/actions/outbox';
import { decodeCoinOutbox, encodeCoinOutbox } from './coin-outbox-codec';
import { encodeLots, lotsOf } from './coin-lots-codec';
import { decodeTillOps, encodeTillOps } from './till-ops-codec';
import { packTexts, unpackTexts, type PackedTexts } from './packed-texts';
import { decodeNumbers, encodeNumbers, NUMBER_FIELDS, type MemberNumbers } from './member-numbers';
import { decodeOrders, encodeOrders } from '../../shared/member/orders-outbox';
import {
  decodeHistory,
  decodePosition,
  decodePurchases,
  encodeHistory,
  encodePurchases,
  encodeSeq,
  encodeShard,
} from './member-item-lists';

export interface MemberItem {
  memberId: string;
  /** version */ v: number;
  /** the numbers below (j, ad, lp, t, ts, tr, tb, tbs, tbr, ar, so, la, ca, cd) packed: member-numbers.ts; apart on items written before */
  nm?: Uint8Array;
  /** joinedOn */ j?: number;
  /** acquisitionChannel */ ac?: string;
  /** lastActiveOn */ la?: number;
  /** activeDays */ ad?: number;
  /** recent active days bitmap, bit i = lastActiveOn − i */ rb?: Uint8Array;
  /** high-water shard and sequence (member-item-lists.ts: a Kinesis shard id as its number, digits packed) */
  hs?: string | number;
  hq?: string | Uint8Array;
  /** ring of 6-byte eventId hashes */ ev?: Uint8Array;
  /** the ring's arrival days, run-length `day:count,…` (absent on items written before them) */ evd?: string;
  /** ring of 6-byte hashes of the job commands' eventIds */ cv?: Uint8Array;
  /** lifetime points */ lp?: number;
  /** points history `~day:points,…`, days after the first as distances (member-item-lists.ts) */ ph?: string;
  /** tier index, since, review day, tier before the latest upgrade, order ref of that upgrade */
  t?: number;
  ts?: number;
  tr?: number;
  tb?: number;
  to?: string;
  /** tierSince / tierReviewOn before the latest upgrade (restored by a refund revert); -1 = null */
  tbs?: number;
  tbr?: number;
  /** tierReviewOn of the last tier_at_risk notice */ ar?: number;
  /** purchase stats `~day:cents` or `~day:orders:cents`, days as distances (member-item-lists.ts) */ ps?: string;
  /** RFM snapshot `recency:frequency:monetary:r:f:m:class:asOf` */ rf?: string;
  /** win-back spell `spellFrom:offers:lastOfferOn` */ wb?: string;
  /** segment ids, comma-separated, and the day they last changed */ sg?: string;
  so?: number;
  /** sparse TierReviewIndex keys: only members above the base tier */
  rvb?: string;
  rv?: number;
  /** coin lots (coin-lots-codec.ts: `cm`, about 10 bytes each; `cl` on items written before it, 16), debt, ledger day, outbox */
  cm?: Uint8Array;
  cl?: Uint8Array;
  cd?: number;
  ca?: number;
  cx?: string;
  /** the API's coin operations pending on the member (shared/coins/operations.ts; till-ops-codec.ts) */
  tp?: string;
  /** identity: linked to (a visitor's member), the link's shard and sequence, folded-in keys (comma-separated) */
  lk?: string;
  lks?: string;
  lkq?: string;
  ids?: string;
  /** the operator merge that merged this member away (docs/architecture.md#operator-merge) */
  mg?: string;
  /** the erasure whose counts the member's last write booked (shared/privacy/erasure.ts); deleted next */
  eb?: string;
  /** the actions this write derived, JSON (shared/actions/outbox.ts) */
  ao?: string;
  /** the orders this write applied, JSON (shared/member/orders-outbox.ts) */
  oo?: string;
  /** cx, tp, ao, oo, ps, ph and evd deflated together, when smaller (packed-texts.ts: `oz`; `ob` before its dictionary) */
  oz?: Uint8Array;
  ob?: Uint8Array;
}

function encodeRing(hashes: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(hashes.length * 6);
  hashes.forEach((h, i) => {
    let value = h;
    for (let b = 5; b >= 0; b--) {
      bytes[i * 6 + b] = value % 256;
      value = Math.floor(value / 256);
    }
  });
  return bytes;
}

function decodeRing(bytes: Uint8Array | undefined): number[] {
  const out: number[] = [];
  if (!bytes) return out;
  for (let i = 0; i + 6 <= bytes.length; i += 6) {
    let value = 0;
    for (let b = 0; b < 6; b++) value = value * 256 + bytes[i + b];
    out.push(value);
  }
  return out;
}

/** The ring's arrival days, run-length encoded (they rise along the ring: a few runs). */
function encodeRingDays(days: readonly number[] | undefined, ids: number): string | undefined {
  if (!days || days.length !== ids || ids === 0) return undefined;
  const runs: string[] = [];
  let at = 0;
  while (at < days.length) {
    let end = at + 1;
    while (end < days.length && days[end] === days[at]) end++;
    runs.push(`${days[at]}:${end - at}`);
    at = end;
  }
  return runs.join(',');
}

function decodeRingDays(text: string): number[] {
  const out: number[] = [];
  for (const run of text.split(',')) {
    const [day, count] = run.split(':').map(Number);
    for (let i = 0; i < count; i++) out.push(day);
  }
  return out;
}

function decodeRfm(text: string | undefined): MemberState['rfm'] {
  if (!text) return null;
  const [recencyDays, frequency, monetaryCents, r, f, m, segment, asOf] = text.split(':');
  return {
    recencyDays: +recencyDays,
    frequency: +frequency,
    monetaryCents: +monetaryCents,
    r: +r,
    f: +f,
    m: +m,
    segment: segment as RfmClass,
    asOf: +asOf,
  };
}

export function reviewBucket(memberId: string): string {
  return String(hash53(memberId) % REVIEW_BUCKETS);
}

/** The item to write for `state`, whose version becomes `state.version + 1`. */
export function toMemberItem(state: MemberState): MemberItem {
  const { activity, tier } = state;
  const item: MemberItem = {
    memberId: state.memberId,
    v: state.version + 1,
    j: state.joinedOn,
    ad: activity.activeDays,
    lp: state.lifetimePoints,
    t: tier.tier,
  };
  if (state.acquisitionChannel) item.ac = state.acquisitionChannel;
  if (activity.lastActiveOn !== null) {
    item.la = activity.lastActiveOn;
    item.rb = encodeRecent(activity.lastActiveOn, activity.recent);
  }
  if (state.highWater) {
    item.hs = encodeShard(state.highWater.shardId);
    item.hq = encodeSeq(state.highWater.seq);
  }
  if (state.recentEventIds.length) item.ev = encodeRing(state.recentEventIds);
  const texts: PackedTexts = {};
  const evd = encodeRingDays(state.recentEventDays, state.recentEventIds.length);
  if (evd) texts.evd = evd;
  if (state.recentCommandIds?.length) item.cv = encodeRing(state.recentCommandIds);
  texts.ph = encodeHistory(state.history);
  if (tier.tierSince !== null) item.ts = tier.tierSince;
  if (tier.tierReviewOn !== null) item.tr = tier.tierReviewOn;
  if (tier.tierBeforeUpgrade !== null) item.tb = tier.tierBeforeUpgrade;
  if (tier.upgradeOrder !== null) item.to = tier.upgradeOrder;
  if (tier.sinceBeforeUpgrade !== undefined && tier.upgradeOrder !== null) item.tbs = tier.sinceBeforeUpgrade ?? -1;
  if (tier.reviewBeforeUpgrade !== undefined && tier.upgradeOrder !== null) item.tbr = tier.reviewBeforeUpgrade ?? -1;
  if (state.atRiskNotifiedFor !== null) item.ar = state.atRiskNotifiedFor;
  const purchases = encodePurchases(state.purchases);
  if (purchases) texts.ps = purchases;
  if (state.rfm) {
    const r = state.rfm;
    item.rf = [r.recencyDays, r.frequency, r.monetaryCents, r.r, r.f, r.m, r.segment, r.asOf].join(':');
  }
  if (state.winback) item.wb = `${state.winback.spellFrom}:${state.winback.offers}:${state.winback.lastOfferOn}`;
  if (state.segments.length) item.sg = state.segments.join(',');
  if (state.segmentsOn !== null) item.so = state.segmentsOn;
  // A member merged away is no job's business any more: it leaves the sparse indexes.
  const merged = !!state.linkedTo;
  if (tier.tier > 0 && tier.tierReviewOn !== null && !merged) {
    item.rvb = reviewBucket(state.memberId);
    item.rv = tier.tierReviewOn;
  }
  const lots = encodeLots(state.coins.lots);
  if (lots) item.cm = lots;
  if (state.coins.debt) item.cd = state.coins.debt;
  if (state.coins.asOf !== null) item.ca = state.coins.asOf;
  if (state.linkedTo) item.lk = state.linkedTo;
  if (state.linkedAt) {
    item.lks = state.linkedAt.shardId;
    item.lkq = state.linkedAt.seq;
  }
  if (state.identities.length) item.ids = state.identities.join(',');
  if (state.mergeId) item.mg = state.mergeId;
  if (state.erasedBy) item.eb = state.erasedBy;
  if (state.coinOut) texts.cx = encodeCoinOutbox(state.coinOut, state.highWater, state.coins.lots);
  if (state.tillOps?.length) texts.tp = encodeTillOps(state.tillOps, state.highWater);
  const actions = encodeActions(state.memberId, state.actionsOut ?? []);
  if (actions) texts.ao = actions;
  const orders = encodeOrders(state.ordersOut ?? []);
  if (orders) texts.oo = orders;
  Object.assign(item, packTexts(texts));
  return packNumbers(item);
}

/** The item with its small numbers in `nm` (member-numbers.ts), unless one does not fit it. */
function packNumbers(item: MemberItem): MemberItem {
  const numbers = {} as MemberNumbers;
  for (const f of NUMBER_FIELDS) if (item[f] !== undefined) numbers[f] = item[f]!;
  const nm = encodeNumbers(numbers);
  if (!nm) return item;
  for (const f of NUMBER_FIELDS) delete item[f];
  item.nm = nm;
  return item;
}

export function fromMemberItem(item: MemberItem): MemberState {
  const n: Partial<MemberNumbers> = item.nm ? decodeNumbers(item.nm) : item;
  const lastActiveOn = n.la ?? null;
  const box: PackedTexts = unpackTexts(item) ?? item;
  // The coin outbox's held moves may name their lots by place among these.
  const lots = lotsOf(item);
  return {
    memberId: item.memberId,
    version: item.v,
    joinedOn: n.j!,
    acquisitionChannel: item.ac ?? null,
    activity: {
      lastActiveOn,
      recent: lastActiveOn === null ? [] : decodeRecent(lastActiveOn, item.rb),
      activeDays: n.ad!,
    },
    highWater: decodePosition(item.hs, item.hq),
    recentEventIds: decodeRing(item.ev),
    ...(box.evd ? { recentEventDays: decodeRingDays(box.evd) } : {}),
    recentCommandIds: decodeRing(item.cv),
    lifetimePoints: n.lp!,
    history: decodeHistory(box.ph),
    tier: {
      tier: n.t!,
      tierSince: n.ts ?? null,
      tierReviewOn: n.tr ?? null,
      tierBeforeUpgrade: n.tb ?? null,
      upgradeOrder: item.to ?? null,
      sinceBeforeUpgrade: n.tbs === undefined ? undefined : n.tbs === -1 ? null : n.tbs,
      reviewBeforeUpgrade: n.tbr === undefined ? undefined : n.tbr === -1 ? null : n.tbr,
    },
    atRiskNotifiedFor: n.ar ?? null,
    purchases: decodePurchases(box.ps),
    rfm: decodeRfm(item.rf),
    winback: item.wb ? (([spellFrom, offers, lastOfferOn]) => ({ spellFrom, offers, lastOfferOn }))(item.wb.split(':').map(Number)) : null,
    segments: item.sg ? item.sg.split(',') : [],
    segmentsOn: n.so ?? null,
    contribution: new Map(),
    coins: { lots, debt: n.cd ?? 0, asOf: n.ca ?? null },
    coinOut: box.cx ? decodeCoinOutbox(box.cx, decodePosition(item.hs, item.hq), lots) : null,
    ...(box.tp ? { tillOps: decodeTillOps(box.tp, item.memberId, decodePosition(item.hs, item.hq)) } : {}),
    linkedTo: item.lk ?? null,
    linkedAt: item.lks && item.lkq ? { shardId: item.lks, seq: item.lkq } : null,
    identities: item.ids ? item.ids.split(',') : [],
    ...(item.mg ? { mergeId: item.mg } : {}),
    ...(item.eb ? { erasedBy: item.eb } : {}),
    ...(box.ao ? { actionsOut: decodeActions(item.memberId, box.ao) } : {}),
    ...(box.oo ? { ordersOut: decodeOrders(box.oo, decodePosition(item.hs, item.hq)) } : {}),
  };
}
