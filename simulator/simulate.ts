/**
 * Deterministic synthetic member behaviour (docs/events.md) for demos, tests and benchmarks.
 *
 * `simulate({ members, days, seed })` yields plain event objects in arrival order (nondecreasing
 * `occurredAt`), day by day in the programme time zone. Same options ⇒ byte-identical output.
 * The model (per member) is described in model.ts. `page_view` events are a sample: at most
 * {@link PAGE_VIEW_EVENTS_PER_SESSION} per session (the first pages); `session_end.pageViews` carries the full count. This keeps the volume moderate.
 * Event objects are fresh and never touched again after they are yielded.
 */
import { dayNumber, MS_PER_DAY, zoneOffsetMs } from '../shared/days/days';
import { normalise, type Normalised, type SimulateOptions } from './options';
import type { BehaviourEvent } from '../shared/events/events';
import { IsoFormatter } from './format';
import {
  ACQ_CUM,
  ACQ_QUALITY,
  ACQUISITION_CHANNELS,
  APP_VERSIONS,
  CAMPAIGNS,
  CAT_CUM,
  CAT_MAX,
  CAT_MIN,
  CATEGORIES,
  CATEGORY_PAGES,
  type Channel,
  type DayBuffer,
  FREE_SHIPPING_CENTS,
  GIFT_CARD_CATEGORY,
  GIFT_CENTS,
  GIFT_SKUS,
  hasSku,
  HOUR,
  HOURS_APP,
  HOURS_STORE,
  LINES_HEAVY,
  LINES_NORMAL,
  type Member,
  MINUTE,
  OS,
  PAGE_VIEW_EVENTS_PER_SESSION,
  PAGES_FIXED,
  PAYMENTS,
  type Platform,
  PLATFORMS_3P,
  PREEXISTING_SHARE,
  PRODUCT_PAGES,
  type PurchaseLine,
  PV_CASUAL,
  PV_ENGAGED,
  PV_HI,
  PV_LO,
  REFUND_RATE,
  REFUND_REASONS,
  type RefundLine,
  SILENCE_NEVER_BACK,
  SILENCE_SHARE,
  SKUS,
  SKUS_PER_CATEGORY,
  Spender,
  weightedBinary,
} from './model';
import { arrivalOrder } from './arrival-order';
import { cumulative, Rng } from './rng';

class Simulation {
  private readonly rng: Rng;
  private readonly seed: number;
  private readonly days: number;
  private readonly tz: string;
  /** dayStart[d] = UTC instant of local midnight of day d; dayStart[days] ends the window. */
  private readonly dayStart: number[] = [];
  private readonly weekend: boolean[] = [];
  private readonly members: Member[] = [];
  private readonly buffers: (DayBuffer | undefined)[];
  private readonly fmt = new IsoFormatter();
  private cur = 0;
  private orders = 0;
  private refunds = 0;
  private readonly scratch = new Float64Array(8);

  constructor(o: Normalised) {
    this.rng = new Rng(o.seed);
    this.seed = o.seed;
    this.days = o.days;
    this.tz = o.timezone;
    this.buffers = new Array(o.days).fill(undefined);
    const first = dayNumber(o.start);
    for (let d = 0; d <= o.days; d++) {
      const dn = first + d;
      this.dayStart.push(this.localMidnight(dn));
      const dow = (((dn + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday; 0 = Sunday
      this.weekend.push(dow === 0 || dow === 6);
    }
    this.createMembers(o.members);
  }

  private localMidnight(dn: number): number {
    const guess = dn * MS_PER_DAY;
    const off1 = zoneOffsetMs(this.tz, guess);
    const t = guess - off1;
    const off2 = zoneOffsetMs(this.tz, t);
    return off2 === off1 ? t : guess - off2;
  }

  private createMembers(n: number): void {
    const rng = this.rng;
    const days = this.days;
    const campaignDay = days >= 5 ? Math.floor(days * 0.4) : -1;
    const signupWeights: number[] = [];
    for (let d = 0; d < days; d++) signupWeights.push(d === campaignDay ? 3 : this.weekend[d] ? 1.35 : 1);
    const signupCum = cumulative(signupWeights);
    const joins: number[] = new Array(n);
    for (let i = 0; i < n; i++) joins[i] = rng.chance(PREEXISTING_SHARE) ? -1 : weightedBinary(rng, signupCum);
    joins.sort((a, b) => a - b); // ids grow with the signup day, like a real member table
    const width = Math.max(5, String(n).length);
    const stores = Math.max(3, Math.min(60, Math.ceil(n / 150)));
    for (let i = 0; i < n; i++) {
      const joinDay = joins[i];
      const e = Math.pow(rng.next(), 1.4);
      let acq = -1;
      let r1: number;
      let tail: number;
      if (joinDay < 0) {
        tail = Math.min(0.85, 0.08 + 0.55 * e);
        r1 = tail;
      } else {
        acq = rng.weighted(ACQ_CUM);
        const q = ACQ_QUALITY[acq] * rng.real(0.85, 1.15);
        r1 = Math.min(0.92, (0.25 + 0.6 * e) * q);
        tail = Math.min(0.85, (0.04 + 0.42 * e) * q);
      }
      const platform: Platform = rng.chance(0.6) ? 'app' : 'mini_program';
      const p = rng.next();
      const primary: Channel = acq === 4 || p < 0.4 ? 'store' : p < 0.9 ? platform : 'third_party';
      this.members.push({
        id: `m${String(i + 1).padStart(width, '0')}`,
        joinDay,
        acq,
        e,
        r1,
        tail,
        platform,
        os: rng.pick(OS),
        appVersion: rng.pick(APP_VERSIONS),
        spender: Spender.Normal,
        buyP: rng.real(0.08, 0.35),
        scale: rng.real(0.7, 1.4),
        primary,
        storeId: `s${String(rng.int(stores) + 1).padStart(3, '0')}`,
        silentFrom: -1,
        silentUntil: -1,
        busyUntil: 0,
      });
    }
    // Heavy spenders and whales among the members present in the first quarter of the window.
    const candidates = this.members.filter((m) => m.joinDay <= Math.floor(days / 4));
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
    }
    const whales = Math.min(candidates.length, Math.max(1, Math.round(n * 0.005)));
    const heavy = Math.min(candidates.length - whales, Math.max(2, Math.round(n * 0.03)));
    for (let k = 0; k < whales + heavy; k++) {
      const m = candidates[k];
      const whale = k < whales;
      m.spender = whale ? Spender.Whale : Spender.Heavy;
      m.e = rng.real(0.8, 0.97);
      m.tail = whale ? rng.real(0.85, 0.95) : rng.real(0.7, 0.9);
      m.r1 = Math.max(m.r1, m.tail);
      m.buyP = whale ? rng.real(0.85, 0.95) : rng.real(0.55, 0.75);
      m.scale = whale ? rng.real(2.5, 3.5) : rng.real(1.2, 1.8);
    }
    // Silence spells among the ordinary members.
    for (const m of this.members) {
      if (m.spender !== Spender.Normal || !rng.chance(SILENCE_SHARE)) continue;
      const lo = Math.max(m.joinDay, 0) + 1;
      if (lo > days - 1) continue;
      m.silentFrom = rng.range(lo, days - 1);
      m.silentUntil = rng.chance(SILENCE_NEVER_BACK) ? Number.POSITIVE_INFINITY : m.silentFrom + rng.range(31, 75);
    }
  }

  *run(): Generator<BehaviourEvent> {
    const members = this.members;
    const rng = this.rng;
    let joined = 0;
    let n = 0;
    const seedText = String(this.seed);
    for (let d = 0; d < this.days; d++) {
      this.cur = d;
      while (joined < members.length && members[joined].joinDay <= d) joined++;
      const weekend = this.weekend[d];
      for (let i = 0; i < joined; i++) {
        const m = members[i];
        const isJoin = m.joinDay === d;
        if (!isJoin) {
          if (d >= m.silentFrom && d < m.silentUntil) continue; // silentFrom -1: never
          const forced = d === m.silentFrom - 1 || d === m.silentUntil;
          if (!forced) {
            const k = m.joinDay < 0 ? 1e9 : d - m.joinDay;
            let p = m.tail + (m.r1 - m.tail) * Math.exp(-(k - 1) / 3.5);
            if (weekend) p *= 1.12;
            if (!rng.chance(Math.min(p, 0.97))) continue;
          }
        }
        this.memberDay(m, d, isJoin);
      }
      const buf = this.buffers[d];
      this.buffers[d] = undefined;
      if (buf === undefined) continue;
      const ts = buf.t;
      const evs = buf.ev;
      const order = arrivalOrder(ts, this.dayStart[d]);
      for (let i = 0; i < order.length; i++) {
        const k = order[i];
        const ev = evs[k];
        const t = ts[k];
        n++;
        ev.eventId = `e-${seedText}-${n}`;
        // Stores report local time with the offset; ~25% of the other sources do too.
        const local = ev.channel === 'store' || (Math.imul(n, 0x9e3779b1) >>> 0) % 100 < 25;
        ev.occurredAt = local ? this.fmt.withOffset(t, zoneOffsetMs(this.tz, t)) : this.fmt.utc(t);
        yield ev;
      }
    }
  }

  /** Queues an event at instant `t` on the day it falls on; events after the window are dropped. */
  private place(t: number, ev: BehaviourEvent): void {
    let d = this.cur;
    const ds = this.dayStart;
    while (d < this.days && t >= ds[d + 1]) d++;
    if (d >= this.days) return;
    let buf = this.buffers[d];
    if (buf === undefined) {
      buf = { t: [], ev: [] };
      this.buffers[d] = buf;
    }
    buf.t.push(t);
    buf.ev.push(ev);
  }

  /** A local time of day d drawn from an hour-weights table, not before `lo`. */
  private timeOn(d: number, hours: Float64Array, lo: number): number {
    const rng = this.rng;
    const t = this.dayStart[d] + rng.weighted(hours) * HOUR + rng.int(HOUR);
    return t >= lo ? t : lo + rng.range(MINUTE, 2 * HOUR);
  }

  private memberDay(m: Member, d: number, isJoin: boolean): void {
    const rng = this.rng;
    let lo = this.dayStart[d];
    const buyChannel: Channel | null = rng.chance(m.buyP) ? this.purchaseChannel(m) : null;
    let sessions = 1;
    while (sessions < 6 && rng.chance(0.12 + 0.3 * m.e)) sessions++;
    if (buyChannel === 'store' && !rng.chance(0.35)) sessions = 0;
    else if (buyChannel === 'third_party' && rng.chance(0.5)) sessions = 0;

    if (isJoin) {
      const atStore = m.acq === 4;
      const t = this.timeOn(d, atStore ? HOURS_STORE : HOURS_APP, lo);
      const ev: BehaviourEvent = {
        eventId: '',
        type: 'signup',
        memberId: m.id,
        occurredAt: '',
        channel: atStore ? 'store' : m.platform,
        acquisitionChannel: ACQUISITION_CHANNELS[m.acq],
      };
      if (m.acq <= 1) ev.attributes = { utmCampaign: rng.pick(CAMPAIGNS) };
      this.place(t, ev);
      lo = t + 1000;
      if (sessions === 0 && buyChannel !== 'store') sessions = 1;
    }

    if (buyChannel === 'store') this.purchase(m, 'store', this.timeOn(d, HOURS_STORE, lo));
    else if (buyChannel === 'third_party') this.purchase(m, 'third_party', this.timeOn(d, HOURS_APP, lo));
    if (buyChannel !== null && m.spender !== Spender.Normal && rng.chance(0.15)) {
      this.purchase(m, 'store', this.timeOn(d, HOURS_STORE, lo));
    }

    if (sessions > 0) {
      const starts = this.scratch;
      for (let i = 0; i < sessions; i++) {
        const s = i === 0 && isJoin ? lo + rng.range(5_000, 120_000) : this.timeOn(d, HOURS_APP, lo);
        // insertion sort into starts[0..i]
        let j = i;
        while (j > 0 && starts[j - 1] > s) {
          starts[j] = starts[j - 1];
          j--;
        }
        starts[j] = s;
      }
      const online = buyChannel === 'app' || buyChannel === 'mini_program';
      for (let i = 0; i < sessions; i++) {
        let s = starts[i];
        if (s < m.busyUntil) s = m.busyUntil + rng.range(MINUTE, 20 * MINUTE);
        this.session(m, s, online && i === sessions - 1);
      }
    }

    if (rng.chance(m.spender === Spender.Normal ? 0.012 : 0.03)) {
      const ch: Channel = rng.chance(0.4) ? 'store' : m.platform;
      const amounts = [5_000, 10_000, 20_000, 50_000, 100_000];
      this.place(this.timeOn(d, ch === 'store' ? HOURS_STORE : HOURS_APP, lo), {
        eventId: '',
        type: 'recharge',
        memberId: m.id,
        occurredAt: '',
        channel: ch,
        amountCents: amounts[Math.min(4, rng.int(4) + (m.spender === Spender.Normal ? 0 : 1))],
        attributes: { method: rng.pick(PAYMENTS) },
      });
    }
  }

  private purchaseChannel(m: Member): Channel {
    const rng = this.rng;
    if (rng.chance(0.65)) return m.primary;
    const p = rng.next();
    return p < 0.45 ? 'store' : p < 0.85 ? m.platform : 'third_party';
  }

  private session(m: Member, t0: number, withPurchase: boolean): void {
    const rng = this.rng;
    const b = rng.weighted(rng.chance(m.e) ? PV_ENGAGED : PV_CASUAL);
    let pv = b === 6 ? 51 + Math.min(250, Math.floor(-Math.log(1 - rng.next()) * 25)) : rng.range(PV_LO[b], PV_HI[b]);
    if (withPurchase && pv < 2) pv = rng.range(2, 4);
    const dur = pv === 0 ? rng.range(2, 45) : Math.round(pv * rng.real(6, 45)) + rng.range(5, 40);
    const durMs = dur * 1000 + rng.int(1000);
    const tEnd = t0 + durMs;
    this.place(t0, {
      eventId: '',
      type: 'app_open',
      memberId: m.id,
      occurredAt: '',
      channel: m.platform,
      attributes: { os: m.os, appVersion: m.appVersion },
    });
    const shown = Math.min(pv, PAGE_VIEW_EVENTS_PER_SESSION);
    for (let i = 1; i <= shown; i++) {
      let page: string;
      if (i === 1) page = 'home';
      else {
        const r = rng.next();
        const c = rng.weighted(CAT_CUM);
        page = r < 0.35 ? CATEGORY_PAGES[c] : r < 0.8 ? PRODUCT_PAGES[c][rng.int(SKUS_PER_CATEGORY)] : rng.pick(PAGES_FIXED);
      }
      this.place(t0 + Math.floor((i * durMs) / (pv + 1)), {
        eventId: '',
        type: 'page_view',
        memberId: m.id,
        occurredAt: '',
        page,
      });
    }
    if (withPurchase) this.purchase(m, m.platform, Math.max(t0 + 1, tEnd - rng.range(1_000, 10_000)));
    this.place(tEnd, {
      eventId: '',
      type: 'session_end',
      memberId: m.id,
      occurredAt: '',
      channel: m.platform,
      durationSeconds: dur,
      pageViews: pv,
    });
    m.busyUntil = tEnd;
  }

  private purchase(m: Member, channel: Channel, t: number): void {
    const rng = this.rng;
    const orderId = `o-${this.seed}-${++this.orders}`;
    const lines: PurchaseLine[] = [];
    if (rng.chance(0.015)) {
      // a tiny order: one cheap item under 1 yuan (earns no points)
      const c = rng.chance(0.5) ? 0 : 4;
      lines.push({ sku: SKUS[c][rng.int(SKUS_PER_CATEGORY)], category: CATEGORIES[c], amountCents: rng.range(10, 99) });
    } else if (rng.chance(0.005)) {
      // a gift-card-only order (earns no points)
      const g = rng.int(GIFT_SKUS.length);
      lines.push({ sku: GIFT_SKUS[g], category: GIFT_CARD_CATEGORY, amountCents: GIFT_CENTS[g] });
    } else {
      const count = rng.weighted(m.spender === Spender.Normal ? LINES_NORMAL : LINES_HEAVY) + 1;
      for (let i = 0; i < count; i++) {
        let c = 0;
        let sku = '';
        for (let tries = 0; tries < 6; tries++) {
          c = rng.weighted(CAT_CUM);
          sku = SKUS[c][rng.int(SKUS_PER_CATEGORY)];
          if (!hasSku(lines, sku)) break;
          sku = '';
        }
        if (sku === '') continue;
        const base = CAT_MIN[c] + (CAT_MAX[c] - CAT_MIN[c]) * Math.pow(rng.next(), 1.6);
        let cents = Math.round(base * m.scale);
        if (rng.chance(0.8)) cents = Math.max(10, Math.round(cents / 10) * 10);
        lines.push({ sku, category: CATEGORIES[c], amountCents: cents });
      }
      if (rng.chance(0.025)) {
        const g = rng.int(GIFT_SKUS.length);
        lines.push({ sku: GIFT_SKUS[g], category: GIFT_CARD_CATEGORY, amountCents: GIFT_CENTS[g] });
      }
    }
    let shippingCents = 0;
    if (channel === 'app' || channel === 'mini_program') {
      let subtotal = 0;
      for (const l of lines) subtotal += l.amountCents;
      if (subtotal < FREE_SHIPPING_CENTS && rng.chance(0.85)) shippingCents = rng.chance(0.7) ? 600 : 800;
    }
    const attributes: Record<string, string> =
      channel === 'store'
        ? { storeId: m.storeId, payment: rng.pick(PAYMENTS) }
        : channel === 'third_party'
          ? { platform: rng.pick(PLATFORMS_3P) }
          : { payment: rng.pick(PAYMENTS) };
    this.place(t, { eventId: '', type: 'purchase', memberId: m.id, occurredAt: '', channel, orderId, lines, shippingCents, attributes });
    if (rng.chance(REFUND_RATE)) this.scheduleRefunds(m, channel, orderId, lines, t);
  }

  /** Refund events for an order, placed on later instants (dropped when past the window). */
  private scheduleRefunds(m: Member, channel: Channel, orderId: string, lines: PurchaseLine[], t: number): void {
    const rng = this.rng;
    const remaining = lines.map((l) => l.amountCents);
    const full = rng.chance(0.35);
    const twice = !full && rng.chance(0.3);
    const t1 = this.later(t);
    const first: RefundLine[] = [];
    if (full) {
      for (let i = 0; i < lines.length; i++) first.push({ sku: lines[i].sku, amountCents: lines[i].amountCents });
      remaining.fill(0);
    } else {
      this.partialLines(lines, remaining, first);
    }
    this.refund(m, channel, orderId, first, t1, twice || rng.chance(0.7));
    if (twice && remaining.some((r) => r > 0)) {
      const second: RefundLine[] = [];
      this.partialLines(lines, remaining, second);
      if (second.length > 0) this.refund(m, channel, orderId, second, this.later(t1), true);
    }
  }

  /** Picks some lines with money left and refunds all or part of what is left of each. */
  private partialLines(lines: PurchaseLine[], remaining: number[], out: RefundLine[]): void {
    const rng = this.rng;
    const open: number[] = [];
    for (let i = 0; i < lines.length; i++) if (remaining[i] > 0) open.push(i);
    const want = rng.range(1, Math.max(1, Math.ceil(open.length / 2)));
    for (let k = 0; k < want && open.length > 0; k++) {
      const i = open.splice(rng.int(open.length), 1)[0];
      const left = remaining[i];
      const amount = rng.chance(0.5) || left < 2 ? left : Math.max(1, Math.min(left, Math.round(left * rng.real(0.1, 0.9))));
      remaining[i] = left - amount;
      out.push({ sku: lines[i].sku, amountCents: amount });
    }
  }

  /** An instant after `t`: the same day (20 min–4 h later) or 1–7 days later. */
  private later(t: number): number {
    const rng = this.rng;
    if (rng.chance(0.25)) return t + rng.range(20 * MINUTE, 4 * HOUR);
    const dayOfT = this.dayIndexOf(t);
    const d = dayOfT + rng.range(1, 7);
    if (d >= this.days) return Number.POSITIVE_INFINITY;
    return this.timeOn(d, HOURS_APP, t + 1);
  }

  private dayIndexOf(t: number): number {
    let d = this.cur;
    while (d < this.days && t >= this.dayStart[d + 1]) d++;
    return d;
  }

  private refund(m: Member, channel: Channel, orderId: string, lines: RefundLine[], t: number, withId: boolean): void {
    if (!Number.isFinite(t)) return;
    const attributes = { reason: this.rng.pick(REFUND_REASONS) };
    const common = { eventId: '', type: 'refund', memberId: m.id, occurredAt: '', channel } as const;
    this.place(
      t,
      withId
        ? { ...common, orderId, refundId: `r-${this.seed}-${++this.refunds}`, lines, attributes }
        : { ...common, orderId, lines, attributes },
    );
  }
}

/**
 * Synthetic behaviour events in arrival order (nondecreasing `occurredAt`), deterministic by
 * `seed`. Throws a RangeError for invalid options (before the first event).
 */
export function simulate(opts: SimulateOptions): Generator<BehaviourEvent> {
  const sim = new Simulation(normalise(opts));
  return sim.run();
}

/** One JSON line (no trailing newline) per event. */
export function* eventsToJsonLines(events: Iterable<BehaviourEvent>): Generator<string> {
  for (const ev of events) yield JSON.stringify(ev);
}
