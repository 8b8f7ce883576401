// In-memory audit log for tests of the use cases that append to it.
import { nextEntry, type AuditEntry, type AuditInput } from './entry';
import type { AuditPage, AuditPort, AuditQuery } from './port';

export class MemoryAuditLog implements AuditPort {
  readonly entries: AuditEntry[] = [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  async append(input: AuditInput): Promise<AuditEntry> {
    const entry = nextEntry(this.entries.at(-1) ?? null, input, this.now());
    this.entries.push(entry);
    return entry;
  }

  async list(query: AuditQuery): Promise<AuditPage> {
    const start = query.cursor ? Number(query.cursor) : 0;
    const matching = this.entries.filter((e) => (!query.fromAt || e.at >= query.fromAt) && (!query.toAt || e.at <= query.toAt));
    const entries = matching.slice(start, start + query.limit);
    return { entries, nextCursor: start + query.limit < matching.length ? String(start + query.limit) : undefined };
  }
}
