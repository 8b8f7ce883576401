// Behaviour events (docs/events.md): the zod schemas and the record decoder.
// A decoded record is either a valid event or a quarantine verdict with a machine-readable reason.
import { z } from 'zod';
import { isDayString } from '../days/days';
import { RFM_CLASSES } from '../programme/vocabulary';
import { parseOccurredAt } from './occurred-at';
import { fastBehaviourEvent } from './fast-path';

/** Epoch ms of an occurredAt the schema accepted. */
export function occurredAtMs(value: string): number {
  const parsed = parseOccurredAt(value);
  if (!parsed.ok) throw new RangeError(`occurredAt: ${parsed.message}`);
  return parsed.ms;
}

export const MAX_RECORD_BYTES = 32 * 1024;
export const MAX_FUTURE_MS = 5 * 60 * 1000;
export const RAW_KEEP_BYTES = 2 * 1024;
/**
 * Sane bounds, so that no valid event can overflow the arithmetic downstream (sums of cents and
 * points stay far below 2^53) or fall outside the day arithmetic's years: ¥100,000,000 per amount
 * and per order; occurredAt from 2000-01-01 (UTC); attributes nested at most 16 levels.
 */
export const MAX_CENTS = 10_000_000_000;
export const MIN_OCCURRED_AT = '2000-01-01T00:00:00Z';
export const MAX_ATTRIBUTE_DEPTH = 16;
const MIN_OCCURRED_MS = Date.parse(MIN_OCCURRED_AT);

const memberId = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.:@-]+$/, 'must be 1–128 chars of [A-Za-z0-9_.:@-]');
const cents = z.number().int('must be an integer number of cents').min(0, 'must be ≥ 0').max(MAX_CENTS, `must be ≤ ${MAX_CENTS}`);
const count = z.number().int('must be an integer').min(0, 'must be ≥ 0').max(Number.MAX_SAFE_INTEGER);
const sessionCount = z.number().int('must be an integer').min(0, 'must be ≥ 0').max(10_000_000, 'must be ≤ 10000000');
const channel = z.enum(['store', 'app', 'mini_program', 'third_party']);
const id = z.string().min(1).max(128);

/** Nesting depth of a JSON value, without recursion (a 5,000-level value must not overflow the stack). */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) max = depth;
    if (max > MAX_ATTRIBUTE_DEPTH) return max;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}

const occurredAt = z.string({ error: 'must be an ISO-8601 timestamp with Z or an offset' }).superRefine((v, ctx) => {
  const parsed = parseOccurredAt(v);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  else if (parsed.ms < MIN_OCCURRED_MS) ctx.addIssue({ code: 'custom', message: `must be on or after ${MIN_OCCURRED_AT}` });
});

/**
 * The jobs' commands have deterministic eventIds `<command type>:<day>:<memberId>` (and the api's
 * erasures `erase_member:<erasureId>`): a producer may not use those prefixes, so no behaviour
 * event can take a command's id (docs/events.md#commands-from-the-daily-jobs).
 */
export const RESERVED_EVENT_ID_PREFIXES = ['tier_review:', 'status_check:', 'rfm_update:', 'coins_day:', 'erase_member:', 'member_merge:', 'coins_settle:'] as const;
const producerEventId = id.refine(
  (v) => !RESERVED_EVENT_ID_PREFIXES.some((prefix) => v.startsWith(prefix)),
  {
    error: (issue) =>
      `must not start with "${String(issue.input).slice(0, String(issue.input).indexOf(':') + 1)}": that prefix is reserved for memberflow's own commands`,
  },
);

const common = {
  eventId: producerEventId,
  /** Required unless `anonymousId` is given (docs/events.md#identity-fields). */
  memberId: memberId.optional(),
  anonymousId: memberId.optional(),
  occurredAt,
  channel: channel.optional(),
  attributes: z
    .record(z.string(), z.unknown())
    .refine((v) => jsonDepth(v) <= MAX_ATTRIBUTE_DEPTH, `must be nested at most ${MAX_ATTRIBUTE_DEPTH} levels deep`)
    .optional(),
};

/** The sum of an order's (or a refund's) line amounts stays within the per-amount bound too. */
const linesTotal = (lines: readonly { amountCents: number }[]) => lines.reduce((sum, line) => sum + line.amountCents, 0) <= MAX_CENTS;
const totalMessage = `amounts add up to more than ${MAX_CENTS}`;

const signup = z.object({ ...common, type: z.literal('signup'), acquisitionChannel: z.string().min(1).max(64).optional() });
const appOpen = z.object({ ...common, type: z.literal('app_open') });
const pageView = z.object({ ...common, type: z.literal('page_view'), page: z.string().max(512).optional() });
const sessionEnd = z.object({ ...common, type: z.literal('session_end'), durationSeconds: sessionCount, pageViews: sessionCount });
const purchase = z.object({
  ...common,
  type: z.literal('purchase'),
  channel,
  orderId: id,
  lines: z.array(z.object({ sku: id, category: z.string().min(1).max(64), amountCents: cents })).min(1).max(500).refine(linesTotal, totalMessage),
  shippingCents: cents.default(0),
});
const refund = z.object({
  ...common,
  type: z.literal('refund'),
  channel,
  orderId: id,
  refundId: id.optional(),
  lines: z.array(z.object({ sku: id, amountCents: cents })).min(1).max(500).refine(linesTotal, totalMessage),
});
const recharge = z.object({
  ...common,
  type: z.literal('recharge'),
  channel,
  amountCents: z.number().int('must be an integer number of cents').positive('must be > 0').max(MAX_CENTS, `must be ≤ ${MAX_CENTS}`),
});

/**
 * Commands the daily jobs put on the events stream, so that the events consumer stays the only
 * writer of member state (and of the counters derived from it). Not behaviour: no activity.
 */
const tierReview = z.object({
  eventId: id,
  memberId,
  occurredAt,
  type: z.literal('tier_review'),
  asOf: z.string().refine(isDayString, 'must be a day YYYY-MM-DD'),
  /** HMAC of the command by the daily jobs (shared/jobs/command-signature.ts); checked in the decode step. */
  sig: z.string().max(128).optional(),
});
const statusCheck = tierReview.extend({ type: z.literal('status_check') });
/** The daily coins job: book due lots, expiries and notices up to `asOf`. */
const coinsDay = tierReview.extend({ type: z.literal('coins_day') });
const rfmScore = z.number().int().min(1).max(5);
const rfmUpdate = tierReview.extend({
  type: z.literal('rfm_update'),
  rfm: z
    .object({
      recencyDays: count,
      frequency: count,
      monetaryCents: count,
      r: rfmScore,
      f: rfmScore,
      m: rfmScore,
      segment: z.enum(RFM_CLASSES),
    })
    .nullable(),
});
export const COMMAND_TYPES = ['tier_review', 'status_check', 'rfm_update', 'coins_day'] as const;
export const jobCommand = z.discriminatedUnion('type', [tierReview, statusCheck, rfmUpdate, coinsDay]);
export type JobCommand = z.infer<typeof jobCommand>;

/**
 * The erasure command (docs/api.md#privacy-erasure-and-subject-access): the api writes the member's tombstone, then puts this on the
 * stream (partition key = memberId) so the consumer, the single writer of member state, removes
 * the member in stream order. Without a tombstone it is refused (a producer cannot erase).
 */
export const eraseMemberCommand = z.object({
  eventId: id,
  memberId,
  occurredAt: common.occurredAt,
  type: z.literal('erase_member'),
  erasureId: id,
});
export type EraseMemberCommand = z.infer<typeof eraseMemberCommand>;

/**
 * A till operation to count (shared/coins/settle.ts): the api puts it (partition key = memberId)
 * after its member write; the consumer adds the operation's coin counts to the counters at this
 * record's position, once — the position is the one the operation's ledger record names. A forged
 * one counts nothing twice: an operation is counted only at the one position its record holds.
 */
export const coinsSettleCommand = z.object({
  eventId: z.string().min(1).max(160),
  memberId,
  occurredAt: common.occurredAt,
  type: z.literal('coins_settle'),
  /** `r#<redemptionId>`, `v#<redemptionId>` (its reversal) or `a#<adjustmentId>`. */
  op: z.string().regex(/^[rva]#/, 'must start with r#, v# or a#').max(140),
});
export type CoinsSettleCommand = z.infer<typeof coinsSettleCommand>;

/**
 * An operator merge (docs/architecture.md#operator-merge): the api stores the merge request
 * (`mergedfrom#<memberId>` in MembersTable, which only it may write), then puts this on the stream
 * with partition key = the member merged away (`memberId`); its owner applies it only when the
 * stored request matches (else `merge_not_requested`), marks itself merged into `into` and forwards
 * its state there as an `identity_absorb`, as an anonymous id's owner does on an identify.
 */
export const memberMergeCommand = z.object({
  eventId: id,
  memberId,
  occurredAt,
  type: z.literal('member_merge'),
  into: memberId,
  mergeId: id,
});
export type MemberMergeCommand = z.infer<typeof memberMergeCommand>;

/** `identify` links its anonymousId to its memberId (docs/events.md#identity-fields): both required. */
const identify = z.object({ ...common, type: z.literal('identify'), memberId, anonymousId: memberId });

/** At least one of memberId and anonymousId: the event's person (and its partition key). */
const someId = (event: { memberId?: string; anonymousId?: string }) => event.memberId !== undefined || event.anonymousId !== undefined;
const someIdRule = { message: 'required unless anonymousId is given', path: ['memberId'] };

/**
 * The identity commands the consumer puts on the stream itself (docs/architecture.md#identity), so
 * that each person keeps one writer. `identity_link` (partition key = the anonymous id) asks the
 * anonymous id's owner to link it to the member; `identity_absorb` (partition key = the member) asks
 * the member's owner to fold in the state of `from` (a visitor key or a merged member), which it
 * reads from the members table and takes only when `from` is marked as linked to it — so a forged
 * absorb changes nothing; `identity_forward` carries a later event of a linked id to the member.
 */
export const identityLink = z.object({
  eventId: id,
  memberId,
  anonymousId: memberId,
  occurredAt,
  type: z.literal('identity_link'),
  /** HMAC by the consumer that put it (shared/jobs/command-signature.ts); checked in the decode step. */
  sig: z.string().max(128).optional(),
});
export const identityAbsorb = z.object({
  eventId: id,
  memberId,
  occurredAt,
  type: z.literal('identity_absorb'),
  from: z.string().min(1).max(140),
});
export const IDENTITY_COMMAND_TYPES = ['identity_link', 'identity_absorb', 'identity_forward', 'member_merge'] as const;

export const behaviourEvent = z
  .discriminatedUnion('type', [signup, appOpen, pageView, sessionEnd, purchase, refund, recharge, identify])
  .refine(someId, someIdRule);
export type BehaviourEvent = z.infer<typeof behaviourEvent>;
export const identityForward = z.object({
  eventId: id,
  memberId,
  /** The linked anonymous id whose event this is: applied as an anonymous event (no points, no coins). */
  anonymousId: memberId.optional(),
  /** Or the member merged into this one whose event this is: applied in full, its orders on its own ledger key. */
  fromMemberId: memberId.optional(),
  occurredAt,
  type: z.literal('identity_forward'),
  event: behaviourEvent,
  /** HMAC by the consumer that put it (shared/jobs/command-signature.ts); checked in the decode step. */
  sig: z.string().max(128).optional(),
});
export const identityCommand = z.discriminatedUnion('type', [identityLink, identityAbsorb, identityForward, memberMergeCommand]);
export type IdentityCommand = z.infer<typeof identityCommand>;
export type IdentityForward = z.infer<typeof identityForward>;
/** The behaviour event types (the schema's own list). */
export const BEHAVIOUR_TYPES = ['signup', 'app_open', 'page_view', 'session_end', 'purchase', 'refund', 'recharge', 'identify'] as const;
export type EventType = BehaviourEvent['type'];
/** Anything the events consumer accepts from the stream. */
export type StreamEvent = BehaviourEvent | JobCommand | IdentityCommand;
export type PurchaseEvent = z.infer<typeof purchase>;
export type RefundEvent = z.infer<typeof refund>;
export type SessionEndEvent = z.infer<typeof sessionEnd>;

/** Machine-readable quarantine reasons. */
export type QuarantineReason =
  | 'not_utf8'
  | 'not_json'
  | 'too_large'
  | 'invalid_event'
  | 'future_occurred_at'
  | 'unknown_order'
  /** An event of an erased member: kept without its payload, never applied. */
  | 'erased_member'
  /** An erase_member command without the tombstone the api writes first. */
  | 'erasure_not_requested'
  /** A KPL aggregated record whose checksum or protobuf is broken (quarantined whole). */
  | 'corrupt_aggregate'
  /** A sub-record of an aggregate on a shard its member does not belong to, with nowhere to forward it. */
  | 'misrouted_record'
  /** An identify of an anonymous id already linked to another member (docs/events.md#identity-fields). */
  | 'identity_conflict'
  /** An identity_absorb whose source is not marked as linked to the member (never applied). */
  | 'identity_unverified'
  /** A job command without a valid signature of the daily jobs: only they may send commands. */
  | 'forged_command'
  /** A member_merge command without the matching merge request the api stores first. */
  | 'merge_not_requested';

export interface Quarantined {
  ok: false;
  reason: QuarantineReason;
  /** Human-readable detail naming the field, e.g. `lines[0].amountCents: must be ≥ 0`. */
  detail: string;
  eventId?: string;
  memberId?: string;
  raw: string;
}

export interface Decoded {
  ok: true;
  event: StreamEvent | EraseMemberCommand | CoinsSettleCommand;
  /** occurredAt as epoch milliseconds. */
  at: number;
  /** The record's original text (its first 2 KiB), for the quarantine should the reducer reject it. */
  raw: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function fieldPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || '(record)';
}

function rawPreview(bytes: Uint8Array): string {
  return rawHead(new TextDecoder('utf-8').decode(bytes.subarray(0, RAW_KEEP_BYTES)));
}

/** The text's first 2 KiB of UTF-8 (cut at a character boundary): what the quarantine keeps. */
export function rawHead(text: string): string {
  if (text.length * 3 <= RAW_KEEP_BYTES) return text;
  let bytes = 0;
  let end = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes > RAW_KEEP_BYTES) break;
    end += ch.length;
  }
  return text.slice(0, end);
}

function stringField(value: unknown, key: string): string | undefined {
  if (value && typeof value === 'object' && typeof (value as Record<string, unknown>)[key] === 'string') {
    return ((value as Record<string, unknown>)[key] as string).slice(0, 128);
  }
  return undefined;
}

/** Validates an already-parsed JSON value against the contract (no size or clock checks). */
export function parseEvent(
  value: unknown,
): { ok: true; event: StreamEvent | EraseMemberCommand | CoinsSettleCommand } | { ok: false; detail: string } {
  const type = (value as { type?: unknown } | null)?.type;
  const schema =
    type === 'erase_member'
      ? eraseMemberCommand
      : type === 'coins_settle'
        ? coinsSettleCommand
      : (COMMAND_TYPES as readonly unknown[]).includes(type)
        ? jobCommand
        : (IDENTITY_COMMAND_TYPES as readonly unknown[]).includes(type)
          ? identityCommand
          : behaviourEvent;
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, event: result.data };
  const issue = result.error.issues[0];
  return { ok: false, detail: `${fieldPath(issue.path)}: ${issue.message}` };
}

/**
 * Decodes one stream record's bytes into an event or a quarantine verdict. Never throws: whatever
 * the bytes, the record gets a verdict, so no input can fail its batch.
 */
export function decodeRecord(bytes: Uint8Array, nowMs: number): Decoded | Quarantined {
  try {
    return decodeChecked(bytes, nowMs);
  } catch (error) {
    return { ok: false, reason: 'invalid_event', detail: `(record): could not be decoded: ${(error as Error)?.message ?? String(error)}`.slice(0, 512), raw: rawPreview(bytes) };
  }
}

function decodeChecked(bytes: Uint8Array, nowMs: number): Decoded | Quarantined {
  if (bytes.byteLength > MAX_RECORD_BYTES) {
    return { ok: false, reason: 'too_large', detail: `record is ${bytes.byteLength} bytes; the limit is ${MAX_RECORD_BYTES}`, raw: rawPreview(bytes) };
  }
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return { ok: false, reason: 'not_utf8', detail: 'record is not valid UTF-8', raw: rawPreview(bytes) };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'not_json', detail: `record is not JSON: ${(error as Error).message}`, raw: rawHead(text) };
  }
  // The common events are checked by hand (fast-path.ts); the rest, and every rejection, by the schemas.
  const fast = fastBehaviourEvent(value);
  const parsed = fast ? { ok: true as const, event: fast.event as unknown as BehaviourEvent } : parseEvent(value);
  const eventId = stringField(value, 'eventId');
  const memberIdValue = stringField(value, 'memberId');
  if (!parsed.ok) {
    return { ok: false, reason: 'invalid_event', detail: parsed.detail, eventId, memberId: memberIdValue, raw: rawHead(text) };
  }
  const at = fast ? fast.at : occurredAtMs(parsed.event.occurredAt);
  if (at > nowMs + MAX_FUTURE_MS) {
    return {
      ok: false,
      reason: 'future_occurred_at',
      detail: `occurredAt: ${parsed.event.occurredAt} is more than 5 minutes in the future`,
      eventId,
      memberId: memberIdValue,
      raw: rawHead(text),
    };
  }
  return { ok: true, event: parsed.event, at, raw: rawHead(text) };
}
