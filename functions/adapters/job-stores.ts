// The daily jobs' adapters: their progress items in MetricsTable (pk `job#<name>`, the only keys
// their role may write there) and the sparse TierReviewIndex of MembersTable.
import { GetCommand, paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { JobName, JobProgressPort, ReviewIndexPort } from '../../shared/jobs/ports';
import { REVIEW_BUCKETS, TIER_REVIEW_INDEX } from '../../shared/keys/members-keys';
import { jobProgressKey } from '../../shared/keys/metrics-keys';

export class JobProgressStore implements JobProgressPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async lastRun(job: JobName): Promise<number | null> {
    const out = await this.client.send(new GetCommand({ TableName: this.table, Key: jobProgressKey(job), ConsistentRead: true }));
    return (out.Item?.lastDay as number | undefined) ?? null;
  }

  async recordRun(job: JobName, day: number, details: Record<string, unknown> = {}): Promise<void> {
    await this.client.send(new PutCommand({ TableName: this.table, Item: { ...jobProgressKey(job), lastDay: day, ...details } }));
  }
}

/** Member ids of a bucketed sparse index (bucket attribute "0".."9") with a day key ≤ lastDay. */
async function queryBucketedIndex(
  client: DynamoDBDocumentClient,
  table: string,
  index: { name: string; bucket: string; day: string },
  lastDay: number,
): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    Array.from({ length: REVIEW_BUCKETS }, async (_, bucket) => {
      const pages = paginateQuery(
        { client },
        {
          TableName: table,
          IndexName: index.name,
          KeyConditionExpression: '#b = :bucket AND #d <= :last',
          ExpressionAttributeNames: { '#b': index.bucket, '#d': index.day },
          ExpressionAttributeValues: { ':bucket': String(bucket), ':last': lastDay },
          ProjectionExpression: 'memberId',
        },
      );
      for await (const page of pages) for (const item of page.Items ?? []) ids.push(item.memberId as string);
    }),
  );
  return ids;
}

export class ReviewIndex implements ReviewIndexPort {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  membersWithReviewBy(lastDay: number): Promise<string[]> {
    return queryBucketedIndex(this.client, this.table, { name: TIER_REVIEW_INDEX, bucket: 'rvb', day: 'rv' }, lastDay);
  }
}
