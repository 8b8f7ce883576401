// Synthetic stream positions for an import: one source "shard" per import and sequence numbers
// that grow in the sorted order, so the consumer's exactly-once marks (each member's high-water
// mark, each counter item's `hw`) skip what an interrupted import already applied.
import { hashHex } from '../util/hash';

const EVENT_DIGITS = 12;
const SUB_DIGITS = 6;

/** The import's source id: the same files (by content digest) give the same id, so a resume matches. */
export function importSourceId(fileDigests: readonly string[]): string {
  return `import-${hashHex(fileDigests.join('\n'))}`;
}

/**
 * Position of the `index`-th event (1-based) in time order; `sub` > 0 numbers the job commands
 * applied after that event (and before the next). Fixed width with a leading 1: no leading zeros,
 * so compareSeq orders them.
 */
export function importSeq(index: number, sub = 0): string {
  if (!Number.isSafeInteger(index) || index < 0 || index >= 10 ** EVENT_DIGITS) throw new Error(`import index out of range: ${index}`);
  if (!Number.isSafeInteger(sub) || sub < 0 || sub >= 10 ** SUB_DIGITS) throw new Error(`too many job commands after one event: ${sub}`);
  return `1${String(index).padStart(EVENT_DIGITS, '0')}${String(sub).padStart(SUB_DIGITS, '0')}`;
}
