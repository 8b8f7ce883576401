// Segment routes of the HTTP API (docs/api.md#segments-and-exports): the catalogue with sizes, and a segment's members
// page by page. Exports of a segment are in export-routes.ts.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { allSegments, segmentById, type Segment } from '../../shared/segments/segments';
import { TOTALS_KEY } from '../../shared/keys/metrics-keys';
import { segmentSizeCounter } from '../../shared/metrics/catalogue';
import { InvalidCursorError } from '../adapters/segment-store';
import { HttpError, query } from './http';
import { erasureSalt } from '../adapters/erasure-salt';
import { tokenSigner } from '../../shared/util/signed-token';
import type { RouteContext } from './routes';

/** The segment named by the path, or a 404. */
export function knownSegment(ctx: RouteContext, id: string): Segment {
  const segment = segmentById(ctx.program, id);
  if (!segment) throw new HttpError(404, 'segment_not_found', `id: no segment ${id}`);
  return segment;
}

/** `GET /segments` → `[{ id, name, size }]`, built-in segments first, then the programme's. */
export async function getSegments(ctx: RouteContext, event: APIGatewayProxyEventV2) {
  query(event, {});
  const totals = (await ctx.stores.metrics.sum([TOTALS_KEY])).get(TOTALS_KEY) ?? new Map<string, number>();
  return allSegments(ctx.program).map(({ id, name }) => ({ id, name, size: Math.max(0, totals.get(segmentSizeCounter(id)) ?? 0) }));
}

/** `GET /segments/{id}/members?limit=&cursor=` → `{ members: [memberId], nextCursor }`. */
export async function getSegmentMembers(ctx: RouteContext, event: APIGatewayProxyEventV2, id: string) {
  knownSegment(ctx, id);
  const { limit, cursor } = query(event, {
    limit: z.coerce.number().int('must be an integer').min(1, 'must be ≥ 1').max(1000, 'must be ≤ 1000').optional(),
    cursor: z.string().min(1, 'must not be empty').max(2048, 'is not a cursor this API returned').optional(),
  });
  // Cursors are signed and bound to their segment: one altered, forged or of another segment is refused.
  const signer = tokenSigner(await erasureSalt(), 'segment-members-cursor-v1');
  let position: string | undefined;
  if (cursor !== undefined) {
    const payload = signer.open(cursor);
    if (payload === null) throw new HttpError(400, 'invalid_parameter', 'cursor: not a cursor this API returned (or it was altered)');
    const at = payload.indexOf('\n');
    if (payload.slice(0, at) !== id) throw new HttpError(400, 'invalid_parameter', 'cursor: it belongs to another segment');
    position = payload.slice(at + 1);
  }
  try {
    const page = await ctx.stores.segments.list(id, limit ?? 100, position);
    return { members: page.members, nextCursor: page.nextCursor === null ? null : signer.sign(`${id}\n${page.nextCursor}`) };
  } catch (error) {
    if (error instanceof InvalidCursorError) throw new HttpError(400, 'invalid_parameter', 'cursor: not a cursor this API returned');
    throw error;
  }
}
