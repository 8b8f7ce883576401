// Privacy routes (docs/api.md#privacy-erasure-and-subject-access): erasure, subject access and the audit log. Every operator action
// here appends to the audit chain; member ids appear there only as salted hashes.
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { MS_PER_DAY, todayIn, zoneOffsetMs } from '../../shared/days/days';
import { personLedgerKeys } from '../../shared/identity/person-ledger';
import { subjectAccessDocument, type LedgerRecord } from '../../shared/privacy/subject-access';
import { auditLog, InvalidCursor } from '../adapters/audit-store';
import { kinesisClient } from '../adapters/clients';
import { resourceNames } from '../adapters/config';
import { erasureAdapter } from '../adapters/erasure-store';
import { putJsonRecords } from '../adapters/events-producer';
import { dayParam, HttpError, query, Reply } from './http';
import { erasedError, memberOrTombstone, mergedError } from './member-lookup';
import type { RouteContext } from './routes';

const logger = new Logger({ serviceName: 'memberflow' });

const MEMBER_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
export const SAFE_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** Who called: the IAM principal in AWS, the token's name locally. */
export function actorOf(event: APIGatewayProxyEventV2): string {
  const iam = (event.requestContext as { authorizer?: { iam?: { userArn?: string | null } } } | undefined)?.authorizer?.iam;
  return iam?.userArn ?? 'unknown';
}

export function memberIdParam(memberId: string): string {
  if (!MEMBER_ID.test(memberId)) throw new HttpError(400, 'invalid_parameter', 'memberId: must be 1–128 chars of [A-Za-z0-9_.:@-]');
  return memberId;
}

/** The request body as a JSON object; anything else is a 400 naming `body`. */
export function jsonObjectBody(event: APIGatewayProxyEventV2, shape: string): Record<string, unknown> {
  if (event.body === undefined || event.body === null || event.body === '')
    throw new HttpError(400, 'invalid_body', `body: required, a JSON object ${shape}`);
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'invalid_body', 'body: not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new HttpError(400, 'invalid_body', `body: must be a JSON object ${shape}`);
  return value as Record<string, unknown>;
}

const ErasureRequest = z.strictObject({
  erasureId: z.string({ error: 'required, a string' }).regex(SAFE_ID, 'must be 1–128 chars of [A-Za-z0-9_.:@-]'),
  reason: z.string({ error: 'required, a string' }).trim().min(1, 'must not be empty').max(500, 'at most 500 characters'),
});

export function parse<T>(schema: z.ZodType<T>, body: Record<string, unknown>, expected: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys')
    throw new HttpError(400, 'invalid_parameter', `${issue.keys[0]}: unknown field (expected ${expected})`);
  throw new HttpError(400, 'invalid_parameter', `${String(issue.path[0] ?? 'body')}: ${issue.message}`);
}

/** `POST /members/{memberId}/erasure` body `{ erasureId, reason }` → 202. Idempotent on erasureId. */
export async function postErasure(ctx: RouteContext, event: APIGatewayProxyEventV2, rawMemberId: string) {
  const memberId = memberIdParam(rawMemberId);
  query(event, {});
  const { erasureId, reason } = parse(
    ErasureRequest,
    jsonObjectBody(event, '{ "erasureId": string, "reason": string }'),
    'erasureId, reason',
  );
  const erasure = await erasureAdapter();
  const memberHash = erasure.hash(memberId);
  const actor = actorOf(event);
  const now = new Date(ctx.now()).toISOString();

  const existing = await erasure.getTombstone(memberHash);
  if (existing && existing.erasureId !== erasureId) throw erasedError();
  if (!existing) {
    const { state, mergedInto } = await memberOrTombstone(ctx.stores.members, memberId, memberHash);
    // A member merged away is erased with the member it was merged into (one of its identities).
    if (mergedInto) throw mergedError(memberId, mergedInto);
    if (!state) throw new HttpError(404, 'member_not_found', `memberId: no member ${memberId}`);
    // The ids linked to the member (docs/rules.md#identity) first: a retried request whose member
    // tombstone exists finds them done; their events are then refused like the member's.
    for (const key of state.identities) await erasure.putTombstone(erasure.hash(key), erasureId, actor, now);
    const stored = await erasure.putTombstone(memberHash, erasureId, actor, now);
    if (stored.erasureId !== erasureId) throw erasedError(); // another erasure won the race
    // The reason is operator text: the member id never goes into the audit log, even there.
    const redacted = reason.split(memberId).join('[member]');
    await auditLog().append({
      actor,
      action: 'member_erasure_requested',
      target: `member:${memberHash}`,
      details: { erasureId, memberHash, reason: redacted },
    });
  }
  // Put (again, on a retried request) the command; the consumer applies it once in stream order.
  const command = { type: 'erase_member', eventId: `erase_member:${erasureId}`, memberId, erasureId, occurredAt: now };
  await putJsonRecords(kinesisClient(), resourceNames().eventsStream, [command]);
  logger.info('erasure accepted', { audit: 'member_erasure_requested', erasureId });
  return new Reply(202, { erasureId, status: 'accepted', memberHash });
}

/** `GET /members/{memberId}/data` → everything stored about the member (subject access). */
export async function getSubjectAccess(ctx: RouteContext, event: APIGatewayProxyEventV2, rawMemberId: string) {
  const memberId = memberIdParam(rawMemberId);
  query(event, {});
  const erasure = await erasureAdapter();
  const memberHash = erasure.hash(memberId);
  const { state, erased, mergedInto } = await memberOrTombstone(ctx.stores.members, memberId, memberHash);
  if (erased) throw erasedError();
  if (mergedInto) throw mergedError(memberId, mergedInto);
  if (!state) throw new HttpError(404, 'member_not_found', `memberId: no member ${memberId}`);
  // Its own items and those of every id folded into it (a merged member's, an anonymous id's orders).
  const ledger: LedgerRecord[] = await ctx.stores.ledger.itemsOf(personLedgerKeys(state));
  const generatedAt = new Date(ctx.now()).toISOString();
  const document = subjectAccessDocument(ctx.program, state, ledger, todayIn(ctx.program.timezone, ctx.now()), generatedAt);
  await auditLog().append({
    actor: actorOf(event),
    action: 'subject_access',
    target: `member:${memberHash}`,
    details: { memberHash, orders: document.orders.length, tierChanges: document.tierHistory.length, ledgerRecords: ledger.length },
  });
  return document;
}

/** The first instant of a programme day (its local midnight) as epoch ms. */
function dayStartMs(day: number, timeZone: string): number {
  let ms = day * MS_PER_DAY - zoneOffsetMs(timeZone, day * MS_PER_DAY);
  ms = day * MS_PER_DAY - zoneOffsetMs(timeZone, ms);
  return ms;
}

/** `GET /audit?from=DAY&to=DAY&limit=&cursor=` → `{ entries, nextCursor }`, oldest first. */
export async function getAudit(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  const { from, to, limit, cursor } = query(event, {
    from: dayParam.optional(),
    to: dayParam.optional(),
    limit: z.coerce.number().int('must be an integer').min(1, 'must be ≥ 1').max(1000, 'must be ≤ 1000').optional(),
    cursor: z.string().min(1).max(2048).optional(),
  });
  if (from !== undefined && to !== undefined && from > to) throw new HttpError(400, 'invalid_parameter', 'to: must not be before from');
  const tz = ctx.program.timezone;
  try {
    const page = await auditLog().list({
      fromAt: from === undefined ? undefined : new Date(dayStartMs(from, tz)).toISOString(),
      toAt: to === undefined ? undefined : new Date(dayStartMs(to + 1, tz) - 1).toISOString(),
      limit: limit ?? 100,
      cursor,
    });
    return { entries: page.entries, nextCursor: page.nextCursor ?? null };
  } catch (error) {
    if (error instanceof InvalidCursor) throw new HttpError(400, 'invalid_parameter', error.message);
    throw error;
  }
}
