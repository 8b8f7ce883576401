// Walks the chain in seq order and names the first entry that breaks it.
import { entryHash, GENESIS_HASH, type AuditEntry } from './entry';

export type BreakReason = 'seq_gap' | 'prev_hash_mismatch' | 'hash_mismatch' | 'time_reversed' | 'malformed';

export type VerifyResult =
  | { ok: true; entries: number; headSeq: number; headHash: string }
  | { ok: false; entries: number; firstBroken: { seq: number; reason: BreakReason; message: string } };

/** Incremental verifier: feed entries in seq order (pages from a store), then `result()`. */
export class ChainVerifier {
  private expectedSeq = 1;
  private prevHash = GENESIS_HASH;
  private prevAt = '';
  private count = 0;
  private broken: Extract<VerifyResult, { ok: false }>['firstBroken'] | undefined;

  /** Returns false once the chain is broken (later entries are not checked). */
  add(entry: AuditEntry): boolean {
    if (this.broken) return false;
    this.count++;
    const fail = (reason: BreakReason, message: string) => {
      this.broken = { seq: typeof entry.seq === 'number' ? entry.seq : this.expectedSeq, reason, message };
      return false;
    };
    if (!isWellFormed(entry)) return fail('malformed', `entry ${String(entry.seq)}: missing or mistyped fields`);
    if (entry.seq !== this.expectedSeq) {
      // The entry that should be here is missing (or the seqs were rewritten): name the missing one.
      this.broken = {
        seq: this.expectedSeq,
        reason: 'seq_gap',
        message: `entry ${this.expectedSeq}: missing (next stored entry is ${entry.seq})`,
      };
      return false;
    }
    if (entry.prevHash !== this.prevHash)
      return fail('prev_hash_mismatch', `entry ${entry.seq}: prevHash does not match the hash of entry ${entry.seq - 1}`);
    if (entryHash(entry.prevHash, entry) !== entry.hash)
      return fail('hash_mismatch', `entry ${entry.seq}: hash does not match its content`);
    if (entry.at < this.prevAt) return fail('time_reversed', `entry ${entry.seq}: at is before entry ${entry.seq - 1}'s`);
    this.expectedSeq++;
    this.prevHash = entry.hash;
    this.prevAt = entry.at;
    return true;
  }

  result(): VerifyResult {
    if (this.broken) return { ok: false, entries: this.count, firstBroken: this.broken };
    return { ok: true, entries: this.count, headSeq: this.expectedSeq - 1, headHash: this.prevHash };
  }
}

export function verifyChain(entries: Iterable<AuditEntry>): VerifyResult {
  const verifier = new ChainVerifier();
  for (const entry of entries) if (!verifier.add(entry)) break;
  return verifier.result();
}

function isWellFormed(e: AuditEntry): boolean {
  return (
    Number.isInteger(e.seq) &&
    typeof e.at === 'string' &&
    typeof e.actor === 'string' &&
    typeof e.action === 'string' &&
    typeof e.target === 'string' &&
    typeof e.details === 'object' &&
    e.details !== null &&
    !Array.isArray(e.details) &&
    typeof e.prevHash === 'string' &&
    typeof e.hash === 'string'
  );
}
