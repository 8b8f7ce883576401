// HTTP plumbing for the api Lambda: JSON responses, contract-shaped errors, query validation.
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { z } from 'zod';
import { dayNumber, isDayString } from '../../shared/days/days';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Further fields of the error object (e.g. `mergedInto` of a `merged_into`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A route's answer with a status other than 200 (e.g. `202 Accepted`). */
export class Reply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    /** Extra response headers (e.g. `x-next-cursor`). */
    readonly headers: Record<string, string> = {},
  ) {}
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorResponse(error: HttpError): APIGatewayProxyStructuredResultV2 {
  return json(error.status, { error: { code: error.code, message: error.message, ...error.extra } });
}

export const dayParam = z.string().refine(isDayString, 'must be a calendar day YYYY-MM-DD').transform(dayNumber);

/** Parses the query string with `schema`; a bad parameter is a 400 that names it. */
export function query<T extends z.ZodRawShape>(event: APIGatewayProxyEventV2, shape: T): z.infer<z.ZodObject<T>> {
  const params = event.queryStringParameters ?? {};
  const known = new Set(Object.keys(shape));
  for (const name of Object.keys(params)) {
    if (!known.has(name))
      throw new HttpError(400, 'unknown_parameter', `${name}: unknown query parameter (expected ${[...known].join(', ') || 'none'})`);
  }
  const result = z.object(shape).safeParse(params);
  if (!result.success) {
    const issue = result.error.issues[0];
    const name = String(issue.path[0] ?? 'query');
    throw new HttpError(400, 'invalid_parameter', `${name}: ${issue.message}`);
  }
  return result.data;
}

/** A day range: from ≤ to, at most `maxDays` days. */
export function dayRange(event: APIGatewayProxyEventV2, maxDays = 366): { from: number; to: number } {
  const { from, to } = query(event, { from: dayParam, to: dayParam });
  if (from > to) throw new HttpError(400, 'invalid_parameter', 'to: must not be before from');
  if (to - from + 1 > maxDays) throw new HttpError(400, 'invalid_parameter', `to: the range may span at most ${maxDays} days`);
  return { from, to };
}
