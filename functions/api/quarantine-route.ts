// GET /quarantine (docs/api.md#quarantine): newest first, paged by count and by size. A page stops
// at `limit` entries or at PAGE_BYTES, whichever comes first, so it always fits Lambda's 6 MB
// response (a raw record of 2 KiB can take ~14 KiB once escaped twice: in the body and again in the
// Lambda response that carries the body as a string). `x-next-cursor` continues from the last entry.
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { z } from 'zod';
import { isDayString } from '../../shared/days/days';
import type { QuarantinePosition } from '../adapters/quarantine-store';
import { HttpError, query, Reply } from './http';
import type { RouteContext } from './routes';

/** What a page may add to the Lambda response: 5 MiB of the 6 MB limit (headers and envelope keep the rest). */
export const PAGE_BYTES = 5 * 1024 * 1024;
export const NEXT_CURSOR_HEADER = 'x-next-cursor';

export interface QuarantineEntryView {
  receivedAt: string;
  reason: string;
  detail: string;
  eventId: string | null;
  memberId: string | null;
  raw: string;
}

/** The body of `GET /quarantine`. */
export type QuarantineResponse = QuarantineEntryView[];

function encodeCursor(position: QuarantinePosition): string {
  return Buffer.from(JSON.stringify([position.day, position.sk])).toString('base64url');
}

function decodeCursor(cursor: string): QuarantinePosition {
  try {
    const [day, sk] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof day === 'string' && isDayString(day) && typeof sk === 'string' && sk.length <= 256) return { day, sk };
  } catch {
    // falls through to the 400
  }
  throw new HttpError(400, 'invalid_parameter', 'cursor: not a cursor this API returned');
}

/** The bytes an entry adds to the Lambda response: JSON in the body, the body a JSON string in the response. */
export function responseBytes(entry: QuarantineEntryView): number {
  return Buffer.byteLength(JSON.stringify(JSON.stringify(entry))) - 2 + 1; // without the outer quotes, with a comma
}

export async function getQuarantine(ctx: RouteContext, event: APIGatewayProxyEventV2): Promise<Reply> {
  const { limit = 100, cursor } = query(event, {
    limit: z.coerce.number().int('must be an integer').min(1, 'must be ≥ 1').max(1000, 'must be ≤ 1000').optional(),
    cursor: z.string().max(1024, 'must be at most 1024 characters').optional(),
  });
  const entries: QuarantineResponse = [];
  let bytes = 2;
  let last: QuarantinePosition | undefined;
  let more = false;
  for await (const { entry, position } of ctx.stores.quarantine.newestFrom(ctx.now(), cursor ? decodeCursor(cursor) : undefined)) {
    const view: QuarantineEntryView = {
      receivedAt: entry.receivedAt,
      reason: entry.reason,
      detail: entry.detail,
      eventId: entry.eventId ?? null,
      memberId: entry.memberId ?? null,
      raw: entry.raw,
    };
    const size = responseBytes(view);
    if (entries.length >= limit || (entries.length > 0 && bytes + size > PAGE_BYTES)) {
      more = true;
      break;
    }
    entries.push(view);
    bytes += size;
    last = position;
  }
  return new Reply(200, entries, more && last ? { [NEXT_CURSOR_HEADER]: encodeCursor(last) } : {});
}
