// Asynchronous Lambda invocations (InvocationType Event): Lambda queues the event, answers 202 at
// once and retries a failed run twice. The endpoint comes from AWS_ENDPOINT_URL_LAMBDA when set
// (the local runtime's Invoke endpoint), else the regional one.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';

let client: LambdaClient | undefined;
let clientEndpoint: string | undefined;

export function lambdaClient(): LambdaClient {
  // Re-created when the endpoint variable changes (several local stacks in one test process).
  const endpoint = process.env.AWS_ENDPOINT_URL_LAMBDA;
  if (!client || endpoint !== clientEndpoint) {
    client?.destroy();
    client = new LambdaClient({ maxAttempts: 3 });
    clientEndpoint = endpoint;
  }
  return client;
}

/** Queues `payload` (JSON) for `functionName`; resolves once Lambda has accepted it. */
export async function invokeAsync(functionName: string, payload: unknown): Promise<void> {
  const out = await lambdaClient().send(
    new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(payload)) }),
  );
  if (out.StatusCode !== 202) throw new Error(`asynchronous invoke of ${functionName} answered ${out.StatusCode}, not 202`);
}
