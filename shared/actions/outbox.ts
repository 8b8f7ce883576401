// The actions outbox: the actions a member write derived ride on that write (the member item's
// `ao`), so an action exists exactly when the state change it reports was committed, and is
// published from there until a later delivery of the member has published it again.
//
// Why. Publishing before the member write sent actions of writes that never committed (a write
// given up to the failed-batches bucket, or redone on a state another writer changed, where it may
// decide otherwise); publishing only after it, with nothing stored, would lose them when the
// invocation dies between the write and the publish — the redelivery finds the records covered by
// the member's high-water mark and derives nothing again. With the outbox:
//   1. before the member writes, the batch publishes the outbox every member of the batch carries
//      (an earlier delivery's; it may have died before publishing), then the write replaces it;
//   2. after the write committed, the batch publishes the write's own actions.
// So every committed action is published at least once (usually twice: after its write and at the
// member's next delivery), never one that was not committed, always under its deterministic id.
// No extra write: the outbox is part of the member write that happens anyway, and the next write
// of the member drops it.
import type { Action, ActionType } from './actions';

/** One stored action: [actionId, day, details] and the memberId when it is not the item's. */
export type StoredAction = [string, string, Record<string, unknown>] | [string, string, Record<string, unknown>, string];

/** `type-<hash>`: the type is what comes before the last hyphen (types have none, hashes are hex). */
const typeOf = (actionId: string) => actionId.slice(0, actionId.lastIndexOf('-')) as ActionType;

export function encodeActions(ownerId: string, actions: readonly Action[]): string | undefined {
  if (!actions.length) return undefined;
  const stored = actions.map((a): StoredAction => {
    if (typeOf(a.actionId) !== a.type) throw new Error(`action id ${a.actionId} does not name its type ${a.type}`);
    return a.memberId === ownerId ? [a.actionId, a.day, a.details] : [a.actionId, a.day, a.details, a.memberId];
  });
  return JSON.stringify(stored);
}

/** The actions as they were published: the same fields in the same order (one content per actionId). */
export function decodeActions(ownerId: string, text: string | undefined): Action[] {
  if (!text) return [];
  return (JSON.parse(text) as StoredAction[]).map(([actionId, day, details, memberId]) => ({
    actionId,
    type: typeOf(actionId),
    memberId: memberId ?? ownerId,
    day,
    details,
  }));
}
