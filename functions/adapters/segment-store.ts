// Segment membership items in the metrics table: pk `sm#<segmentId>#<bucket>`, sk memberId.
// Written by the events consumer only when a member enters or leaves (never a rebuild); a listing
// walks the buckets in order with an opaque cursor. The near-universal segments
// (segmentsListedFromMembers: the base tier, status-active) have no items: their listing scans
// MembersTable for the members whose `sg` names them, which is what the items would hold.
import { BatchWriteCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SEGMENT_BUCKETS, segmentMemberKey } from '../../shared/keys/metrics-keys';
import { hash53 } from '../../shared/util/hash';
import { chunks, untilDone } from './retry';

const key = (segmentId: string, memberId: string) => segmentMemberKey(segmentId, hash53(memberId) % SEGMENT_BUCKETS);
/** The key of a member's membership item in a segment (erasure deletes it). */
export const membershipKey = (segmentId: string, memberId: string) => ({ pk: key(segmentId, memberId), sk: memberId });

export interface SegmentPage {
  members: string[];
  nextCursor: string | null;
}

export class InvalidCursorError extends Error {}

function decodeCursor(cursor: string | undefined): { b: number; k?: string } {
  if (!cursor) return { b: 0 };
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    // b = -1: a scan of MembersTable, k its last member.
    if (Number.isInteger(value.b) && value.b >= -1 && value.b < SEGMENT_BUCKETS && (value.k === undefined || typeof value.k === 'string'))
      return value;
  } catch {
    /* fall through */
  }
  throw new InvalidCursorError('cursor: not a cursor this API returned');
}

const encodeCursor = (b: number, k?: string) => Buffer.from(JSON.stringify({ b, k })).toString('base64url');

export class SegmentStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    /** MembersTable, and the segments listed from it (no membership items). */
    private readonly members?: { table: string; segments: ReadonlySet<string> },
  ) {}

  private itemless(segmentId: string): boolean {
    return this.members?.segments.has(segmentId) ?? false;
  }

  /** Applies membership changes: puts for entered, deletes for exited (both idempotent). */
  async apply(changes: readonly { memberId: string; entered: readonly string[]; exited: readonly string[] }[]): Promise<void> {
    const kept = (ids: readonly string[]) => ids.filter((id) => !this.itemless(id));
    const requests = changes.flatMap(({ memberId, entered, exited }) => [
      ...kept(entered).map((segmentId) => ({ PutRequest: { Item: { pk: key(segmentId, memberId), sk: memberId } } })),
      ...kept(exited).map((segmentId) => ({ DeleteRequest: { Key: { pk: key(segmentId, memberId), sk: memberId } } })),
    ]);
    for (const batch of chunks(requests, 25)) {
      await untilDone(
        batch,
        async (pending) => {
          const out = await this.client.send(new BatchWriteCommand({ RequestItems: { [this.table]: pending } }));
          return (out.UnprocessedItems?.[this.table] ?? []) as typeof batch;
        },
        'BatchWriteItem segment membership',
      );
    }
  }

  /** One page of a segment's members (each member appears exactly once across the pages). */
  async list(segmentId: string, limit: number, cursor?: string): Promise<SegmentPage> {
    if (this.itemless(segmentId)) return this.listFromMembers(segmentId, limit, cursor);
    let { b, k } = decodeCursor(cursor);
    if (b < 0) throw new InvalidCursorError('cursor: not a cursor this API returned');
    const members: string[] = [];
    while (b < SEGMENT_BUCKETS && members.length < limit) {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': segmentMemberKey(segmentId, b) },
          ExclusiveStartKey: k ? { pk: segmentMemberKey(segmentId, b), sk: k } : undefined,
          Limit: limit - members.length,
        }),
      );
      for (const item of page.Items ?? []) members.push(item.sk as string);
      if (page.LastEvaluatedKey) k = page.LastEvaluatedKey.sk as string;
      else {
        b++;
        k = undefined;
      }
    }
    return { members, nextCursor: b < SEGMENT_BUCKETS ? encodeCursor(b, k) : null };
  }

  /**
   * One page of a segment listed from MembersTable: a scan in the table's own order, each member
   * whose segments name it. The cursor is the last member returned (each appears once).
   */
  private async listFromMembers(segmentId: string, limit: number, cursor?: string): Promise<SegmentPage> {
    const { b, k: start } = decodeCursor(cursor);
    if (cursor && b !== -1) throw new InvalidCursorError('cursor: not a cursor this API returned');
    const members: string[] = [];
    let from = start;
    for (;;) {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.members!.table,
          ProjectionExpression: 'memberId, sg',
          ExclusiveStartKey: from ? { memberId: from } : undefined,
          Limit: Math.max(limit - members.length, 25),
        }),
      );
      for (const item of page.Items ?? []) {
        if (typeof item.sg !== 'string' || !item.sg.split(',').includes(segmentId)) continue;
        members.push(item.memberId as string);
        // Full: the next page starts after this member, wherever the scan page ends.
        if (members.length === limit) return { members, nextCursor: encodeCursor(-1, item.memberId as string) };
      }
      if (!page.LastEvaluatedKey) return { members, nextCursor: null };
      from = page.LastEvaluatedKey.memberId as string;
    }
  }
}
