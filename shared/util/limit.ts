/**
 * Runs `work` over `items` with at most `limit` in flight. On a failure no further item is
 * started, and the call rejects (with the first error) only once the items in flight have settled:
 * nothing keeps writing after the caller has given up — a retry (a bisected half starts at once)
 * must not race writes of the attempt it replaces.
 */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (!failure && next < items.length) {
        try {
          await work(items[next++]);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw (failure as { error: unknown }).error;
}
