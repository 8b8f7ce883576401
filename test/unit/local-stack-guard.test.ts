// One attached local stack per process (infra/local/engine/stack.ts): the handlers read their table
// and stream names from process.env, so a second stack attached while the first runs would have
// both consumers and both APIs use the second one's resources (the flaky aggregated-e2e figures of
// a3db1f1). A second attach is refused with an error naming both prefixes; after stop() — or an
// attach that failed — the next one is allowed. No services: a template with no resources.
import { afterEach, describe, expect, it } from 'vitest';
import { attachLocalStack, type LocalStack } from '../../infra/local/engine/stack';

const endpoints = { dynamodb: 'http://127.0.0.1:9', kinesis: 'http://127.0.0.1:9', s3: 'http://127.0.0.1:9' };
const empty = { Resources: {} };
const attach = (prefix: string, withApi = false) =>
  attachLocalStack({ endpoints, prefix, template: empty as never, withApi, withScheduler: false });

const open: LocalStack[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.stop();
});

describe('attachLocalStack', () => {
  it('refuses a second stack while one is attached, naming both, and allows one after stop()', async () => {
    const first = await attach('one-');
    open.push(first);
    expect(process.env.AWS_ENDPOINT_URL_LAMBDA).toBe(first.lambdaUrl);
    await expect(attach('two-')).rejects.toThrow(
      /prefix "two-"\): the stack with prefix "one-" is still attached in this process; stop\(\) it first/,
    );
    // The refused attach changed nothing: the first stack's environment is in place.
    expect(process.env.AWS_ENDPOINT_URL_LAMBDA).toBe(first.lambdaUrl);
    await first.stop();
    const second = await attach('two-');
    open.push(second);
    expect(second.prefix).toBe('two-');
  });

  it('allows the next attach after one that failed', async () => {
    // An API asked of a template without the api function: the attach fails half-way.
    const before = process.env.AWS_ENDPOINT_URL_LAMBDA;
    await expect(attach('bad-', true)).rejects.toThrow(/no function with entry functions\/api.ts/);
    expect(process.env.AWS_ENDPOINT_URL_LAMBDA).toBe(before); // its environment taken back
    open.push(await attach('after-'));
  });
});
