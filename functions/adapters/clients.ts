// AWS SDK clients, created once per container. Endpoints come from the standard SDK v3
// AWS_ENDPOINT_URL_<SERVICE> variables, which the local runtime sets.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

let dynamo: DynamoDBDocumentClient | undefined;
let kinesis: KinesisClient | undefined;
let s3: S3Client | undefined;

export function documentClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 5 }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamo;
}

/** Replaces the shared client (tests inject a metered or fault-injecting one). */
export function setDocumentClient(client: DynamoDBDocumentClient | undefined): void {
  dynamo = client;
}

export function kinesisClient(): KinesisClient {
  // HTTP/1.1 handler: kinesis-mock does not speak the SDK's default for this client.
  kinesis ??= new KinesisClient({ requestHandler: new NodeHttpHandler(), maxAttempts: 5 });
  return kinesis;
}

export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: process.env.MEMBERFLOW_LOCAL === '1' });
  return s3;
}
