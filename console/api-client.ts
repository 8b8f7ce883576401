// The API client: one token per browser tab (sessionStorage), asked for when the API wants one,
// and the API's answers: the route handlers' own return types (functions/api/responses.ts), type-only.
import type { DailyResponse, MemberResponse, ProgramResponse, RetentionResponse, SegmentsResponse } from '../functions/api/responses';

export type Daily = DailyResponse;
export type Cohort = RetentionResponse['cohorts'][number];
export type ProgramView = ProgramResponse;
export type Segment = SegmentsResponse[number];
export type MemberView = MemberResponse;

export const TOKEN_KEY = 'memberflow.console.token';
/** The API's base path: where the page itself is served from (`/` locally and in AWS). */
export const API_BASE = location.pathname.replace(/\/[^/]*$/, '');

export class Unauthorized extends Error {
  constructor(readonly presentedToken: boolean) {
    super('unauthorized');
  }
}
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Further fields of the answer's error object (e.g. `mergedInto` of a `merged_into`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const method = init.method ?? 'GET';
  let res: Response;
  try {
    res = await fetch(`${API_BASE}${path}`, {
      method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      cache: 'no-store',
    });
  } catch (error) {
    throw new ApiError(0, 'network', `${method} ${path}: the API could not be reached (${(error as Error).message})`);
  }
  const body = (await res.json().catch(() => null)) as { error?: { code?: string; message?: string } & Record<string, unknown> } | null;
  // A missing or wrong token: 403 `unauthorized` locally, as API Gateway answers 403 to a missing
  // or wrong SigV4 signature (a 403 `forbidden` is a role refusing a route; 401 from older stacks).
  if (res.status === 401 || (res.status === 403 && body?.error?.code === 'unauthorized')) throw new Unauthorized(Boolean(token));
  if (!res.ok) {
    const err = body?.error;
    throw new ApiError(
      res.status,
      err?.code ?? 'http_error',
      `${method} ${path}: ${res.status} ${err?.code ?? ''} — ${err?.message ?? res.statusText}`,
      err ?? {},
    );
  }
  return body as T;
}

/** Runs `fn` over `items`, at most `n` at a time, keeping the order. */
export async function pool<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const enc = encodeURIComponent;
