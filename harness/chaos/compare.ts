// Comparing the API's answers with the oracles: differences counted and sampled, API reads, and a
// bounded-concurrency loop over members.
import { sleep } from '../../infra/local/engine/aws';
import type { LocalStack } from '../../infra/local/engine/stack';
import type { Difference } from './chaos-report';

export class Differ {
  readonly differences: Difference[] = [];
  figures = 0;

  /** Deep comparison; each differing leaf is one difference. */
  compare(what: string, expected: unknown, actual: unknown): void {
    if (expected !== null && typeof expected === 'object') {
      if (actual === null || typeof actual !== 'object' || Array.isArray(expected) !== Array.isArray(actual)) {
        this.figures++;
        this.differences.push({ what, expected, actual });
        return;
      }
      const keys = new Set([...Object.keys(expected as object), ...Object.keys(actual as object)]);
      for (const k of keys) {
        this.compare(
          Array.isArray(expected) ? `${what}[${k}]` : `${what}.${k}`,
          (expected as Record<string, unknown>)[k],
          (actual as Record<string, unknown>)[k],
        );
      }
      return;
    }
    this.figures++;
    if (!Object.is(expected, actual)) this.differences.push({ what, expected, actual });
  }
}

export async function api(stack: LocalStack, path: string): Promise<{ status: number; body: any }> {
  for (let attempt = 1; ; attempt++) {
    const res = await fetch(`${stack.apiUrl}${path}`, { headers: { authorization: `Bearer ${stack.token}` } });
    const body = await res.json().catch(() => null);
    if (res.status < 500 || attempt >= 3) return { status: res.status, body };
    await sleep(200);
  }
}

export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}
