// Whose record is it: the owner key a decoded record is reduced under, and the partition key that
// routes it (docs/architecture.md#identity). A member's key is its memberId; a visitor's (an anonymous
// id's) is `anon#<anonymousId>` in the same table: `#` is not a memberId character, so the two never
// collide, and the visitor's records land on one shard because they are partitioned by the anonymous id.
const VISITOR_PREFIX = 'anon#';

export const visitorKey = (anonymousId: string) => `${VISITOR_PREFIX}${anonymousId}`;
export const isVisitorKey = (key: string) => key.startsWith(VISITOR_PREFIX);
/** The anonymous id of a visitor key, or null for a member's key. */
export const anonymousIdOf = (key: string): string | null => (isVisitorKey(key) ? key.slice(VISITOR_PREFIX.length) : null);

interface Addressed {
  type?: unknown;
  memberId?: unknown;
  anonymousId?: unknown;
}

const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);

/** The stream partition key: memberId, else anonymousId; an `identity_link` goes to its anonymous id. */
export function partitionKeyFor(event: Addressed): string | undefined {
  if (event.type === 'identity_link') return text(event.anonymousId);
  return text(event.memberId) ?? text(event.anonymousId);
}

/** The key the consumer reduces the record under (a member's id, or the visitor key of its anonymous id). */
export function ownerKeyOf(event: Addressed): string | undefined {
  if (event.type === 'identity_link') {
    const anonymousId = text(event.anonymousId);
    return anonymousId && visitorKey(anonymousId);
  }
  const memberId = text(event.memberId);
  if (memberId) return memberId;
  const anonymousId = text(event.anonymousId);
  return anonymousId && visitorKey(anonymousId);
}
