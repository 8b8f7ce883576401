// `POST /members/{memberId}/merge` body `{ mergeId, fromMemberId }` (docs/api.md#operator-merge): the
// operator merges another member into this one. The api checks both members, stores the request
// (once per mergeId; a member is merged away at most once; never into a member merged away itself),
// audits it, and puts a `member_merge` command on the events stream under the member merged away:
// its owner marks it merged and forwards its state to this member's owner, which folds it in once
// (docs/architecture.md#operator-merge). A repeat of the request answers the same and puts the
// command again (the consumer applies it once).
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { memberMergeCommand } from '../../shared/identity/commands';
import type { MergeRequest } from '../../shared/identity/merge-request';
import { auditLog } from '../adapters/audit-store';
import { kinesisClient } from '../adapters/clients';
import { resourceNames } from '../adapters/config';
import { erasureAdapter } from '../adapters/erasure-store';
import { putJsonRecords } from '../adapters/events-producer';
import { mergeRequests } from '../adapters/merge-store';
import { HttpError, query, Reply } from './http';
import { erasedError, memberOrTombstone, mergedError } from './member-lookup';
import { actorOf, jsonObjectBody, memberIdParam, parse, SAFE_ID } from './privacy-routes';
import type { RouteContext } from './routes';

const logger = new Logger({ serviceName: 'memberflow' });

const MergeBody = z.strictObject({
  mergeId: z.string({ error: 'required, a string' }).regex(SAFE_ID, 'must be 1–128 chars of [A-Za-z0-9_.:@-]'),
  fromMemberId: z.string({ error: 'required, a string' }).regex(SAFE_ID, 'must be 1–128 chars of [A-Za-z0-9_.:@-]'),
});

const answer = (merge: MergeRequest) => ({ mergeId: merge.mergeId, memberId: merge.into, fromMemberId: merge.from, status: 'accepted' });

/** A member that may take part: known, not erased, not merged away (`field` names it in the error). */
async function requireMember(ctx: RouteContext, memberId: string, field: 'memberId' | 'fromMemberId'): Promise<void> {
  const erasure = await erasureAdapter();
  const { state, erased, mergedInto } = await memberOrTombstone(ctx.stores.members, memberId, erasure.hash(memberId));
  if (erased) throw erasedError(field);
  if (mergedInto) {
    if (field === 'memberId') throw mergedError(memberId, mergedInto);
    throw new HttpError(409, 'already_merged', `fromMemberId: ${memberId} was already merged into ${mergedInto}`, { mergedInto });
  }
  if (!state) throw new HttpError(404, 'member_not_found', `${field}: no member ${memberId}`);
}

/** The stored request of this mergeId, as long as it is this very merge (else 409). */
function sameMerge(known: MergeRequest | null, into: string, from: string): MergeRequest | null {
  if (known && (known.into !== into || known.from !== from))
    throw new HttpError(409, 'idempotency_mismatch', `mergeId: ${known.mergeId} was used for another merge`);
  return known;
}

export async function postMerge(ctx: RouteContext, event: APIGatewayProxyEventV2, rawMemberId: string) {
  const into = memberIdParam(rawMemberId);
  query(event, {});
  const { mergeId, fromMemberId: from } = parse(
    MergeBody,
    jsonObjectBody(event, '{ "mergeId": string, "fromMemberId": string }'),
    'mergeId, fromMemberId',
  );
  if (from === into)
    throw new HttpError(400, 'invalid_parameter', `fromMemberId: must be another member than ${into}: a member is not merged into itself`);
  const store = mergeRequests();
  let merge = sameMerge(await store.byMergeId(mergeId), into, from);
  if (!merge) {
    await requireMember(ctx, into, 'memberId');
    await requireMember(ctx, from, 'fromMemberId');
    const actor = actorOf(event);
    const request: MergeRequest = { mergeId, into, from, requestedAt: new Date(ctx.now()).toISOString(), requestedBy: actor };
    if ((await store.accept(request)) === 'lost') {
      // Another request won a race: this same merge (a concurrent repeat), or one that makes this one impossible.
      merge = sameMerge(await store.byMergeId(mergeId), into, from);
      if (!merge) {
        await requireMember(ctx, into, 'memberId');
        await requireMember(ctx, from, 'fromMemberId');
        throw new HttpError(409, 'busy', 'mergeId: the members changed while merging; retry with the same mergeId');
      }
    } else {
      merge = request;
      // Member ids only as salted hashes (docs/privacy.md#audit-log).
      const erasure = await erasureAdapter();
      await auditLog().append({
        actor,
        action: 'member_merge_requested',
        target: `member#${erasure.hash(into)}`,
        details: { mergeId, memberHash: erasure.hash(into), fromMemberHash: erasure.hash(from) },
      });
    }
  }
  // Put (again, on a repeated request) the command; the consumer applies it once in stream order.
  const command = memberMergeCommand({ mergeId, into, from, occurredAt: merge.requestedAt });
  await putJsonRecords(kinesisClient(), resourceNames().eventsStream, [command]);
  logger.info('merge accepted', { audit: 'member_merge_requested', mergeId });
  return new Reply(202, answer(merge));
}
