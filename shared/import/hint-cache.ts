// The daily jobs find their candidates in hint lists (`la#<day>`, `pu#<day>`); the RFM job alone
// reads one per day of its 365-day window, every day. During an import the import's own batches
// are the only writer, so a list read once stays right until one of those batches writes its key:
// the cache forgets a key when the batch code writes it, and reads it again when next asked.
import type { HintPort } from '../batch/ports';
import { lastActiveHintKey, purchaseHintKey } from '../keys/metrics-keys';

export interface HintReader {
  hintIds(key: string): Promise<string[]>;
}

export function hintCache(write: HintPort, read: HintReader): { writer: HintPort; reader: HintReader } {
  const cached = new Map<string, Promise<string[]>>();
  return {
    writer: {
      // The coins job's hints are read by a range per run, not cached.
      coinDue: write.coinDue,
      async put(day, source, lists) {
        // Both keys of the day's item, before the write (a read racing it reads again after it) and after.
        const forget = () => [lastActiveHintKey(day), purchaseHintKey(day)].forEach((key) => cached.delete(key));
        forget();
        try {
          await write.put(day, source, lists);
        } finally {
          forget();
        }
      },
    },
    reader: {
      hintIds(key) {
        let ids = cached.get(key);
        if (!ids) {
          ids = read.hintIds(key);
          cached.set(key, ids);
          ids.catch(() => cached.delete(key));
        }
        return ids.then((list) => [...list]);
      },
    },
  };
}
