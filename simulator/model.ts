// The simulator's model: the catalogue, channels, time-of-day and basket distributions, and the
// member record the simulation keeps. Values only; the behaviour is in simulate.ts.
/**
 * The model, per member:
 * - ~35% of the members existed before the window (no `signup`; their first event is of another
 *   type); the others sign up on a day of the window (weekends and one campaign day busier), with
 *   an acquisition channel (`sem`, `weibo`, `wechat`, `referral`, `store_flyer`) whose retention
 *   quality differs (referral best, sem worst).
 * - an engagement propensity drives daily activity: the signup day, then a day-1 return chance
 *   that decays towards a long-tail rate. Weekends are a little busier.
 * - an active day has 1–6 app sessions (`app_open`, a few `page_view`s, `session_end` with
 *   `durationSeconds` and `pageViews` — every pages-per-session bucket occurs, and some 0) and/or
 *   store visits; sessions can start before and end after local midnight.
 * - purchases on store / app / mini_program / third_party with 1–8 distinct fresh-goods lines,
 *   now and then a `gift_card` line, some tiny (< 1 yuan) orders, app and mini-program shipping
 *   fees under a free-shipping threshold. A few heavy spenders and "whales" (chosen among the
 *   members present in the first quarter of the window) reach silver and gold.
 * - ~5% of orders are refunded later by the same member: fully, partly, or in two partial
 *   refunds with distinct refund ids; a refund never exceeds what its order's lines still hold.
 * - occasional recharges; ~10% of the ordinary members fall silent for 31–75 days on a random
 *   day, and most of them come back (forced activity on the day before and the day after the
 *   spell makes the spell exact).
 */
import type { BehaviourEvent } from '../shared/events/events';
import { cumulative, type Rng } from './rng';

/** Most `page_view` events emitted per session (the session's `pageViews` is the full count). */
export const PAGE_VIEW_EVENTS_PER_SESSION = 3;

export const ACQUISITION_CHANNELS = ['sem', 'weibo', 'wechat', 'referral', 'store_flyer'] as const;
export const ACQ_CUM = cumulative([0.22, 0.16, 0.3, 0.14, 0.18]);
/** Retention quality multiplier per acquisition channel. */
export const ACQ_QUALITY = [0.7, 0.8, 1.1, 1.35, 1.0];

export const CATEGORIES = ['fresh_produce', 'meat', 'seafood', 'dairy', 'bakery', 'pantry'] as const;
export const CAT_PREFIX = ['fp', 'mt', 'sf', 'dy', 'bk', 'pt'];
export const CAT_CUM = cumulative([0.3, 0.15, 0.08, 0.17, 0.12, 0.18]);
export const CAT_MIN = [300, 1500, 2000, 400, 300, 500];
export const CAT_MAX = [2000, 6000, 12000, 2500, 2000, 4000];
export const SKUS_PER_CATEGORY = 40;
export const SKUS: string[][] = CAT_PREFIX.map((p) =>
  Array.from({ length: SKUS_PER_CATEGORY }, (_, i) => `sku-${p}-${String(i + 1).padStart(3, '0')}`),
);
export const GIFT_SKUS = ['gc-100', 'gc-200', 'gc-500'];
export const GIFT_CENTS = [10_000, 20_000, 50_000];
export const GIFT_CARD_CATEGORY = 'gift_card';

export const PAGES_FIXED = ['cart', 'promotions', 'member/center', 'search', 'orders'];
export const CATEGORY_PAGES = CATEGORIES.map((c) => `category/${c}`);
export const PRODUCT_PAGES: string[][] = SKUS.map((list) => list.map((s) => `product/${s}`));

export const OS = ['ios', 'android', 'harmonyos'];
export const APP_VERSIONS = ['5.2.0', '5.3.1', '5.4.0'];
export const PAYMENTS = ['wechat_pay', 'alipay', 'balance'];
export const PLATFORMS_3P = ['meituan', 'eleme', 'jddj'];
export const REFUND_REASONS = ['quality', 'missing_item', 'damaged', 'changed_mind'];
export const CAMPAIGNS = ['autumn-fresh', 'golden-week', 'new-member-gift'];

// Hour-of-day weights (local time): app use all day with evening peak and a thin night.
export const HOURS_APP = cumulative([
  0.8, 0.4, 0.2, 0.15, 0.15, 0.3, 1.2, 3, 4, 3.5, 3, 3.5, 4.5, 3.5, 2.5, 2.5, 3, 4, 5, 5.5, 6, 5.5, 4, 2.2,
]);
// Stores open 07:00–22:00.
export const HOURS_STORE = cumulative([0, 0, 0, 0, 0, 0, 0, 2, 4, 4, 3.5, 3, 3, 2, 2, 2.5, 3.5, 5, 6, 5, 3, 1.5, 0, 0]);

// Pages-per-session buckets 0, 1-2, 3-5, 6-9, 10-29, 30-50, 51+.
export const PV_CASUAL = cumulative([0.04, 0.36, 0.3, 0.15, 0.12, 0.02, 0.01]);
export const PV_ENGAGED = cumulative([0.02, 0.18, 0.25, 0.2, 0.25, 0.06, 0.04]);
export const PV_LO = [0, 1, 3, 6, 10, 30, 51];
export const PV_HI = [0, 2, 5, 9, 29, 50, 51];

export const LINES_NORMAL = cumulative([0.2, 0.18, 0.17, 0.14, 0.11, 0.09, 0.06, 0.05]);
export const LINES_HEAVY = cumulative([0.03, 0.05, 0.08, 0.12, 0.17, 0.2, 0.18, 0.17]);

export const PREEXISTING_SHARE = 0.35;
export const SILENCE_SHARE = 0.1;
export const SILENCE_NEVER_BACK = 0.35;
export const REFUND_RATE = 0.05;
export const FREE_SHIPPING_CENTS = 5900;

export const MINUTE = 60_000;
export const HOUR = 3_600_000;

export type Channel = 'store' | 'app' | 'mini_program' | 'third_party';
export type Platform = 'app' | 'mini_program';
export type PurchaseLine = { sku: string; category: string; amountCents: number };
export type RefundLine = { sku: string; amountCents: number };

export const Spender = { Normal: 0, Heavy: 1, Whale: 2 } as const;
export type Spender = (typeof Spender)[keyof typeof Spender];

export interface Member {
  id: string;
  /** Day index of the signup, or -1 when the member existed before the window. */
  joinDay: number;
  acq: number;
  /** Engagement propensity 0..1. */
  e: number;
  r1: number;
  tail: number;
  platform: Platform;
  os: string;
  appVersion: string;
  spender: Spender;
  buyP: number;
  scale: number;
  /** Preferred purchase channel. */
  primary: Channel;
  storeId: string;
  silentFrom: number;
  silentUntil: number;
  /** No new session starts before this instant (a session may run past midnight). */
  busyUntil: number;
}

export interface DayBuffer {
  t: number[];
  ev: BehaviourEvent[];
}

export function hasSku(lines: PurchaseLine[], sku: string): boolean {
  for (let i = 0; i < lines.length; i++) if (lines[i].sku === sku) return true;
  return false;
}

export function weightedBinary(rng: Rng, cum: Float64Array): number {
  const x = rng.next() * cum[cum.length - 1];
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < cum[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
