// The local Lambda service (infra/local/engine/lambda-endpoint.ts) on its own: asynchronous
// invocations and their retries, function names in every form the SDK sends. Loopback only, no
// services. (Invoking a real handler through the stack is in exports.test.ts.)
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION, sleep } from '../../infra/local/engine/aws';
import { functionNameOf, startLambdaEndpoint } from '../../infra/local/engine/lambda-endpoint';

describe('the local Lambda Invoke endpoint', () => {
  it('reads the function name from a name, a qualified name, a partial or a full ARN', () => {
    expect(functionNameOf('Export')).toBe('Export');
    expect(functionNameOf('Export:live')).toBe('Export');
    expect(functionNameOf('123456789012:function:Export')).toBe('Export');
    expect(functionNameOf(encodeURIComponent('arn:aws:lambda:cn-north-1:123456789012:function:Export:7'))).toBe('Export');
  });
  it('runs an Event invocation in the background: 202 at once, two retries after failures, idle() awaits it', async () => {
    const calls: unknown[] = [];
    const endpoint = await startLambdaEndpoint({
      resolve: (name) => (name === 'Flaky' ? { name } : undefined),
      run: async (_name, event) => {
        calls.push(event);
        await sleep(50);
        if (calls.length < 3) throw new Error(`failure ${calls.length}`);
        return 'ok';
      },
      asyncRetryDelaysMs: [10, 10],
    });
    const lambda = new LambdaClient({ region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, endpoint: endpoint.url });
    try {
      const out = await lambda.send(
        new InvokeCommand({ FunctionName: 'Flaky', InvocationType: 'Event', Payload: new TextEncoder().encode('{"n":1}') }),
      );
      expect(out.StatusCode).toBe(202);
      expect(endpoint.inFlight).toBe(1);
      await endpoint.idle({ timeoutMs: 5000 });
      expect(calls).toEqual([{ n: 1 }, { n: 1 }, { n: 1 }]);
      expect(endpoint.inFlight).toBe(0);
    } finally {
      lambda.destroy();
      await endpoint.close();
    }
  });
});
