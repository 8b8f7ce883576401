// SDK clients for the embedded local stack. Every client uses the same dummy credentials:
// s3rver only accepts the access key "S3RVER", DynamoDB Local runs with -sharedDb (so the key
// does not namespace tables) and kinesis-mock maps any non-numeric key to its default account.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

// Node 20 is supported by this project; the SDK's "node >=22 soon" warning is noise locally.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export interface LocalEndpoints {
  dynamodb: string;
  kinesis: string;
  s3: string;
}

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** Environment every handler sees locally (standard SDK v3 variables, so handlers need no flags). */
export function localSdkEnv(endpoints: LocalEndpoints): Record<string, string> {
  return {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: endpoints.dynamodb,
    AWS_ENDPOINT_URL_KINESIS: endpoints.kinesis,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    // s3rver cannot decode aws-chunked uploads with trailing checksums (the SDK default since 3.729).
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    MEMBERFLOW_LOCAL: '1',
  };
}

const common = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 3 };

export function dynamoClient(endpoints: Pick<LocalEndpoints, 'dynamodb'>): DynamoDBClient {
  return new DynamoDBClient({ ...common, endpoint: endpoints.dynamodb });
}

/** kinesis-mock's plain port speaks HTTP/1.1 only; the SDK's default Kinesis handler is HTTP/2. */
export function kinesisClient(endpoints: Pick<LocalEndpoints, 'kinesis'>): KinesisClient {
  return new KinesisClient({ ...common, endpoint: endpoints.kinesis, requestHandler: new NodeHttpHandler() });
}

export function s3Client(endpoints: Pick<LocalEndpoints, 's3'>): S3Client {
  return new S3Client({
    ...common,
    endpoint: endpoints.s3,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `work`, or a rejection after `ms` (a probe that never answers is given up on, not awaited). */
export function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  work.catch(() => undefined); // a late failure of a probe given up on is not unhandled
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `probe` until it resolves, or throws the last error after `timeoutMs` (a hanging probe included). */
export async function waitFor<T>(probe: () => Promise<T>, timeoutMs: number, what: string, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await withTimeout(probe(), Math.max(deadline - Date.now(), 1));
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const reason = last instanceof Error ? last.message : String(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${reason}`);
    }
    await sleep(intervalMs);
  }
}
