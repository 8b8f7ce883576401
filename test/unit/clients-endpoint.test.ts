// The handlers' shared SDK clients follow the AWS_ENDPOINT_URL_<SERVICE> variables. The SDK reads
// such a variable once, at a client's first request, and the clients live as long as the module: a
// second local stack in the same process (the chaos test file runs two, each on its own services)
// had its handlers put forwarded sub-records and actions to the first stack's stopped kinesis-mock,
// and its aggregated chaos run never drained (issue 18).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { documentClient, kinesisClient, s3Client } from '../../functions/adapters/clients';

interface Stub {
  server: Server;
  url: string;
  hits: number;
}

/** A service that counts requests and refuses them all (400: not retried by the SDK). */
async function stub(): Promise<Stub> {
  const s: Stub = { server: createServer(), url: '', hits: 0 };
  s.server.on('request', (req, res) => {
    s.hits++;
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ __type: 'ValidationException', message: 'stub' }));
    });
  });
  await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
  s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
  return s;
}

const VARS = [
  'AWS_ENDPOINT_URL_DYNAMODB',
  'AWS_ENDPOINT_URL_KINESIS',
  'AWS_ENDPOINT_URL_S3',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
];
const saved = Object.fromEntries(VARS.map((k) => [k, process.env[k]]));
let first: Stub;
let second: Stub;

beforeAll(async () => {
  [first, second] = [await stub(), await stub()];
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
});
afterEach(() => {
  for (const k of VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' });
});
afterAll(async () => {
  for (const k of VARS) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  await Promise.all([first, second].map((s) => new Promise((resolve) => s.server.close(resolve))));
});

const cases = [
  { name: 'DynamoDB', variable: 'AWS_ENDPOINT_URL_DYNAMODB', call: () => documentClient().send(new ListTablesCommand({})) },
  { name: 'Kinesis', variable: 'AWS_ENDPOINT_URL_KINESIS', call: () => kinesisClient().send(new ListStreamsCommand({})) },
  { name: 'S3', variable: 'AWS_ENDPOINT_URL_S3', call: () => s3Client().send(new ListBucketsCommand({})) },
];

describe('the handlers’ SDK clients', () => {
  for (const c of cases) {
    it(`${c.name}: a client made for one endpoint is not used for the next (a second local stack in one process)`, async () => {
      process.env[c.variable] = first.url;
      const [a0, b0] = [first.hits, second.hits];
      await expect(c.call()).rejects.toThrow();
      expect([first.hits - a0, second.hits - b0]).toEqual([1, 0]);

      process.env[c.variable] = second.url;
      await expect(c.call()).rejects.toThrow();
      expect([first.hits - a0, second.hits - b0], 'the second request went to the second endpoint').toEqual([1, 1]);

      // Same endpoint: the same client (one per container, as in Lambda).
      process.env[c.variable] = second.url;
      await expect(c.call()).rejects.toThrow();
      expect(second.hits - b0).toBe(2);
    });
  }

  it('keeps one client while the endpoint stays the same', () => {
    process.env.AWS_ENDPOINT_URL_KINESIS = first.url;
    expect(kinesisClient()).toBe(kinesisClient());
    process.env.AWS_ENDPOINT_URL_KINESIS = second.url;
    const next = kinesisClient();
    expect(next).toBe(kinesisClient());
    process.env.AWS_ENDPOINT_URL_KINESIS = first.url;
    expect(kinesisClient()).not.toBe(next);
  });
});
