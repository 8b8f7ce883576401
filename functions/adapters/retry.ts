// Bounded retries with jittered exponential backoff for DynamoDB batch calls' unprocessed items.
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function untilDone<T>(initial: T[], attempt: (pending: T[]) => Promise<T[]>, what: string, maxAttempts = 8): Promise<void> {
  let pending = initial;
  for (let i = 0; pending.length > 0; i++) {
    if (i >= maxAttempts) throw new Error(`${what}: ${pending.length} items still unprocessed after ${maxAttempts} attempts`);
    if (i > 0) await sleep(Math.min(2000, 25 * 2 ** i) * (0.5 + Math.random() / 2));
    pending = await attempt(pending);
  }
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
