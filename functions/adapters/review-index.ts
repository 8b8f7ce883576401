// The sparse TierReviewIndex on the members table: only members above the base tier carry its
// keys (`rvb` bucket, `rv` review day), so the job reads the members due, not all members.
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { REVIEW_BUCKETS, TIER_REVIEW_INDEX } from '../../shared/keys/members-keys';

export async function membersWithReviewBy(client: DynamoDBDocumentClient, table: string, lastDay: number): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: REVIEW_BUCKETS }, async (_, bucket) => {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await client.send(
          new QueryCommand({
            TableName: table,
            IndexName: TIER_REVIEW_INDEX,
            KeyConditionExpression: 'rvb = :bucket AND rv <= :last',
            ExpressionAttributeValues: { ':bucket': String(bucket), ':last': lastDay },
            ProjectionExpression: 'memberId',
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) ids.push(item.memberId as string);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }),
  );
  return ids;
}
