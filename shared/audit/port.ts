// The audit log as the use cases see it. Adapters: DynamoAuditLog (functions/adapters/audit-store.ts),
// MemoryAuditLog (./memory-audit-log.ts) for pure tests.
import type { AuditEntry, AuditInput } from './entry';

export interface AuditPage {
  entries: AuditEntry[];
  /** Opaque; absent on the last page. */
  nextCursor?: string;
}

export interface AuditQuery {
  /** ISO instants, inclusive; either may be absent. */
  fromAt?: string;
  toAt?: string;
  limit: number;
  cursor?: string;
}

export interface AuditPort {
  /** Appends one entry at the head of the one chain and returns it (with its seq and hash). */
  append(input: AuditInput): Promise<AuditEntry>;
  /** Entries in seq order within [fromAt, toAt]. */
  list(query: AuditQuery): Promise<AuditPage>;
}
