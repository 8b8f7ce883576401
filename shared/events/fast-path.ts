// A hand-written check of the behaviour events (app_open, page_view, session_end, signup,
// purchase, refund, recharge: all but identify), in front of the zod schemas of events.ts, which
// cost most of the handler's CPU (#16 item 4). It accepts a subset of what the schemas accept and returns what
// they return (same fields, same order, unknown fields stripped), plus occurredAt's epoch ms;
// anything else — another type, an unexpected field, any value in doubt — returns undefined and the
// schemas decide, with their error message. test/unit/event-fast-path.test.ts holds it to that.
import { parseOccurredAt } from './occurred-at';

/** What the schemas allow (events.ts); kept here in the form a direct check needs. */
const MIN_OCCURRED_MS = Date.parse('2000-01-01T00:00:00Z');
const MAX_DEPTH = 16;
const ID_CHARS = /^[A-Za-z0-9_.:@-]+$/;
const RESERVED = ['tier_review:', 'status_check:', 'rfm_update:', 'coins_day:', 'erase_member:', 'member_merge:'];
const CHANNELS: ReadonlySet<unknown> = new Set(['store', 'app', 'mini_program', 'third_party']);
const COMMON = ['eventId', 'memberId', 'anonymousId', 'occurredAt', 'channel', 'attributes', 'type'];
/** The fields of each fast type, in the schema's order (the output's). */
const FIELDS: Record<string, readonly string[]> = {
  app_open: COMMON,
  page_view: [...COMMON, 'page'],
  session_end: [...COMMON, 'durationSeconds', 'pageViews'],
  signup: [...COMMON, 'acquisitionChannel'],
  // (The order types redeclare `channel`, required: it keeps its place among the common fields.)
  purchase: [...COMMON, 'orderId', 'lines', 'shippingCents'],
  refund: [...COMMON, 'orderId', 'refundId', 'lines'],
  recharge: [...COMMON, 'amountCents'],
};
const MAX_CENTS = 10_000_000_000;
const MAX_LINES = 500;
const PURCHASE_LINE: ReadonlySet<string> = new Set(['sku', 'category', 'amountCents']);
const REFUND_LINE: ReadonlySet<string> = new Set(['sku', 'amountCents']);
const ALLOWED: Record<string, ReadonlySet<string>> = Object.fromEntries(Object.entries(FIELDS).map(([t, f]) => [t, new Set(f)]));

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

function okId(v: unknown): boolean {
  return typeof v === 'string' && v.length >= 1 && v.length <= 128 && ID_CHARS.test(v);
}

function okEventId(v: unknown): boolean {
  if (typeof v !== 'string' || v.length < 1 || v.length > 128) return false;
  return !v.includes(':') || !RESERVED.some((prefix) => v.startsWith(prefix));
}

/** Plain objects and arrays of primitives, at most MAX_DEPTH deep; anything unusual → undefined. */
function okAttributes(v: unknown): boolean {
  if (!isPlainObject(v) || Object.hasOwn(v, '__proto__')) return false;
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [x, depth] = stack.pop()!;
    if (x === null || typeof x !== 'object') continue;
    if (depth > MAX_DEPTH) return false;
    for (const child of Object.values(x)) stack.push([child, depth + 1]);
  }
  return true;
}

const okCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 10_000_000;
const okCents = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_CENTS;
const okText = (v: unknown, max: number) => typeof v === 'string' && v.length >= 1 && v.length <= max;

/** An order's (or a refund's) lines as the schema returns them (copies, fields in its order), or undefined. */
function okLines(v: unknown, purchase: boolean): Record<string, unknown>[] | undefined {
  if (!Array.isArray(v) || v.length < 1 || v.length > MAX_LINES) return undefined;
  const allowed = purchase ? PURCHASE_LINE : REFUND_LINE;
  const out: Record<string, unknown>[] = [];
  let total = 0;
  for (const line of v) {
    if (!isPlainObject(line)) return undefined;
    for (const key in line) if (!allowed.has(key)) return undefined;
    if (!okText(line.sku, 128) || !okCents(line.amountCents)) return undefined;
    if (purchase && !okText(line.category, 64)) return undefined;
    total += line.amountCents as number;
    out.push(purchase ? { sku: line.sku, category: line.category, amountCents: line.amountCents } : { sku: line.sku, amountCents: line.amountCents });
  }
  return total <= MAX_CENTS ? out : undefined;
}

/** A behaviour event as the schemas return it (events.ts types it; no import, no cycle). */
export type FastEvent = { eventId: string; type: string; occurredAt: string } & Record<string, unknown>;

/** The event the schemas would return and its occurredAt in epoch ms, or undefined: ask the schemas. */
export function fastBehaviourEvent(value: unknown): { event: FastEvent; at: number } | undefined {
  if (!isPlainObject(value)) return undefined;
  const type = value.type;
  if (typeof type !== 'string') return undefined;
  const allowed = ALLOWED[type];
  if (!allowed) return undefined;
  for (const key in value) if (!allowed.has(key)) return undefined;
  if (!okEventId(value.eventId)) return undefined;
  if (value.memberId !== undefined && !okId(value.memberId)) return undefined;
  if (value.anonymousId !== undefined && !okId(value.anonymousId)) return undefined;
  if (value.memberId === undefined && value.anonymousId === undefined) return undefined;
  if (typeof value.occurredAt !== 'string') return undefined;
  const at = parseOccurredAt(value.occurredAt);
  if (!at.ok || at.ms < MIN_OCCURRED_MS) return undefined;
  if (value.channel !== undefined && !CHANNELS.has(value.channel)) return undefined;
  if (value.attributes !== undefined && !okAttributes(value.attributes)) return undefined;
  if (type === 'page_view' && value.page !== undefined && (typeof value.page !== 'string' || value.page.length > 512)) return undefined;
  if (type === 'session_end' && (!okCount(value.durationSeconds) || !okCount(value.pageViews))) return undefined;
  if (type === 'signup') {
    const ac = value.acquisitionChannel;
    if (ac !== undefined && (typeof ac !== 'string' || ac.length < 1 || ac.length > 64)) return undefined;
  }
  let lines: Record<string, unknown>[] | undefined;
  if (type === 'purchase' || type === 'refund' || type === 'recharge') {
    if (value.channel === undefined) return undefined;
    if (type === 'recharge') {
      const amount = value.amountCents;
      if (!okCents(amount) || (amount as number) <= 0) return undefined;
    } else {
      if (!okText(value.orderId, 128)) return undefined;
      if (type === 'refund' && value.refundId !== undefined && !okText(value.refundId, 128)) return undefined;
      if (type === 'purchase' && value.shippingCents !== undefined && !okCents(value.shippingCents)) return undefined;
      lines = okLines(value.lines, type === 'purchase');
      if (!lines) return undefined;
    }
  }
  const out: Record<string, unknown> = {};
  for (const key of FIELDS[type]) {
    const v = value[key];
    if (v === undefined) {
      // `shippingCents` defaults to 0 in the schema.
      if (key === 'shippingCents') out[key] = 0;
      continue;
    }
    // The schema's record copies the attributes into a new object, key by key; the lines are new objects.
    out[key] = key === 'attributes' ? { ...(v as Record<string, unknown>) } : key === 'lines' ? lines : v;
  }
  return { event: out as FastEvent, at: at.ms };
}
