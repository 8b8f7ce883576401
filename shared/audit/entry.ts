// One entry of the tamper-evident audit log (docs/api.md#audit-log). Entries form a single hash chain:
// entry n carries the hash of entry n−1 (`prevHash`) and its own
// `hash = sha256(prevHash + canonical entry)`, so changing, removing or inserting any stored entry
// breaks the chain at that entry.
import { createHash } from 'node:crypto';
import { canonicalJson, type Json } from './canonical';

/** `prevHash` of the first entry (seq 1). */
export const GENESIS_HASH = '0'.repeat(64);

/** What a caller asks to record; the log adds seq, at, prevHash and hash. */
export interface AuditInput {
  /** Who acted: the IAM principal ARN in AWS, the token's name locally, or a job's name. */
  actor: string;
  /** What was done, e.g. `segment_export_requested`, `member_erased`, `subject_access`. */
  action: string;
  /** What it was done to, e.g. `segment:tier-gold`, `member#<salted hash>` — never a raw member id. */
  target: string;
  /** Anything else worth keeping; JSON, no personal data (salted hashes only). */
  details: { [key: string]: Json };
}

export interface AuditEntry extends AuditInput {
  /** 1, 2, 3, … without gaps. */
  seq: number;
  /** ISO-8601 UTC timestamp; never decreases along the chain. */
  at: string;
  prevHash: string;
  hash: string;
}

/** The text that is hashed after `prevHash`: every field but the two hashes, keys sorted. */
export function canonicalEntry(entry: Omit<AuditEntry, 'hash' | 'prevHash'>): string {
  const { seq, at, actor, action, target, details } = entry;
  return canonicalJson({ seq, at, actor, action, target, details });
}

export function entryHash(prevHash: string, entry: Omit<AuditEntry, 'hash' | 'prevHash'>): string {
  return createHash('sha256')
    .update(prevHash + canonicalEntry(entry), 'utf8')
    .digest('hex');
}

/**
 * The entry that follows `head` (null: the chain is empty). `now` is clamped to the head's time so
 * `at` never goes backwards along the chain (two appenders' clocks may differ slightly).
 */
export function nextEntry(head: Pick<AuditEntry, 'seq' | 'at' | 'hash'> | null, input: AuditInput, now: Date): AuditEntry {
  const seq = (head?.seq ?? 0) + 1;
  const nowIso = now.toISOString();
  const at = head && head.at > nowIso ? head.at : nowIso;
  const prevHash = head?.hash ?? GENESIS_HASH;
  const body = { seq, at, actor: input.actor, action: input.action, target: input.target, details: input.details };
  return { ...body, prevHash, hash: entryHash(prevHash, body) };
}
