// The chaos run's stand-in for functions/api.ts: the very same handler; the till's coin writes
// (POST …/coins/redemptions and …/reversal) run under the fault controller (harness/chaos/faults.ts)
// when one is installed. The harness points the template's `memberflow:entry` of ApiFunction here.
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { handler as api } from '../../functions/api';
import { currentController } from './faults';

const isTillWrite = (event: APIGatewayProxyEventV2) =>
  event.requestContext?.http?.method === 'POST' && /\/coins\/redemptions(\/[^/]+\/reversal)?$/.test(event.rawPath ?? '');

export const handler = async (event: APIGatewayProxyEventV2, context?: Context) => {
  const controller = currentController();
  const run = () => api(event, context as Context);
  return controller && isTillWrite(event) ? controller.invokeTill(run) : run();
};
