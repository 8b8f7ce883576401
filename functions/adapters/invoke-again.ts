// A job that stops short of its end (the coins job's upgrade scan, out of time) goes on at once in
// a new asynchronous invocation of the same function, rather than at the next scheduled run.
import type { Context } from 'aws-lambda';
import { invokeAsync } from './lambda-invoker';

/**
 * Queues `event` for this function again (Lambda retries a failed run twice, then sends it to the
 * function's on-failure destination). False when it cannot: no Lambda context (a direct call), or
 * the invoke failed — the next scheduled run goes on from where this one stopped instead.
 */
export async function invokeAgain(
  context: Pick<Context, 'functionName'> | undefined,
  event: Record<string, unknown>,
  invoke: (functionName: string, payload: unknown) => Promise<void> = invokeAsync,
): Promise<boolean> {
  if (!context?.functionName) return false;
  try {
    await invoke(context.functionName, event);
    return true;
  } catch {
    return false;
  }
}
