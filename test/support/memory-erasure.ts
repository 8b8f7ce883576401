// Erasure over the in-memory pipeline (test/unit/privacy): the api's half (the tombstone) and the
// sweep, over the pipeline's memory stores, and a look into every store for a member id.
import type { ErasurePort } from '../../shared/privacy/erasure';
import { idHasher } from '../../shared/privacy/salted-hash';
import type { MemoryPipeline } from './memory-pipeline';
import { BATCH_PROGRESS_KEY } from '../../shared/keys/metrics-keys';
import { entryNamesMember } from '../../shared/coins/settle';

export const hash = idHasher('unit-test-salt-0123456789abcdef');

/** The api's half (the tombstone) and the sweep, over the pipeline's memory stores. */
export function memoryErasure(p: MemoryPipeline) {
  const tombstones = new Set<string>();
  const port: ErasurePort = {
    hash,
    tombstones: async (hashes) => new Set(hashes.filter((h) => tombstones.has(h))),
    deleteMember: async (memberId, version) => {
      if ((p.members.items.get(memberId)?.version ?? -1) !== version) return false;
      p.members.items.delete(memberId);
      return true;
    },
    sweep: async (memberId, segmentIds) => {
      for (const key of p.ledger.orders.keys()) if (key.startsWith(`${memberId}|`)) p.ledger.orders.delete(key); // deleting the visited key during Map iteration is well-defined
      p.ledger.tiers.delete(memberId);
      for (const id of segmentIds) p.segments.members.get(id)?.delete(memberId);
      for (const lists of p.hints.items.values())
        for (const [source, item] of lists) {
          const without = (list: string[]) => list.filter((x) => x !== memberId);
          lists.set(source, { ids: without(item.ids), ...(item.la ? { la: without(item.la) } : {}) });
        }
      for (const [key, q] of p.quarantine.items) if (q.memberId === memberId || q.raw.includes(memberId)) p.quarantine.items.delete(key);
      // The batch progress records that list it (a member id, or a till settle entry naming it), as
      // functions/adapters/erasure-store.ts rewrites them.
      for (const item of p.metrics.items.get(BATCH_PROGRESS_KEY)?.values() ?? []) {
        const left = item.hx?.filter((entry) => !entryNamesMember(entry, memberId));
        if (left?.length) item.hx = left;
        else delete item.hx;
      }
    },
  };
  return { port, tombstone: (memberId: string) => tombstones.add(hash(memberId)) };
}

const replacer = (_k: string, v: unknown) => (v instanceof Map ? [...v] : v instanceof Set ? [...v] : v);

/**
 * Every store the pipeline holds, as text, for "is the id anywhere?" checks (actions already sent
 * are the outbound stream's, not a store) — the counter items too, whose batch progress records
 * (`bp`) list member ids.
 */
export function everything(p: MemoryPipeline): string {
  return JSON.stringify(
    [p.members.items, p.ledger.orders, p.ledger.tiers, p.segments.members, p.hints.items, p.quarantine.items, p.metrics.items],
    replacer,
  );
}
