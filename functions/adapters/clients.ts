// AWS SDK clients, created once per container. Endpoints come from the standard SDK v3
// AWS_ENDPOINT_URL_<SERVICE> variables, which the local runtime sets. The SDK reads such a variable
// once, at a client's first request; so a client is re-created when its variable changes — in
// Lambda never, locally when a second stack runs in the same process (the chaos test file runs two,
// each on its own services: the second's handlers must not talk to the first's stopped services).
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

interface Held<T> {
  client: T;
  endpoint: string | undefined;
}

let dynamo: Held<DynamoDBDocumentClient> | undefined;
let injectedDynamo: DynamoDBDocumentClient | undefined;
let kinesis: Held<KinesisClient> | undefined;
let s3: Held<S3Client> | undefined;

/** The held client if it was made for the current endpoint variable, else a new one (the old destroyed). */
function forEndpoint<T extends { destroy(): void }>(held: Held<T> | undefined, variable: string, make: () => T): Held<T> {
  const endpoint = process.env[variable];
  if (held && held.endpoint === endpoint) return held;
  held?.client.destroy();
  return { client: make(), endpoint };
}

export function documentClient(): DynamoDBDocumentClient {
  if (injectedDynamo) return injectedDynamo;
  dynamo = forEndpoint(dynamo, 'AWS_ENDPOINT_URL_DYNAMODB', () =>
    DynamoDBDocumentClient.from(new DynamoDBClient({ maxAttempts: 5 }), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );
  return dynamo.client;
}

/** Replaces the shared client (tests inject a metered or fault-injecting one); undefined restores it. */
export function setDocumentClient(client: DynamoDBDocumentClient | undefined): void {
  injectedDynamo = client;
}

export function kinesisClient(): KinesisClient {
  // HTTP/1.1 handler: kinesis-mock does not speak the SDK's default for this client.
  kinesis = forEndpoint(
    kinesis,
    'AWS_ENDPOINT_URL_KINESIS',
    () => new KinesisClient({ requestHandler: new NodeHttpHandler(), maxAttempts: 5 }),
  );
  return kinesis.client;
}

export function s3Client(): S3Client {
  s3 = forEndpoint(s3, 'AWS_ENDPOINT_URL_S3', () => new S3Client({ forcePathStyle: process.env.MEMBERFLOW_LOCAL === '1' }));
  return s3.client;
}
