/**
 * Independent oracle for the activity metrics of docs/rules.md#activity-and-status and the routes
 * `/metrics/daily`, `/metrics/retention`, `/metrics/sessions` (docs/api.md#metrics).
 *
 * Deliberately plain: it replays the whole list of events in arrival order into in-memory maps,
 * then answers every question by brute force over those maps. It shares NO code with `shared/`
 * (own types, own day conversion via Intl, own day arithmetic) so that the streaming
 * implementation can be checked against it. Inputs are assumed valid per docs/events.md.
 *
 * The definitions are written down in docs/metrics.md.
 */

// ---------------------------------------------------------------------------------------------
// Types (local on purpose — do not import from shared/)

export interface OracleLine {
  sku: string;
  category?: string;
  amountCents: number;
}

export interface OracleEvent {
  eventId: string;
  type: 'signup' | 'app_open' | 'page_view' | 'session_end' | 'purchase' | 'refund' | 'recharge' | 'identify';
  /** At least one of memberId and anonymousId (docs/events.md#identity-fields). */
  memberId?: string;
  anonymousId?: string;
  occurredAt: string;
  channel?: string;
  attributes?: Record<string, unknown>;
  acquisitionChannel?: string;
  page?: string;
  durationSeconds?: number;
  pageViews?: number;
  orderId?: string;
  refundId?: string;
  lines?: OracleLine[];
  shippingCents?: number;
  amountCents?: number;
}

export interface OracleLifecycle {
  new: number;
  returning: number;
  resurrecting: number;
  dormant: number;
}

export interface OracleDailyRow {
  day: string;
  dau: number;
  wau: number;
  mau: number;
  newMembers: number;
  visitors: number;
  launches: number;
  sessions: number;
  sessionSeconds: number;
  pageViews: number;
  orders: number;
  revenueCents: number;
  payingMembers: number;
  lateActivity: number;
  lifecycle: OracleLifecycle;
}

export interface OracleCohort {
  cohort: string;
  size: number;
  onDay: number[]; // 31 entries, N = 0..30
  onOrAfterDay: number[]; // 31 entries, N = 0..30
}

export interface OracleChannelRetention {
  channel: string;
  size: number;
  d1: number;
  d7: number;
  d30: number;
}

export type SessionBucket = '1-2' | '3-5' | '6-9' | '10-29' | '30-50' | '51+';
export const SESSION_BUCKETS: readonly SessionBucket[] = ['1-2', '3-5', '6-9', '10-29', '30-50', '51+'];

export interface OracleSessionsRow {
  day: string;
  buckets: Record<SessionBucket, number>;
}

export interface OracleMember {
  joinedOn: string;
  lastActiveOn: string;
  activeDays: number;
  acquisitionChannel: string | null;
}

export interface ActivityOracle {
  timeZone: string;
  daily(from: string, to: string): OracleDailyRow[];
  retention(from: string, to: string): OracleCohort[];
  retentionByChannel(from: string, to: string): OracleChannelRetention[];
  sessions(from: string, to: string): OracleSessionsRow[];
  member(memberId: string): OracleMember | null;
  /** Sorted list of the member's counted active days ([] for an unknown member). */
  activeDaysOf(memberId: string): string[];
  /** Every known member id, in order of creation. */
  memberIds(): string[];
  /** Persons who purchased in [D−29, D], and the share of them that are members (4 decimals). */
  customers(asOf: string): { customers: number; memberShareOfCustomers: number };
}

// ---------------------------------------------------------------------------------------------
// Day helpers

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The calendar date 'YYYY-MM-DD' of an instant in an IANA zone, via Intl. */
export function dayInZone(occurredAt: string, timeZone: string): string {
  const instant = new Date(occurredAt);
  if (Number.isNaN(instant.getTime())) throw new Error(`bad occurredAt: ${occurredAt}`);
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    formatters.set(timeZone, formatter);
  }
  const parts = formatter.formatToParts(instant);
  const get = (type: string): string => {
    const part = parts.find((p) => p.type === type);
    if (!part) throw new Error(`Intl gave no ${type}`);
    return part.value;
  };
  return `${get('year')}-${get('month')}-${get('day')}`;
}

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function dayToUtcMs(day: string): number {
  if (!DAY_RE.test(day)) throw new Error(`bad day: ${day}`);
  const [y, m, d] = day.split('-').map(Number);
  const ms = Date.UTC(y, m - 1, d);
  if (new Date(ms).toISOString().slice(0, 10) !== day) throw new Error(`bad day: ${day}`);
  return ms;
}

/** D + n, calendar days. */
export function addDays(day: string, n: number): string {
  return new Date(dayToUtcMs(day) + n * 86_400_000).toISOString().slice(0, 10);
}

/** Every day of [from, to], inclusive. */
export function daysBetween(from: string, to: string): string[] {
  dayToUtcMs(from);
  dayToUtcMs(to);
  if (from > to) throw new Error(`from ${from} is after to ${to}`);
  const out: string[] = [];
  for (let d = from; d <= to; d = addDays(d, 1)) out.push(d);
  return out;
}

export function bucketOf(pageViews: number): SessionBucket | null {
  if (pageViews <= 0) return null;
  if (pageViews <= 2) return '1-2';
  if (pageViews <= 5) return '3-5';
  if (pageViews <= 9) return '6-9';
  if (pageViews <= 29) return '10-29';
  if (pageViews <= 50) return '30-50';
  return '51+';
}

// ---------------------------------------------------------------------------------------------
// The oracle

interface MemberState {
  /** A visitor: an anonymous id never identified (a person, not a member). */
  visitor: boolean;
  joinedOn: string;
  acquisitionChannel: string | null;
  activeDays: Set<string>;
  latestActiveDay: string | null;
  seenOrderIds: Set<string>;
}

/** Per-day event counters, counted for every non-duplicate event by its own day. */
interface DayCounters {
  launches: number;
  sessions: number;
  sessionSeconds: number;
  pageViews: number;
  orders: number;
  revenueCents: number;
  payingMembers: Set<string>;
  lateActivity: number;
  sessionBuckets: Record<SessionBucket, number>;
}

function emptyCounters(): DayCounters {
  return {
    launches: 0,
    sessions: 0,
    sessionSeconds: 0,
    pageViews: 0,
    orders: 0,
    revenueCents: 0,
    payingMembers: new Set(),
    lateActivity: 0,
    sessionBuckets: { '1-2': 0, '3-5': 0, '6-9': 0, '10-29': 0, '30-50': 0, '51+': 0 },
  };
}

/** How many days `earlier` is before `later` (later − earlier). */
function daysApart(earlier: string, later: string): number {
  return Math.round((dayToUtcMs(later) - dayToUtcMs(earlier)) / 86_400_000);
}

export const LATE_ACTIVITY_DAYS = 60;
export const RETENTION_DAYS = 30;

/** An operator merge: every event of `from` (and of the ids linked to it) is the person `into`'s. */
export interface OracleMerge {
  into: string;
  from: string;
}

export function buildActivityOracle(
  events: readonly OracleEvent[],
  timeZone = 'Asia/Shanghai',
  merges: readonly OracleMerge[] = [],
): ActivityOracle {
  const members = new Map<string, MemberState>();
  const seenEventIds = new Set<string>(); // key: memberId + '\u0000' + eventId
  const counters = new Map<string, DayCounters>();
  const countersFor = (day: string): DayCounters => {
    let c = counters.get(day);
    if (!c) {
      c = emptyCounters();
      counters.set(day, c);
    }
    return c;
  };

  // 0. The final identity graph: the first identify of an anonymous id (in arrival order) links it;
  // a later one to another member is quarantined. Every event then belongs to its person: its
  // memberId, else the member its anonymousId is linked to, else the anonymous id (a visitor).
  const links = new Map<string, string>();
  for (const e of events)
    if (e.type === 'identify' && e.anonymousId && e.memberId && !links.has(e.anonymousId)) links.set(e.anonymousId, e.memberId);
  // Operator merges join members (chains followed to the member that stays).
  const mergedInto = new Map(merges.map((m) => [m.from, m.into]));
  const finalMember = (memberId: string): string => {
    let id = memberId;
    for (let hops = 0; mergedInto.has(id) && hops < 64; hops++) id = mergedInto.get(id)!;
    return id;
  };
  const personOf = (e: OracleEvent): string => {
    const member = e.memberId ?? links.get(e.anonymousId!);
    return member !== undefined ? finalMember(member) : `anon\u0000${e.anonymousId}`;
  };
  // A person joined on its first day in time order: the earliest of its ids' first arriving events'
  // days and of its counted active days (an earlier-dated event that arrives later, not late by the
  // 60-day rule, moves it back).
  const seenIds = new Set<string>();
  const idFirstDay: Record<string, string> = {};
  const idChannel = new Map<string, string>();
  /** Per person, its ids with a channel, in the order their signups arrived. */
  const channelsOf = new Map<string, string[]>();

  for (const e of events) {
    const person = personOf(e);
    // 1. Idempotency: a repeat of (person, eventId) has no effect at all.
    const key = `${person}\u0000${e.eventId}`;
    if (seenEventIds.has(key)) continue;
    seenEventIds.add(key);

    const day = dayInZone(e.occurredAt, timeZone);

    // 2. Refunds: never activity, never a metric here (revenue is not reduced by refunds).
    if (e.type === 'refund') continue;

    // 3. Person creation by the first arriving (non-refund) event of any of its ids.
    const ownId = e.memberId ?? `anon\u0000${e.anonymousId}`;
    const firstOfId = !seenIds.has(ownId);
    seenIds.add(ownId);
    let m = members.get(person);
    if (m && firstOfId && day < m.joinedOn) m.joinedOn = day;
    if (!m) {
      m = {
        visitor: person.startsWith('anon\u0000'),
        joinedOn: day,
        acquisitionChannel: null,
        activeDays: new Set(),
        latestActiveDay: null,
        seenOrderIds: new Set(),
      };
      members.set(person, m);
    }
    // Each id's first day, and the channel of its first signup (an id's later signups change nothing).
    if (!(ownId in idFirstDay) || day < idFirstDay[ownId]) idFirstDay[ownId] = day;
    if (e.type === 'signup' && e.acquisitionChannel !== undefined && !idChannel.has(ownId)) {
      idChannel.set(ownId, e.acquisitionChannel);
      const list = channelsOf.get(person);
      if (list) list.push(ownId);
      else channelsOf.set(person, [ownId]);
    }

    // 4. Activity, unless late (more than 60 days before the latest active day at arrival).
    const c = countersFor(day);
    const late = m.latestActiveDay !== null && daysApart(day, m.latestActiveDay) > LATE_ACTIVITY_DAYS;
    if (late) {
      c.lateActivity += 1;
    } else {
      m.activeDays.add(day);
      if (m.latestActiveDay === null || day > m.latestActiveDay) m.latestActiveDay = day;
      if (day < m.joinedOn) m.joinedOn = day;
    }

    // 5. Event counters, by the event's own day, late or not.
    switch (e.type) {
      case 'app_open':
        c.launches += 1;
        break;
      case 'page_view':
        c.pageViews += 1;
        break;
      case 'session_end': {
        c.sessions += 1;
        c.sessionSeconds += e.durationSeconds ?? 0;
        const b = bucketOf(e.pageViews ?? 0);
        if (b) c.sessionBuckets[b] += 1;
        break;
      }
      case 'purchase': {
        const orderId = e.orderId ?? '';
        if (m.seenOrderIds.has(orderId)) break; // repeat order: activity only
        m.seenOrderIds.add(orderId);
        c.orders += 1;
        for (const line of e.lines ?? []) c.revenueCents += line.amountCents;
        c.payingMembers.add(person);
        break;
      }
      default:
        break; // signup, recharge: activity only
    }
  }

  // A person came through the channel of the id it joined under: of its ids with a signup channel,
  // the one seen first in time (docs/rules.md#identity); on the same day the member's own: its own
  // id, then an anonymous id identified to it (the member kept by a merge keeps the channel it had,
  // even one it took from its visitor), else the first to arrive.
  const ownRank = (id: string, person: string) =>
    id === person ? 0 : id.startsWith('anon\u0000') && links.get(id.slice('anon\u0000'.length)) === person ? 1 : 2;
  for (const [person, ids] of channelsOf) {
    const first = [...ids].sort((a, b) =>
      idFirstDay[a] < idFirstDay[b] ? -1 : idFirstDay[a] > idFirstDay[b] ? 1 : ownRank(a, person) - ownRank(b, person),
    )[0];
    members.get(person)!.acquisitionChannel = idChannel.get(first)!;
  }

  const isActive = (m: MemberState, day: string): boolean => m.activeDays.has(day);
  const activeInWindow = (m: MemberState, from: string, to: string): boolean => {
    for (const d of m.activeDays) if (d >= from && d <= to) return true;
    return false;
  };
  const activeOnOrAfter = (m: MemberState, day: string): boolean => {
    for (const d of m.activeDays) if (d >= day) return true;
    return false;
  };

  function daily(from: string, to: string): OracleDailyRow[] {
    return daysBetween(from, to).map((day) => {
      const yesterday = addDays(day, -1);
      let dau = 0;
      let wau = 0;
      let mau = 0;
      let newMembers = 0;
      let visitors = 0;
      const lifecycle: OracleLifecycle = { new: 0, returning: 0, resurrecting: 0, dormant: 0 };
      for (const m of members.values()) {
        const today = isActive(m, day);
        const before = isActive(m, yesterday);
        const joinedToday = m.joinedOn === day;
        if (today) dau += 1;
        if (today && m.visitor) visitors += 1;
        if (activeInWindow(m, addDays(day, -6), day)) wau += 1;
        if (activeInWindow(m, addDays(day, -29), day)) mau += 1;
        if (joinedToday && !m.visitor) newMembers += 1;
        if (today && joinedToday) lifecycle.new += 1;
        else if (today && before) lifecycle.returning += 1;
        else if (today && !before) lifecycle.resurrecting += 1;
        if (before && !today) lifecycle.dormant += 1;
      }
      const c = counters.get(day) ?? emptyCounters();
      return {
        day,
        dau,
        wau,
        mau,
        newMembers,
        visitors,
        launches: c.launches,
        sessions: c.sessions,
        sessionSeconds: c.sessionSeconds,
        pageViews: c.pageViews,
        orders: c.orders,
        revenueCents: c.revenueCents,
        payingMembers: c.payingMembers.size,
        lateActivity: c.lateActivity,
        lifecycle,
      };
    });
  }

  function retention(from: string, to: string): OracleCohort[] {
    return daysBetween(from, to).map((cohort) => {
      const cohortMembers = [...members.values()].filter((m) => !m.visitor && m.joinedOn === cohort);
      const onDay: number[] = [];
      const onOrAfterDay: number[] = [];
      for (let n = 0; n <= RETENTION_DAYS; n++) {
        const target = addDays(cohort, n);
        onDay.push(cohortMembers.filter((m) => isActive(m, target)).length);
        onOrAfterDay.push(cohortMembers.filter((m) => activeOnOrAfter(m, target)).length);
      }
      return { cohort, size: cohortMembers.length, onDay, onOrAfterDay };
    });
  }

  function retentionByChannel(from: string, to: string): OracleChannelRetention[] {
    daysBetween(from, to); // validates
    const byChannel = new Map<string, OracleChannelRetention>();
    for (const m of members.values()) {
      if (m.visitor || m.joinedOn < from || m.joinedOn > to) continue;
      const channel = m.acquisitionChannel ?? 'unknown';
      let row = byChannel.get(channel);
      if (!row) {
        row = { channel, size: 0, d1: 0, d7: 0, d30: 0 };
        byChannel.set(channel, row);
      }
      row.size += 1;
      if (isActive(m, addDays(m.joinedOn, 1))) row.d1 += 1;
      if (isActive(m, addDays(m.joinedOn, 7))) row.d7 += 1;
      if (isActive(m, addDays(m.joinedOn, 30))) row.d30 += 1;
    }
    return [...byChannel.values()].sort((a, b) => (a.channel < b.channel ? -1 : a.channel > b.channel ? 1 : 0));
  }

  function sessions(from: string, to: string): OracleSessionsRow[] {
    return daysBetween(from, to).map((day) => {
      const c = counters.get(day) ?? emptyCounters();
      return { day, buckets: { ...c.sessionBuckets } };
    });
  }

  function member(memberId: string): OracleMember | null {
    const m = members.get(memberId);
    if (!m) return null;
    const days = [...m.activeDays].sort();
    return {
      joinedOn: m.joinedOn,
      lastActiveOn: days[days.length - 1],
      activeDays: days.length,
      acquisitionChannel: m.acquisitionChannel,
    };
  }

  function customers(asOf: string) {
    const persons = new Set<string>();
    for (const day of daysBetween(addDays(asOf, -29), asOf)) for (const p of counters.get(day)?.payingMembers ?? []) persons.add(p);
    const memberCount = [...persons].filter((p) => !members.get(p)!.visitor).length;
    return {
      customers: persons.size,
      memberShareOfCustomers: persons.size === 0 ? 0 : Math.round((memberCount / persons.size) * 10_000) / 10_000,
    };
  }

  return {
    timeZone,
    customers,
    daily,
    retention,
    retentionByChannel,
    sessions,
    member,
    activeDaysOf: (memberId) => [...(members.get(memberId)?.activeDays ?? [])].sort(),
    memberIds: () => [...members.keys()],
  };
}
